import CZeroMQ

/// The socket options and monitor events Concord sets, by name.
public enum ZMQOption {
    public static let linger = ZMQ_LINGER
    public static let maxMessageSize = ZMQ_MAXMSGSIZE
    public static let sendHighWaterMark = ZMQ_SNDHWM
    public static let receiveHighWaterMark = ZMQ_RCVHWM
    public static let routerMandatory = ZMQ_ROUTER_MANDATORY
    public static let heartbeatInterval = ZMQ_HEARTBEAT_IVL
    public static let heartbeatTimeout = ZMQ_HEARTBEAT_TIMEOUT
    public static let curveServer = ZMQ_CURVE_SERVER
    public static let curveSecretKey = ZMQ_CURVE_SECRETKEY
    public static let curvePublicKey = ZMQ_CURVE_PUBLICKEY
    public static let curveServerKey = ZMQ_CURVE_SERVERKEY
    public static let zapDomain = ZMQ_ZAP_DOMAIN
    public static let subscribe = ZMQ_SUBSCRIBE
    public static let receiveTimeout = ZMQ_RCVTIMEO
    public static let sendTimeout = ZMQ_SNDTIMEO
    public static let immediate = ZMQ_IMMEDIATE
    public static let routingID = ZMQ_ROUTING_ID
}

/// Monitor events (`zmq_socket_monitor`).
public enum ZMQMonitorEvent {
    public static let disconnected = ZMQ_EVENT_DISCONNECTED
    public static let accepted = ZMQ_EVENT_ACCEPTED
    public static let handshakeFailedAuth = ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
}

extension ZMQSocket {
    /// Publishes the socket's `events` on a PAIR socket at `endpoint` (`inproc://`).
    public func monitor(_ endpoint: String, events: Int32) throws {
        guard zmq_socket_monitor(handle, endpoint, events) == 0 else { throw ZMQError.last("monitor \(endpoint)") }
    }

    /// Sets a CURVE key given in Z85 (40 characters; libzmq wants them NUL-terminated).
    public func setCurveKey(_ option: Int32, z85 key: String) throws {
        try set(option, bytes: Array(key.utf8) + [0])
    }
}
