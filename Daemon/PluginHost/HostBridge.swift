import Bus
import CConcordPlugin
import ConcordKit
import Foundation
import GRDB
import Logging
import Synchronization

/// The daemon's side of one plugin's C boundary: the `concord_host_v1` table the plugin calls, and the calls into
/// the plugin's table.
final class HostBridge: Sendable {
    let context: ModuleContext
    let table: PluginTable
    private let host: OpaqueHandle
    private let instance = Mutex<OpaqueHandle?>(nil)

    init(context: ModuleContext, table: PluginTable) {
        self.context = context
        self.table = table
        let host = UnsafeMutablePointer<concord_host_v1>.allocate(capacity: 1)
        self.host = OpaqueHandle(UnsafeMutableRawPointer(host))
        host.initialize(
            to: concord_host_v1(
                abi_version: CONCORD_PLUGIN_ABI_VERSION, size: UInt32(MemoryLayout<concord_host_v1>.size),
                host: Unmanaged.passUnretained(self).toOpaque(), now: hostNow, log: hostLog, send: hostSend,
                write: hostWrite, read: hostRead, transaction: hostTransaction, subscribe: hostSubscribe))
    }

    deinit {
        host.pointer?.assumingMemoryBound(to: concord_host_v1.self).deallocate()
    }

    private var hostTable: UnsafePointer<concord_host_v1> {
        UnsafePointer(host.pointer!.assumingMemoryBound(to: concord_host_v1.self))
    }

    // MARK: Calls into the plugin

    /// Starts the plugin; answers what its start answered (its commands).
    func start(configuration: Data) async throws -> Data {
        let table = self.table.table
        let result = await CallBridge.awaitResult { token, result in
            let made = configuration.withBytes { bytes, count in table.start?(hostTable, bytes, count, token, result) }
            instance.withLock { $0 = OpaqueHandle(made) }
        }
        return try result.get()
    }

    func handle(_ topic: String, args: JSONValue, scope: CommandScope) async throws -> Data {
        guard let instance = instance.withLock({ $0 }) else {
            throw ConcordError.unavailable("plugin \"\(context.name)\" is not running")
        }
        let table = self.table.table
        let argsJSON = try JSONStreamEncoder.encode(args)
        var meta: JSONObject = ["caller": .string(scope.context.caller)]
        if let id = scope.context.requestID { meta["request_id"] = .string(id) }
        if let key = scope.context.idempotencyKey { meta["idempotency_key"] = .string(key) }
        if let role = scope.context.role { meta["role"] = .string(role) }
        let metaJSON = try JSONStreamEncoder.encode(JSONValue.object(meta))
        let box = Unmanaged.passRetained(ScopeBox(scope))
        defer { box.release() }
        return try await CallBridge.awaitResult { token, result in
            topic.withBytes { topicBytes, topicCount in
                argsJSON.withBytes { argsBytes, argsCount in
                    metaJSON.withBytes { metaBytes, metaCount in
                        table.handle?(
                            instance.pointer, box.toOpaque(), topicBytes, topicCount, argsBytes, argsCount, metaBytes,
                            metaCount, token, result)
                    }
                }
            }
        }.get()
    }

    func status() async -> JSONValue {
        guard let instance = instance.withLock({ $0 }) else { return .null }
        let table = self.table.table
        let result = await CallBridge.awaitResult { token, result in table.status?(instance.pointer, token, result) }
        return (try? result.get()).flatMap { JSONValue.parse($0) } ?? .null
    }

    func stop() async {
        guard
            let instance = instance.withLock({ value in
                defer { value = nil }; return value
            })
        else { return }
        let table = self.table.table
        _ = await CallBridge.awaitResult { token, result in table.stop?(instance.pointer, token, result) }
    }

    // MARK: What the plugin calls

    fileprivate func send(_ topic: String, args: Data, scope: CommandScope?) async -> Result<Data, any Error> {
        let context = CommandContext(requestID: scope?.context.requestID, caller: self.context.name)
        guard let bus = self.context.bus as? LocalMessageBus else {
            return .failure(ConcordError(.internal, "the plugin's host has no bus to send on"))
        }
        do {
            return .success(try await bus.dispatch(command: topic, args: args, context: context))
        } catch {
            return .failure(error)
        }
    }

    fileprivate func write(scope: CommandScope?, body: @escaping @Sendable (WriteTransaction) throws -> Void) async
        -> Result<Data, any Error>
    {
        do {
            let store = context.store
            if let scope {
                try await scope.enter { try await store.write(body) }
            } else {
                try await store.write(body)
            }
            return .success(Data("null".utf8))
        } catch {
            return .failure(error)
        }
    }

    fileprivate func read(_ request: Data) async -> Result<Data, any Error> {
        do {
            let (sql, arguments) = try Self.statement(in: request)
            let rows = try await context.store.read { db in try DatabaseTransaction.rows(db, sql, arguments) }
            return .success(try Self.rowsJSON(rows))
        } catch {
            return .failure(error)
        }
    }

    fileprivate func subscribe(_ prefix: String) {
        let plugin = self.table
        context.onBatches(prefix: prefix) { [weak self] batch in
            guard let self, let instance = self.instance.withLock({ $0 }) else { return }
            let events = batch.compactMap { envelope -> JSONValue? in
                guard let payload = try? JSONValue(encoding: envelope.payload) else { return nil }
                return envelope.map { _ in payload }.jsonObject
            }
            let json = try JSONStreamEncoder.encode(JSONValue.array(events))
            _ = await CallBridge.awaitResult { token, result in
                json.withBytes { bytes, count in plugin.table.deliver?(instance.pointer, bytes, count, token, result) }
            }
        }
    }

    /// The SQL and its arguments in a request `{"sql": ..., "arguments": [...]}`.
    static func statement(in request: Data) throws -> (String, [SQLValue]) {
        guard case .object(let fields)? = JSONValue.parse(request), case .string(let sql)? = fields["sql"] else {
            throw ConcordError.badRequest("expected {\"sql\": \"...\", \"arguments\": [...]}")
        }
        var arguments: [SQLValue] = []
        if case .array(let values)? = fields["arguments"] {
            for (index, value) in values.enumerated() {
                guard let argument = SQLValue(json: value) else {
                    throw ConcordError.badRequest(
                        "arguments[\(index)]: expected null, a number or a string, got \(CommandArguments.describe(value))"
                    )
                }
                arguments.append(argument)
            }
        }
        return (sql, arguments)
    }

    static func rowsJSON(_ rows: [SQLRow]) throws -> Data {
        try JSONStreamEncoder.encode(
            JSONValue.object([
                "rows": .array(
                    rows.map { row in
                        .object(
                            JSONObject(
                                uniqueKeysWithValues: row.columns.sorted { $0.key < $1.key }.map {
                                    ($0.key, $0.value.json)
                                }
                            ))
                    })
            ]))
    }
}

/// The scope of a command the plugin handles, handed to it as an opaque pointer until it replies.
private final class ScopeBox: Sendable {
    let scope: CommandScope
    init(_ scope: CommandScope) { self.scope = scope }
}

/// One write's transaction, handed to the plugin's body as an opaque pointer for the length of the body.
private final class TransactionBox {
    let transaction: WriteTransaction
    init(_ transaction: WriteTransaction) { self.transaction = transaction }

    /// Runs one request of the plugin's on the transaction.
    func perform(_ request: Data) throws -> Data {
        guard case .object(let fields)? = JSONValue.parse(request), case .string(let op)? = fields["op"] else {
            throw ConcordError.badRequest("expected a JSON object with an \"op\"")
        }
        let database = DatabaseTransaction(transaction: transaction)
        switch op {
        case "execute":
            let (sql, arguments) = try HostBridge.statement(in: request)
            let changes = try database.execute(sql, arguments)
            return try JSONStreamEncoder.encode(
                JSONValue.object([
                    "changes": .int(Int64(changes.changes)), "last_insert_rowid": .int(changes.lastInsertRowID),
                ]))
        case "query":
            let (sql, arguments) = try HostBridge.statement(in: request)
            return try HostBridge.rowsJSON(try database.query(sql, arguments))
        case "emit":
            guard case .string(let topic)? = fields["topic"], let payload = fields["payload"] else {
                throw ConcordError.badRequest("emit: expected {\"topic\", \"payload\"}")
            }
            transaction.emit(untyped: try Topic(validating: topic), json: try JSONStreamEncoder.encode(payload))
        case "schedule":
            guard case .string(let key)? = fields["key"], case .string(let topic)? = fields["topic"],
                let payload = fields["payload"]
            else { throw ConcordError.badRequest("schedule: expected {\"key\", \"due\", \"topic\", \"payload\"}") }
            let due: Double
            switch fields["due"] {
            case .double(let value)?: due = value
            case .int(let value)?: due = Double(value)
            default: throw ConcordError.badRequest("schedule.due: expected seconds since 1970")
            }
            transaction.schedule(
                untyped: try Topic(validating: topic), json: try JSONStreamEncoder.encode(payload),
                at: Date(timeIntervalSince1970: due), key: key)
        case "cancel_timer":
            guard case .string(let key)? = fields["key"] else {
                throw ConcordError.badRequest("cancel_timer: expected {\"key\"}")
            }
            transaction.cancelTimer(key: key)
        default:
            throw ConcordError.badRequest(
                "op \"\(op)\": expected execute, query, emit, schedule or cancel_timer")
        }
        return Data("{}".utf8)
    }
}

private func bridge(_ host: UnsafeMutableRawPointer?) -> HostBridge? {
    host.map { Unmanaged<HostBridge>.fromOpaque($0).takeUnretainedValue() }
}

private let hostNow: @convention(c) (UnsafeMutableRawPointer?) -> Double = { host in
    bridge(host)?.context.clock.now().timeIntervalSince1970 ?? Date().timeIntervalSince1970
}

private let hostLog: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<UInt8>?, Int) -> Void = {
    host, level, message, length in
    guard let bridge = bridge(host) else { return }
    let levels: [Logger.Level] = [.trace, .debug, .info, .notice, .warning, .error]
    bridge.context.logger.log(
        level: levels[Int(max(0, min(level, 5)))], "\(copyText(message, length))")
}

private let hostSend:
    @convention(c) (
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafePointer<UInt8>?, Int, UnsafePointer<UInt8>?, Int,
        UnsafeMutableRawPointer?, concord_result_fn?
    ) -> Void = { host, scope, topic, topicLength, args, argsLength, token, result in
        guard let bridge = bridge(host) else { return }
        let command = copyText(topic, topicLength)
        let arguments = copyBytes(args, argsLength)
        let scope = scope.map { Unmanaged<ScopeBox>.fromOpaque($0).takeUnretainedValue().scope }
        let answer = OpaqueHandle(token)
        Task {
            CallBridge.answer(await bridge.send(command, args: arguments, scope: scope), token: answer.pointer, result)
        }
    }

private let hostWrite:
    @convention(c) (
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, concord_write_body_fn?,
        UnsafeMutableRawPointer?, concord_result_fn?
    ) -> Void = { host, scope, bodyToken, body, token, result in
        guard let bridge = bridge(host), let body else { return }
        let scope = scope.map { Unmanaged<ScopeBox>.fromOpaque($0).takeUnretainedValue().scope }
        let bodyHandle = OpaqueHandle(bodyToken)
        let answer = OpaqueHandle(token)
        Task {
            let outcome = await bridge.write(scope: scope) { transaction in
                let box = TransactionBox(transaction)
                let status = withExtendedLifetime(box) {
                    body(bodyHandle.pointer, Unmanaged.passUnretained(box).toOpaque())
                }
                guard status == CONCORD_OK else {
                    throw ConcordError(.internal, "plugin \"\(transaction.module)\" rolled its write back")
                }
            }
            CallBridge.answer(outcome, token: answer.pointer, result)
        }
    }

private let hostRead:
    @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<UInt8>?, Int, UnsafeMutableRawPointer?, concord_result_fn?)
        -> Void = { host, request, length, token, result in
            guard let bridge = bridge(host) else { return }
            let data = copyBytes(request, length)
            let answer = OpaqueHandle(token)
            Task { CallBridge.answer(await bridge.read(data), token: answer.pointer, result) }
        }

private let hostTransaction:
    @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<UInt8>?, Int, UnsafeMutableRawPointer?, concord_result_fn?)
        -> Void = { transaction, request, length, token, result in
            guard let transaction else {
                CallBridge.answer(
                    .failure(ConcordError(.internal, "a transaction call outside a write body")), token: token, result)
                return
            }
            let box = Unmanaged<TransactionBox>.fromOpaque(transaction).takeUnretainedValue()
            CallBridge.answer(Result { try box.perform(copyBytes(request, length)) }, token: token, result)
        }

private let hostSubscribe: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<UInt8>?, Int) -> Void = {
    host, prefix, length in
    bridge(host)?.subscribe(copyText(prefix, length))
}
