import CConcordPlugin
import Foundation
import Logging
import Synchronization

/// The host's table as the plugin calls it: each call's JSON built here, each answer checked.
struct HostCalls: @unchecked Sendable {
    // The table is the host's, valid until the plugin's stop has answered; its functions are thread-safe.
    let table: concord_host_v1

    var now: Date { Date(timeIntervalSince1970: table.now?(table.host) ?? Date().timeIntervalSince1970) }

    func log(_ level: Logger.Level, _ message: String) {
        let code: Int32 =
            switch level {
            case .trace: 0
            case .debug: 1
            case .info: 2
            case .notice: 3
            case .warning: 4
            case .error, .critical: 5
            }
        message.withBytes { bytes, count in table.log?(table.host, code, bytes, count) }
    }

    func send(_ topic: String, args: Data) async throws -> Data {
        let scope = HostScope.current
        return try await CallBridge.awaitResult { token, result in
            topic.withBytes { topicBytes, topicCount in
                args.withBytes { bytes, count in
                    table.send?(table.host, scope.pointer, topicBytes, topicCount, bytes, count, token, result)
                }
            }
        }.get()
    }

    func write(body: WriteBody) async throws {
        let scope = HostScope.current
        let outcome = await CallBridge.awaitResult { token, result in
            withExtendedLifetime(body) {
                table.write?(
                    table.host, scope.pointer, Unmanaged.passUnretained(body).toOpaque(), runWriteBody, token, result)
            }
        }
        // The body's own error says more than the roll-back the host reports for it.
        if let error = body.error { throw error }
        _ = try outcome.get()
    }

    func read(_ request: Data) async throws -> Data {
        try await CallBridge.awaitResult { token, result in
            request.withBytes { bytes, count in table.read?(table.host, bytes, count, token, result) }
        }.get()
    }

    func transaction(_ handle: OpaqueHandle, _ request: Data) throws -> Data {
        try CallBridge.resultNow { token, result in
            request.withBytes { bytes, count in table.transaction?(handle.pointer, bytes, count, token, result) }
        }.get()
    }

    func subscribe(_ prefix: String) {
        prefix.withBytes { bytes, count in table.subscribe?(table.host, bytes, count) }
    }
}

/// A write's body and what it left, kept across the host's call back into the plugin.
final class WriteBody: @unchecked Sendable {
    // Set by `run`, on the host's writer thread, before the host answers the write; read after that answer.
    private let body: (OpaqueHandle) throws -> Void
    private(set) var error: (any Error)?

    init(_ body: @escaping (OpaqueHandle) throws -> Void) { self.body = body }

    func run(_ transaction: OpaqueHandle) -> Int32 {
        do {
            try body(transaction)
            return CONCORD_OK
        } catch {
            self.error = error
            return CONCORD_ERROR
        }
    }
}

private let runWriteBody: concord_write_body_fn = { token, transaction in
    guard let token else { return CONCORD_ERROR }
    return Unmanaged<WriteBody>.fromOpaque(token).takeUnretainedValue().run(OpaqueHandle(transaction))
}

/// The daemon's clock, read across the boundary; sleeping waits on the system clock.
struct HostClock: WallClock {
    let host: HostCalls

    func now() -> Date { host.now }

    func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSince(host.now)
        if seconds > 0 { try await Task.sleep(for: .seconds(seconds)) }
    }
}

/// Logs through the daemon, under the plugin's name.
struct HostLogHandler: LogHandler {
    let host: HostCalls
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let suffix = merged.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        host.log(event.level, "\(event.message)\(suffix)")
    }
}

/// The plugin's store across the boundary: each write runs the body inside the host's transaction.
struct HostStore: PluginStore {
    let host: HostCalls

    func write<T: Sendable>(_ body: @escaping @Sendable (any PluginTransaction) throws -> T) async throws -> T {
        let value = Mutex<T?>(nil)
        let write = WriteBody { handle in
            let result = try body(HostTransaction(host: host, handle: handle))
            value.withLock { $0 = result }
        }
        try await host.write(body: write)
        guard let result = value.withLock({ $0 }) else {
            throw ConcordError(.internal, "the host committed a write whose body did not run")
        }
        return result
    }

    func read(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow] {
        let request = try JSONStreamEncoder.encode(
            JSONValue.object(["sql": .string(sql), "arguments": .array(arguments.map(\.json))]))
        return try HostTransaction.rows(from: try await host.read(request))
    }
}

/// One write's transaction across the boundary: each call is a JSON request the host answers before it returns.
struct HostTransaction: PluginTransaction {
    let host: HostCalls
    let handle: OpaqueHandle
    let now: Date

    init(host: HostCalls, handle: OpaqueHandle) {
        self.host = host
        self.handle = handle
        self.now = host.now
    }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> SQLChanges {
        let reply = try call(["op": "execute", "sql": .string(sql), "arguments": .array(arguments.map(\.json))])
        guard case .object(let fields)? = JSONValue.parse(reply), case .int(let changes)? = fields["changes"],
            case .int(let rowID)? = fields["last_insert_rowid"]
        else { throw ConcordError(.internal, "the host answered an execute without its changes") }
        return SQLChanges(changes: Int(changes), lastInsertRowID: rowID)
    }

    func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        try Self.rows(
            from: try call(["op": "query", "sql": .string(sql), "arguments": .array(arguments.map(\.json))]))
    }

    func emit<E: Event>(_ event: E) throws {
        _ = try call(["op": "emit", "topic": .string(E.topic.rawValue), "payload": try JSONValue(encoding: event)])
    }

    func schedule<E: Event>(_ event: E, at due: Date, key: String) throws {
        _ = try call([
            "op": "schedule", "key": .string(key), "due": .double(due.timeIntervalSince1970),
            "topic": .string(E.topic.rawValue), "payload": try JSONValue(encoding: event),
        ])
    }

    func cancelTimer(key: String) throws {
        _ = try call(["op": "cancel_timer", "key": .string(key)])
    }

    private func call(_ request: JSONObject) throws -> Data {
        try host.transaction(handle, try JSONStreamEncoder.encode(JSONValue.object(request)))
    }

    static func rows(from reply: Data) throws -> [SQLRow] {
        guard case .object(let fields)? = JSONValue.parse(reply), case .array(let rows)? = fields["rows"] else {
            throw ConcordError(.internal, "the host answered a query without rows")
        }
        return rows.map { row in
            guard case .object(let columns) = row else { return SQLRow(columns: [:]) }
            var values: [String: SQLValue] = [:]
            for (name, value) in columns { values[name] = SQLValue(json: value) ?? .null }
            return SQLRow(columns: values)
        }
    }
}
