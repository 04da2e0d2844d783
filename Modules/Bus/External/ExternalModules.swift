public import ConcordKit
public import Contracts
import Foundation
import Logging
import Synchronization

/// Where the daemon sends an external module's messages: its connection to the command endpoint.
public protocol ModuleLink: Sendable {
    /// Queues one message (a JSON object) for the module; `false` when it cannot go.
    func send(_ message: [UInt8]) -> Bool
}

/// The modules attached from outside the process over the command endpoint (CWP/1's `system.module.attach`).
///
/// Their commands are registered on the bus as untyped ones whose handler sends them to the module and waits for
/// its reply; the events the reply carries are journaled in the write that answers the caller, so a caller
/// answered `ok` knows the events are durable. A module that stays silent past three heartbeats is detached: its
/// commands answer `unavailable` (not `unknown_command`) until it attaches again, and its calls in flight are
/// answered `unavailable` at once. A call the module does not answer within its timeout is answered
/// `unavailable`, and its reply, if it comes, is dropped and counted.
public final class ExternalModules: Sendable {
    /// The connection an attached module sends from: the gateway's identity of it.
    public typealias LinkID = [UInt8]

    private struct Module {
        var name: String
        var version: String
        var namespaces: [String]
        var commands: [UntypedCommand]
        var events: [UntypedEventDeclaration]
        var link: any ModuleLink
        var linkID: LinkID
        var session: String
        var peer: String
        var heartbeat: Duration
        var commandTimeout: Duration
        var lastHeard: ContinuousClock.Instant
        var lastSent: ContinuousClock.Instant
        var attachedAt: Date
        var attached: Bool
        var detachReason: String?
        var calls: UInt64 = 0
        var timedOut: UInt64 = 0
        var lateReplies: UInt64 = 0
        var inFlight = 0

        var silenceLimit: Duration { heartbeat * 3 }
    }

    private struct Call {
        let module: String
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<JSONObject, any Error>
    }

    private struct State {
        var modules: [String: Module] = [:]
        var calls: [String: Call] = [:]
        var nextCall: UInt64 = 0
        var ticker: Task<Void, Never>?
    }

    /// What the runtime tells the hub: the namespaces of the modules that run in the process (a module claiming
    /// one is refused), and what to do when the modules change (the catalog is made again).
    struct Hooks: Sendable {
        var builtIn: @Sendable () -> [(name: String, namespaces: [String])] = { [] }
        var changed: @Sendable () -> Void = {}
    }

    private let state = Mutex(State())
    private let hooks = Mutex(Hooks())
    private let bus: LocalMessageBus
    private let journal: Journal
    private let logger: Logger

    init(bus: LocalMessageBus, journal: Journal, logger: Logger) {
        self.bus = bus
        self.journal = journal
        self.logger = logger
    }

    func connect(_ hooks: Hooks) {
        self.hooks.withLock { $0 = hooks }
    }

    private func builtIn() -> [(name: String, namespaces: [String])] { hooks.withLock { $0.builtIn }() }
    private func changed() { hooks.withLock { $0.changed }() }

    // MARK: Attaching

    /// Attaches `link` as the module `declaration` describes, replacing the connection and declaration of a
    /// module attached under the same name. Throws `bad_request` for a declaration that does not hold together
    /// and `conflict` for a name, namespace, command or event another module owns, naming it.
    public func attach(
        _ declaration: AttachModule, link: any ModuleLink, linkID: LinkID, peer: String
    ) throws -> ModuleAttached {
        let checked = try check(declaration)
        let heartbeat = Duration.milliseconds(declaration.heartbeatMs ?? 1000)
        let timeout = Duration.milliseconds(declaration.commandTimeoutMs ?? 10_000)
        let session = EntityID.next()
        let now = ContinuousClock.now
        let previous = state.withLock { $0.modules[declaration.name] }
        if previous != nil { bus.unregister(module: declaration.name) }
        journal.declare(module: declaration.name, publishes: [], untyped: checked.events.map(\.topic))
        for command in checked.commands {
            let name = declaration.name
            try bus.register(untyped: command, module: name) { [weak self] args, scope in
                guard let self else { throw ConcordError.unavailable("the daemon is stopping") }
                return try await self.call(name, command: command, args: args, scope: scope)
            }
        }
        let failed = state.withLock { state -> [Call] in
            // Calls sent over the replaced connection get no answer from it.
            let orphaned = state.calls.filter { $0.value.module == declaration.name }
            for id in orphaned.keys { state.calls[id] = nil }
            state.modules[declaration.name] = Module(
                name: declaration.name, version: declaration.version, namespaces: checked.namespaces,
                commands: checked.commands, events: checked.events, link: link, linkID: linkID, session: session,
                peer: peer, heartbeat: heartbeat, commandTimeout: timeout, lastHeard: now, lastSent: now,
                attachedAt: Date(), attached: true,
                calls: previous?.calls ?? 0, timedOut: previous?.timedOut ?? 0, lateReplies: previous?.lateReplies ?? 0)
            if state.ticker == nil {
                state.ticker = Task { [weak self] in await self?.tick() }
            }
            return Array(orphaned.values)
        }
        for call in failed {
            call.continuation.resume(
                throwing: ConcordError.unavailable(
                    "module \"\(declaration.name)\" attached again before it answered; retry the command"))
        }
        changed()
        logger.notice(
            previous == nil ? "external module attached" : "external module attached again",
            metadata: [
                "module": "\(declaration.name)", "version": "\(declaration.version)", "peer": "\(peer)",
                "commands": "\(checked.commands.count)",
            ])
        return ModuleAttached(
            name: declaration.name, session: session, heartbeatMs: Int(heartbeat.milliseconds),
            silenceLimitMs: Int((heartbeat * 3).milliseconds), commandTimeoutMs: Int(timeout.milliseconds))
    }

    /// Detaches the module attached from `linkID`, if one is; its commands answer `unavailable` from now on.
    @discardableResult
    public func detach(linkID: LinkID, reason: String) -> Bool {
        guard let name = state.withLock({ $0.modules.values.first { $0.linkID == linkID && $0.attached }?.name })
        else { return false }
        detach(name, reason: reason)
        return true
    }

    private func detach(_ name: String, reason: String) {
        let failed = state.withLock { state -> [Call] in
            guard state.modules[name]?.attached == true else { return [] }
            state.modules[name]?.attached = false
            state.modules[name]?.detachReason = reason
            state.modules[name]?.inFlight = 0
            let orphaned = state.calls.filter { $0.value.module == name }
            for id in orphaned.keys { state.calls[id] = nil }
            return Array(orphaned.values)
        }
        for call in failed {
            call.continuation.resume(throwing: Self.detached(name, reason))
        }
        changed()
        logger.warning("external module detached", metadata: ["module": "\(name)", "reason": "\(reason)"])
    }

    private static func detached(_ name: String, _ reason: String) -> ConcordError {
        ConcordError(
            .unavailable, "module \"\(name)\" is detached (\(reason)); retry once it attaches again",
            details: ["module": .string(name), "retry_after_ms": 1000])
    }

    /// What the declaration attaches, checked against itself and the modules there are.
    private func check(_ declaration: AttachModule) throws -> (
        namespaces: [String], commands: [UntypedCommand], events: [UntypedEventDeclaration]
    ) {
        let name = declaration.name
        guard Self.isWord(name) else {
            throw ConcordError.badRequest(
                "args.name: expected a lowercase word such as \"monitoring\" (letters, digits, _), got \"\(name)\"")
        }
        guard !declaration.version.isEmpty else { throw ConcordError.badRequest("args.version: expected a version") }
        let namespaces = declaration.namespaces ?? [name]
        for (index, namespace) in namespaces.enumerated() where !Self.isWord(namespace) {
            throw ConcordError.badRequest(
                "args.namespaces[\(index)]: expected a lowercase word, got \"\(namespace)\"")
        }
        if let heartbeat = declaration.heartbeatMs, !(100...60_000).contains(heartbeat) {
            throw ConcordError.badRequest("args.heartbeat_ms: expected 100 to 60000, got \(heartbeat)")
        }
        if let timeout = declaration.commandTimeoutMs, !(100...300_000).contains(timeout) {
            throw ConcordError.badRequest("args.command_timeout_ms: expected 100 to 300000, got \(timeout)")
        }
        let reserved = ["system", "events"]
        for other in builtIn() + reserved.map({ ("system", [$0]) }) {
            if other.name == name {
                throw ConcordError.conflict("module name \"\(name)\" is taken by a module of the daemon")
            }
            if let shared = namespaces.first(where: other.namespaces.contains) {
                throw ConcordError.conflict(
                    "module \"\(name)\" claims the namespace \"\(shared)\", which module \"\(other.name)\" owns")
            }
        }
        let others = state.withLock { $0.modules.values.filter { $0.name != name } }
        for other in others {
            if let shared = namespaces.first(where: other.namespaces.contains) {
                throw ConcordError.conflict(
                    "module \"\(name)\" claims the namespace \"\(shared)\", which module \"\(other.name)\" owns")
            }
        }
        func owned(_ topic: Topic, _ field: String) throws {
            guard namespaces.contains(where: { $0 == topic.namespace }) else {
                throw ConcordError.badRequest(
                    "\(field): \(topic) is outside the module's namespaces (\(namespaces.joined(separator: ", ")))")
            }
        }
        guard !declaration.commands.isEmpty else {
            throw ConcordError.badRequest("args.commands: expected at least one command the module handles")
        }
        var seen: Set<String> = []
        let commands = try declaration.commands.enumerated().map { index, command -> UntypedCommand in
            let field = "args.commands[\(index)].command"
            let topic = try Self.topic(command.command, field)
            try owned(topic, field)
            guard seen.insert(topic.rawValue).inserted else {
                throw ConcordError.badRequest("\(field): \(topic) is declared twice")
            }
            return UntypedCommand(
                topic: topic, isMutating: command.mutating ?? true, execution: .inline,
                argsSchema: command.argsSchema ?? ["type": "object"],
                replySchema: command.replySchema ?? ["type": "object"])
        }
        let events = try (declaration.events ?? []).enumerated().map { index, event -> UntypedEventDeclaration in
            let field = "args.events[\(index)].topic"
            let topic = try Self.topic(event.topic, field)
            try owned(topic, field)
            guard seen.insert(topic.rawValue).inserted else {
                throw ConcordError.badRequest("\(field): \(topic) is declared twice")
            }
            return UntypedEventDeclaration(topic: topic, payloadSchema: event.payloadSchema ?? ["type": "object"])
        }
        return (namespaces, commands, events)
    }

    private static func topic(_ text: String, _ field: String) throws -> Topic {
        guard let topic = try? Topic(validating: text) else {
            throw ConcordError.badRequest(
                "\(field): expected lowercase dot-separated words such as \"monitoring.report.submit\", got \"\(text)\""
            )
        }
        return topic
    }

    private static func isWord(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64
            && text.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }

    // MARK: Calls

    /// Sends a command to its module and waits for the reply; journals the reply's events before answering.
    private func call(_ name: String, command: UntypedCommand, args: JSONValue, scope: CommandScope) async throws
        -> Data
    {
        let context = scope.context
        let reply = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<JSONObject, any Error>) in
            let sent = state.withLock { state -> (any ModuleLink, [UInt8])? in
                guard var module = state.modules[name], module.attached else { return nil }
                state.nextCall += 1
                let id = "\(module.session.suffix(12))-\(state.nextCall)"
                module.calls += 1
                module.inFlight += 1
                state.modules[name] = module
                state.calls[id] = Call(
                    module: name, deadline: .now + module.commandTimeout, continuation: continuation)
                let message: JSONObject = [
                    "type": "command", "call": .string(id), "command": .string(command.topic.rawValue), "args": args,
                    "caller": .string(context.caller), "role": context.role.map(JSONValue.string) ?? .null,
                    "request_id": context.requestID.map(JSONValue.string) ?? .null,
                    "idempotency_key": context.idempotencyKey.map(JSONValue.string) ?? .null,
                    "timeout_ms": .int(Int64(module.commandTimeout.milliseconds)), "session": .string(module.session),
                ]
                return (module.link, Array((try? JSONStreamEncoder.encode(JSONValue.object(message))) ?? Data()))
            }
            guard let (link, message) = sent else {
                let reason = state.withLock { $0.modules[name]?.detachReason } ?? "not attached"
                continuation.resume(throwing: Self.detached(name, reason))
                return
            }
            if !link.send(message) { detach(name, reason: "its connection cannot take messages") }
        }
        let result = reply["result"] ?? .null
        guard case .array(let events)? = reply["events"], !events.isEmpty else {
            return try JSONStreamEncoder.encode(result)
        }
        guard command.isMutating else {
            throw ConcordError(.internal, "module \"\(name)\" answered the query \(command.topic) with events")
        }
        var pending: [(Topic, Data)] = []
        for (index, event) in events.enumerated() {
            guard case .object(let fields) = event, case .string(let text)? = fields["topic"],
                let topic = try? Topic(validating: text)
            else {
                throw ConcordError(
                    .internal, "module \"\(name)\" answered \(command.topic) with events[\(index)] that has no topic")
            }
            pending.append((topic, try JSONStreamEncoder.encode(fields["payload"] ?? .object([:]))))
        }
        let kept = pending
        let committed = try await journal.write(module: name) { transaction in
            for (topic, payload) in kept { transaction.emit(untyped: topic, json: payload) }
            return result
        }
        return try JSONStreamEncoder.encode(committed)
    }

    /// Takes a message an attached module sent (a reply or a heartbeat); throws when it cannot be taken, with what
    /// to tell the module.
    public func received(_ message: JSONObject, from linkID: LinkID) throws {
        let name = state.withLock { state -> String? in
            guard let name = state.modules.values.first(where: { $0.linkID == linkID && $0.attached })?.name else {
                return nil
            }
            state.modules[name]?.lastHeard = .now
            return name
        }
        guard let name else {
            throw ConcordError(
                .unavailable, "this connection has no module attached; send system.module.attach first")
        }
        switch message["type"] {
        case "heartbeat"?:
            return
        case "reply"?:
            guard case .string(let id)? = message["call"] else {
                throw ConcordError.badRequest("call: missing; a reply names the call it answers")
            }
            let call = state.withLock { state -> Call? in
                guard let call = state.calls.removeValue(forKey: id), call.module == name else {
                    state.modules[name]?.lateReplies += 1
                    return nil
                }
                state.modules[name]?.inFlight -= 1
                return call
            }
            guard let call else {
                logger.notice(
                    "a reply came after its call was answered; it is dropped",
                    metadata: ["module": "\(name)", "call": "\(id)"])
                return
            }
            switch message["ok"] {
            case .bool(true)?:
                call.continuation.resume(returning: message)
            case .bool(false)?:
                call.continuation.resume(throwing: Self.error(in: message, module: name))
            default:
                call.continuation.resume(
                    throwing: ConcordError(.internal, "module \"\(name)\" answered without ok: true or false"))
            }
        default:
            throw ConcordError.badRequest(
                "type: expected \"reply\" or \"heartbeat\" from an attached module, got \(message["type"].map(CommandArguments.describe) ?? "nothing")"
            )
        }
    }

    private static func error(in message: JSONObject, module: String) -> ConcordError {
        message["error"].flatMap(ConcordError.init(wireObject:))
            ?? ConcordError(.internal, "module \"\(module)\" answered an error without a known code and message")
    }

    // MARK: Heartbeats and timeouts

    private func tick() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(25))
            let now = ContinuousClock.now
            let (expired, silent, beats) = state.withLock { state -> ([(String, Call)], [String], [any ModuleLink]) in
                var expired: [(String, Call)] = []
                for (id, call) in state.calls where call.deadline <= now {
                    state.calls[id] = nil
                    state.modules[call.module]?.inFlight -= 1
                    state.modules[call.module]?.timedOut += 1
                    expired.append((id, call))
                }
                var silent: [String] = []
                var beats: [any ModuleLink] = []
                for (name, module) in state.modules where module.attached {
                    if now - module.lastHeard > module.silenceLimit {
                        silent.append(name)
                    } else if now - module.lastSent >= module.heartbeat {
                        state.modules[name]?.lastSent = now
                        beats.append(module.link)
                    }
                }
                return (expired, silent, beats)
            }
            for (_, call) in expired {
                call.continuation.resume(
                    throwing: ConcordError(
                        .unavailable, "module \"\(call.module)\" did not answer in time; retry the command",
                        details: ["module": .string(call.module), "retry_after_ms": 1000]))
            }
            for name in silent {
                detach(name, reason: "no heartbeat for three intervals")
            }
            for link in beats { _ = link.send(Self.heartbeat) }
        }
    }

    private static let heartbeat = Array(#"{"type":"heartbeat"}"#.utf8)

    /// Stops the heartbeats and answers the calls in flight `unavailable`.
    func stop() {
        let (ticker, calls) = state.withLock { state in
            defer {
                state.ticker = nil
                state.calls = [:]
            }
            return (state.ticker, Array(state.calls.values))
        }
        ticker?.cancel()
        for call in calls { call.continuation.resume(throwing: ConcordError.unavailable("the daemon is stopping")) }
    }

    // MARK: Status and catalog

    /// The attached and detached modules, for `system.status`.
    var states: [ModuleState] {
        state.withLock { $0.modules.values.sorted { $0.name < $1.name } }.map { module in
            var details: JSONObject = [
                "peer": .string(module.peer), "attached_at": .string(EnvelopeTime.format(module.attachedAt)),
                "heartbeat_ms": .int(Int64(module.heartbeat.milliseconds)),
                "command_timeout_ms": .int(Int64(module.commandTimeout.milliseconds)),
                "in_flight": .int(Int64(module.inFlight)), "calls": .int(Int64(module.calls)),
                "timed_out": .int(Int64(module.timedOut)), "late_replies": .int(Int64(module.lateReplies)),
            ]
            if let reason = module.detachReason, !module.attached { details["detached_because"] = .string(reason) }
            return ModuleState(
                name: module.name, version: module.version, state: module.attached ? .running : .detached,
                details: .object(["external": .object(details)]))
        }
    }

    /// The events the external modules declared, for `system.catalog`.
    var events: [(module: String, events: [UntypedEventDeclaration])] {
        state.withLock { $0.modules.values.map { ($0.name, $0.events) } }
    }

    /// The namespaces the external modules claim, so a plugin cannot take one.
    var namespaces: [(name: String, namespaces: [String])] {
        state.withLock { $0.modules.values.map { ($0.name, $0.namespaces) } }
    }
}
