// CZeroMQ: libzmq's C API (Debian's libzmq3-dev) for the ZeroMQ target.
#ifndef CZEROMQ_SHIM_H
#define CZEROMQ_SHIM_H

#include <zmq.h>
#include <sys/eventfd.h>

#endif
