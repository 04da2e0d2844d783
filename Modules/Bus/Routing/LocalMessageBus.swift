public import ConcordKit
public import Foundation
import Synchronization

/// The in-process bus: typed and prefix subscriptions with batched bounded mailboxes, and one handler per command.
///
/// Delivery is in-memory only; journaling is the ``Journal``'s, which delivers here after commit.
public final class LocalMessageBus: MessageBus {
    private struct Routes {
        var subscribers: [ObjectIdentifier: any RoutedSubscriber] = [:]
        /// Subscribers by event type, worked out once per type and dropped whenever subscriptions change.
        var cache: [ObjectIdentifier: [any RoutedSubscriber]] = [:]
    }

    private let routes = Mutex(Routes())
    let commands = CommandRegistry()

    /// Creates a bus; the runtime creates it closed and opens it once every module has started.
    public init(acceptingCommands: Bool = true) {
        if acceptingCommands { commands.open() }
    }

    // MARK: Commands

    /// Whether commands are admitted: false while the daemon starts and from the moment it begins to stop.
    public var isAcceptingCommands: Bool { commands.isAccepting }

    public func register<C: Command>(
        _ type: C.Type, module: String, execution: CommandExecution, handler: @escaping CommandHandler<C>
    ) throws {
        try commands.register(type, module: module, execution: execution, handler: handler)
    }

    public func send<C: Command>(_ command: C, context: CommandContext) async throws -> C.Reply {
        try await commands.send(command, context: context)
    }

    /// Registers the one handler of a command that has no Swift type here (a plugin's); a second registration
    /// for the same topic throws, naming both modules.
    public func register(untyped command: UntypedCommand, module: String, handler: @escaping UntypedCommandHandler)
        throws
    {
        try commands.register(untyped: command, module: module, handler: handler)
    }

    /// Forgets every command `module` registered: an external module attaching again with another declaration.
    public func unregister(module: String) {
        commands.unregister(module: module)
    }

    /// Decodes `args` (a JSON object) as the command named `name`, runs it and returns the reply as JSON text.
    public func dispatch(command name: String, args: Data, context: CommandContext) async throws -> Data {
        let data = args.isEmpty ? Data("{}".utf8) : args
        guard let value = JSONValue.parse(data) else {
            throw ConcordError.badRequest("args: expected a JSON object, got text that is not JSON")
        }
        return try await dispatch(command: name, args: value, context: context)
    }

    /// Dispatches a command whose args were already parsed (the gateway's path).
    public func dispatch(command name: String, args: JSONValue, context: CommandContext) async throws -> Data {
        try await commands.dispatch(command: name, args: args, context: context)
    }

    // MARK: Events

    /// Delivers an event to in-process subscribers without journaling it (heartbeats, tests). Not part of
    /// ``MessageBus``: a module's events go through its store, which journals them first.
    public func deliver<E: Event>(_ envelope: Envelope<E>) async {
        await deliver(contentsOf: [envelope])
    }

    /// Delivers a batch of envelopes of one type: one route look-up and one lock per subscriber for the batch.
    public func deliver<E: Event>(contentsOf envelopes: [Envelope<E>]) async {
        for subscriber in route(for: E.self) {
            await subscriber.deliver(envelopes)
        }
    }

    /// Delivers committed events (from the journal), in order, each run of one type as one batch. An event
    /// emitted as JSON only is decoded here, and only when some subscriber takes its type.
    public func deliver(committed events: [CommittedEvent]) async {
        var start = events.startIndex
        while start < events.endIndex {
            let type = events[start].type
            var end = start + 1
            while end < events.endIndex, events[end].type == type { end += 1 }
            await deliverRun(of: type, events[start..<end])
            start = end
        }
    }

    private func deliverRun<E: Event>(of type: E.Type, _ run: ArraySlice<CommittedEvent>) async {
        if E.self == UntypedEvent.self { return await deliverUntyped(run) }
        let subscribers = route(for: E.self)
        guard !subscribers.isEmpty else { return }
        let envelopes = run.compactMap { committed -> Envelope<E>? in
            do {
                return try committed.typed().map { $0 as! E }
            } catch {
                // The module emitted JSON that is not its event type: typed subscribers cannot take it.
                undecodable.add(1, ordering: .relaxed)
                return nil
            }
        }
        for subscriber in subscribers {
            await subscriber.deliver(envelopes)
        }
    }

    /// Delivers untyped events (a plugin's) to the prefix subscriptions their own topics match, each run of one
    /// topic as one batch.
    private func deliverUntyped(_ run: ArraySlice<CommittedEvent>) async {
        var start = run.startIndex
        while start < run.endIndex {
            let topic = run[start].envelope.topic
            var end = start + 1
            while end < run.endIndex, run[end].envelope.topic == topic { end += 1 }
            let subscribers = routes.withLock { routes in
                routes.subscribers.values.compactMap { $0 as? PrefixSubscriber }.filter { topic.hasPrefix($0.pattern) }
            }
            if !subscribers.isEmpty {
                let envelopes = run[start..<end].map { committed in
                    committed.envelope.map { _ in
                        UntypedEvent(payload: JSONValue.parse(committed.payloadJSON) ?? .null) as any Event
                    }
                }
                for subscriber in subscribers { await subscriber.mailbox.send(contentsOf: envelopes) }
            }
            start = end
        }
    }

    /// Events emitted as JSON that did not decode as their type, so typed subscribers never saw them.
    public var undecodableEvents: UInt64 { undecodable.load(ordering: .relaxed) }
    private let undecodable = Atomic<UInt64>(0)

    public func subscribe<E: Event>(to type: E.Type, subscriber: String, options: MailboxOptions) -> Subscription<E> {
        let routed = TypedSubscriber<E>(subscriber: subscriber, options: options)
        add(routed)
        return Subscription(mailbox: routed.mailbox) { [weak self, weak routed] in
            if let routed { self?.remove(routed) }
        }
    }

    public func subscribe(prefix: String, subscriber: String, options: MailboxOptions) -> Subscription<any Event> {
        let routed = PrefixSubscriber(subscriber: subscriber, prefix: prefix, options: options)
        add(routed)
        return Subscription(mailbox: routed.mailbox) { [weak self, weak routed] in
            if let routed { self?.remove(routed) }
        }
    }

    /// The state of every subscription, for `system.status`.
    public var subscriberStates:
        [(subscriber: String, pattern: String, options: MailboxOptions, depth: Int, received: UInt64, dropped: UInt64)]
    {
        routes.withLock { Array($0.subscribers.values) }
            .map { ($0.subscriber, $0.pattern, $0.options, $0.depth, $0.received, $0.dropped) }
            .sorted { ($0.subscriber, $0.pattern) < ($1.subscriber, $1.pattern) }
    }

    private func add(_ subscriber: any RoutedSubscriber) {
        routes.withLock {
            $0.subscribers[ObjectIdentifier(subscriber)] = subscriber
            $0.cache.removeAll()
        }
    }

    private func remove(_ subscriber: any RoutedSubscriber) {
        routes.withLock {
            $0.subscribers[ObjectIdentifier(subscriber)] = nil
            $0.cache.removeAll()
        }
    }

    private func route<E: Event>(for type: E.Type) -> [any RoutedSubscriber] {
        let key = ObjectIdentifier(type)
        return routes.withLock { routes in
            if let cached = routes.cache[key] { return cached }
            let topic = E.topic.rawValue
            let matching = routes.subscribers.values.filter { subscriber in
                if let typed = subscriber as? TypedSubscriber<E> { return typed.pattern == topic }
                return subscriber is PrefixSubscriber && topic.hasPrefix(subscriber.pattern)
            }
            routes.cache[key] = matching
            return matching
        }
    }
}

extension LocalMessageBus {
    /// Whether the command named `name` changes state; `nil` when no module handles it.
    public func isMutating(command name: String) -> Bool? {
        commands.entries.withLock { $0[name] }.map(\.isMutating)
    }
}
