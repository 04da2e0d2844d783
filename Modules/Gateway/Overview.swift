// Gateway exposes the bus to external tools as CWP/1 (PROTOCOL.md): an XPUB event stream with heartbeats
// and a ROUTER command endpoint, JSON translated to typed messages through the bus's catalog (one generic
// codec, no per-message code), CURVE with a ZAP handler and an allowlist of roles.
// It owns no domain behaviour and no module imports it.
