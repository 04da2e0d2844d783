// Bus implements what ConcordKit declares: the in-process message bus (`LocalMessageBus`), the durable
// `Journal` with group commit, replay, idempotency and durable timers, the built-in `system` module,
// and the `Runtime` that runs them with the modules as one service.
//
// Domain modules never import Bus: they see it only through ConcordKit's protocols.
