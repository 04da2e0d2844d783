import CConcordPlugin
import Foundation
import Logging
import Synchronization

/// A started plugin, on the plugin's side of the C boundary: its module, its handlers and subscriptions, and the
/// host's table it calls back through.
final class PluginInstance: Sendable {
    /// A command handler as it is called across the boundary: args as JSON, the reply as JSON text.
    struct Handler: Sendable {
        let topic: String
        let isMutating: Bool
        let execution: CommandExecution
        let argsSchema: JSONValue
        let replySchema: JSONValue
        let invoke: @Sendable (JSONValue, CommandContext) async throws -> Data
    }

    struct Subscription: Sendable {
        let prefix: String
        let handler: @Sendable (Envelope<JSONValue>) async -> Void
    }

    private struct State {
        var module: (any PluginModule)?
        var context: PluginContext?
        var handlers: [String: Handler] = [:]
        var subscriptions: [Subscription] = []
    }

    let host: HostCalls
    let configuration: Data
    private let state = Mutex(State())

    init(host: concord_host_v1, configuration: Data) {
        self.host = HostCalls(table: host)
        self.configuration = configuration
    }

    var context: PluginContext? { state.withLock { $0.context } }

    /// Makes the module and starts it; answers the commands it registered.
    func start(_ type: any PluginModule.Type) async -> Result<Data, any Error> {
        let module = type.init()
        let descriptor = type.descriptor
        var values: [String: String] = [:]
        if case .object(let members)? = JSONValue.parse(configuration) {
            for (key, value) in members {
                if case .string(let text) = value { values[key] = text }
            }
        }
        let context = PluginContext(
            name: descriptor.name, clock: HostClock(host: host),
            logger: Logger(label: "concordd.plugin.\(descriptor.name)") { _ in HostLogHandler(host: self.host) },
            configuration: ModuleConfiguration(module: descriptor.name, values: values),
            store: HostStore(host: host), namespaces: descriptor.namespaces, backend: Backend(instance: self))
        state.withLock {
            $0.module = module
            $0.context = context
        }
        do {
            try await module.start(context: context)
        } catch {
            await context.tasks.shutdown()
            return .failure(error)
        }
        let commands = state.withLock { $0.handlers.values.sorted { $0.topic < $1.topic } }.map { handler in
            JSONValue.object([
                "command": .string(handler.topic), "mutating": .bool(handler.isMutating),
                "execution": .string(handler.execution == .inline ? "inline" : "pool"),
                "args_schema": handler.argsSchema, "reply_schema": handler.replySchema,
            ])
        }
        return Result { try JSONStreamEncoder.encode(JSONValue.object(["commands": .array(commands)])) }
    }

    func handle(_ topic: String, args: Data, context: Data, scope: OpaqueHandle) async -> Result<Data, any Error> {
        guard let handler = state.withLock({ $0.handlers[topic] }) else {
            return .failure(ConcordError.unknownCommand(topic))
        }
        guard let value = JSONValue.parse(args.isEmpty ? Data("{}".utf8) : args) else {
            return .failure(ConcordError.badRequest("args: expected a JSON object, got text that is not JSON"))
        }
        var commandContext = CommandContext(caller: "internal")
        if case .object(let meta)? = JSONValue.parse(context) {
            if case .string(let id)? = meta["request_id"] { commandContext.requestID = id }
            if case .string(let key)? = meta["idempotency_key"] { commandContext.idempotencyKey = key }
            if case .string(let caller)? = meta["caller"] { commandContext.caller = caller }
            if case .string(let role)? = meta["role"] { commandContext.role = role }
        }
        commandContext.command = topic
        let scoped = commandContext
        do {
            return .success(
                try await HostScope.$current.withValue(scope) {
                    try await CommandContext.$current.withValue(scoped) { try await handler.invoke(value, scoped) }
                })
        } catch {
            return .failure(error)
        }
    }

    func deliver(_ batch: Data) async {
        guard case .array(let envelopes)? = JSONValue.parse(batch) else { return }
        let subscriptions = state.withLock { $0.subscriptions }
        for envelope in envelopes {
            guard case .object(let fields) = envelope, case .string(let topicText)? = fields["topic"],
                let topic = try? Topic(validating: topicText)
            else { continue }
            var seq: UInt64?
            if case .int(let value)? = fields["seq"] { seq = UInt64(value) }
            var time = Date(timeIntervalSince1970: 0)
            if case .string(let text)? = fields["time"], let parsed = EnvelopeTime.parse(text) { time = parsed }
            var source = ""
            if case .string(let text)? = fields["source"] { source = text }
            var correlation: String?
            if case .string(let text)? = fields["correlation_id"] { correlation = text }
            var id = UUID()
            if case .string(let text)? = fields["id"], let parsed = UUID(uuidString: text) { id = parsed }
            let typed = Envelope(
                seq: seq, id: id, topic: topic, time: time, source: source, correlationID: correlation,
                payload: fields["payload"] ?? .null)
            for subscription in subscriptions where topic.hasPrefix(subscription.prefix) {
                await subscription.handler(typed)
            }
        }
    }

    func stop() async {
        let (module, context) = state.withLock { ($0.module, $0.context) }
        guard let module, let context else { return }
        await module.stop(context: context)
        await context.tasks.shutdown()
    }

    /// The context's backend: registrations kept here, sends and subscriptions through the host.
    private struct Backend: PluginBackend {
        let instance: PluginInstance

        func register<C: Command>(_ type: C.Type, execution: CommandExecution, handler: @escaping CommandHandler<C>)
            throws
        {
            let known = CommandArguments.knownFields(of: C.self)
            let entry = Handler(
                topic: C.topic.rawValue, isMutating: C.isMutating, execution: execution,
                argsSchema: JSONSchema.of(C.self), replySchema: JSONSchema.of(C.Reply.self)
            ) { args, context in
                let command = try CommandArguments.decode(C.self, from: args, knownFields: known)
                return try JSONStreamEncoder.encode(try await handler(command, context))
            }
            try instance.state.withLock { state in
                guard state.handlers[entry.topic] == nil else {
                    throw ConcordError(.conflict, "the plugin registers \(entry.topic) twice")
                }
                state.handlers[entry.topic] = entry
            }
        }

        func send<C: Command>(_ command: C) async throws -> C.Reply {
            let reply = try await instance.host.send(C.topic.rawValue, args: try JSONStreamEncoder.encode(command))
            return try ConcordJSON.decoder().decode(C.Reply.self, from: reply)
        }

        func subscribe(
            prefix: String, tasks: ModuleTasks, _ handler: @escaping @Sendable (Envelope<JSONValue>) async -> Void
        ) {
            instance.state.withLock { $0.subscriptions.append(Subscription(prefix: prefix, handler: handler)) }
            instance.host.subscribe(prefix)
        }
    }
}

/// The scope of the command the current task handles, passed back to the host with its sends and writes.
enum HostScope {
    @TaskLocal static var current = OpaqueHandle(nil)
}
