// ZeroMQ is a thin Swift wrapper over libzmq's C API: context, sockets, poller, CURVE keys and errors.
// It adds no behaviour of its own; sockets belong to one thread, and blocking polls run on a dedicated
// thread, never on the cooperative pool.
