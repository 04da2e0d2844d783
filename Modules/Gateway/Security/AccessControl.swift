import ConcordKit
import Foundation
import Logging
import Synchronization
import ZeroMQ

/// Authentication and roles: under CURVE, a ZAP handler admits only listed keys, and every command is
/// checked against the allowlist as it is now, so a key removed from it is refused at its next command.
final class AccessControl: Sendable {
    /// Commands that need the admin role (system administration).
    static let adminCommands: Set<String> = ["system.allowlist.reload"]
    /// Commands that attach and detach external modules: the module or admin role.
    static let moduleCommands: Set<String> = ["system.module.attach", "system.module.detach"]

    let security: GatewaySecurity
    private let logger: Logger
    private let allowlist: Mutex<Allowlist>
    private let refused = Atomic<UInt64>(0)
    private let zapRunning = Atomic<Bool>(false)
    private let zapFinished = Mutex<DispatchSemaphore?>(nil)

    init(security: GatewaySecurity, logger: Logger) throws {
        self.security = security
        self.logger = logger
        switch security {
        case .none:
            allowlist = Mutex(Allowlist(entries: [:]))
        case .curve(let secretKey, let path):
            _ = try ZMQCurveKeyPair.publicKey(forSecret: secretKey)
            allowlist = Mutex(try Allowlist.load(path: path))
        }
    }

    var refusedConnections: UInt64 { refused.load(ordering: .relaxed) }

    /// Re-reads the allowlist and returns how many keys it holds; a file that does not parse leaves the
    /// current list in force.
    @discardableResult
    func reload() -> Int {
        guard case .curve(_, let path) = security else { return 0 }
        do {
            let fresh = try Allowlist.load(path: path)
            allowlist.withLock { $0 = fresh }
            logger.notice("allowlist reloaded", metadata: ["path": "\(path)", "keys": "\(fresh.entries.count)"])
            return fresh.entries.count
        } catch {
            logger.error("allowlist not reloaded; the previous one stays in force", metadata: ["error": "\(error)"])
            return allowlist.withLock { $0.entries.count }
        }
    }

    /// Makes `socket` a CURVE server authenticated by the ZAP handler (before bind).
    func configureServer(_ socket: ZMQSocket) throws {
        guard case .curve(let secretKey, _) = security else { return }
        try socket.set(ZMQOption.curveServer, Int32(1))
        try socket.setCurveKey(ZMQOption.curveSecretKey, z85: secretKey)
        try socket.set(ZMQOption.zapDomain, string: "concord")
    }

    /// Why `command` is refused to the key named by `userID`, or `nil` when it may run.
    func check(command: String, mutating: Bool?, userID: String?) -> ConcordError? {
        guard case .curve = security else { return nil }
        guard let userID, let entry = allowlist.withLock({ $0.entries[userID] }) else {
            return ConcordError(.forbidden, "this client's key is no longer in the allowlist")
        }
        if Self.moduleCommands.contains(command) {
            guard entry.role == .module || entry.role == .admin else {
                return ConcordError(
                    .forbidden,
                    "\(command) needs the module or admin role; key \"\(entry.name)\" has the \(entry.role) role",
                    details: ["needed_role": "module", "role": .string(entry.role.description)]
                )
            }
            return nil
        }
        let needed: Allowlist.Role =
            Self.adminCommands.contains(command) ? .admin : (mutating == true ? .operator : .reader)
        guard entry.role >= needed else {
            return ConcordError(
                .forbidden,
                "\(command) needs the \(needed) role; key \"\(entry.name)\" has the \(entry.role) role",
                details: ["needed_role": .string(needed.description), "role": .string(entry.role.description)]
            )
        }
        return nil
    }

    /// The allowlist's role of a client key, or `nil` without CURVE.
    func roleName(_ userID: String?) -> String? {
        guard let userID else { return nil }
        return allowlist.withLock { $0.entries[userID]?.role.description }
    }

    /// The allowlist's name for a client key, or `client` without CURVE.
    func callerName(_ userID: String?) -> String {
        guard let userID else { return "client" }
        return allowlist.withLock { $0.entries[userID]?.name } ?? userID
    }

    // MARK: ZAP (RFC 27)

    /// Starts the ZAP handler on its own thread; returns once it listens, before any server socket binds.
    func startZAP(context: ZMQContext) throws {
        guard case .curve = security else { return }
        let ready = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let outcome = Mutex<(any Error)?>(nil)
        zapRunning.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            let socket: ZMQSocket
            do {
                socket = try context.socket(.rep)
                try socket.set(ZMQOption.linger, Int32(0))
                try socket.set(ZMQOption.receiveTimeout, Int32(200))
                try socket.bind("inproc://zeromq.zap.01")
            } catch {
                outcome.withLock { $0 = error }
                ready.signal()
                finished.signal()
                return
            }
            ready.signal()
            while zapRunning.load(ordering: .acquiring) {
                guard let request = try? socket.receive(wait: true) else { continue }
                try? socket.send(answer(request.frames))
            }
            socket.close()
            finished.signal()
        }
        thread.name = "concord-zap"
        thread.start()
        ready.wait()
        zapFinished.withLock { $0 = finished }
        if let error = outcome.withLock({ $0 }) { throw error }
    }

    func stopZAP() {
        zapRunning.store(false, ordering: .releasing)
        zapFinished.withLock { $0 }?.wait()
        zapFinished.withLock { $0 = nil }
    }

    func stop() {
        stopZAP()
    }

    /// Answers one ZAP request: 200 with the key as user id for a listed key, 400 otherwise.
    private func answer(_ frames: [[UInt8]]) -> [[UInt8]] {
        guard frames.count >= 6 else {
            return [Array("1.0".utf8), [], Array("500".utf8), Array("bad request".utf8), [], []]
        }
        let version = frames[0]
        let requestID = frames[1]
        let mechanism = String(decoding: frames[5], as: UTF8.self)
        var userID: String?
        if mechanism == "CURVE", frames.count >= 7, frames[6].count == 32 {
            let key = ZMQCurveKeyPair.z85(frames[6])
            if allowlist.withLock({ $0.entries[key] }) != nil { userID = key }
        }
        guard let userID else {
            refused.add(1, ordering: .relaxed)
            logger.notice("connection refused: key not in the allowlist", metadata: ["mechanism": "\(mechanism)"])
            return [version, requestID, Array("400".utf8), Array("key not in the allowlist".utf8), [], []]
        }
        return [version, requestID, Array("200".utf8), Array("OK".utf8), Array(userID.utf8), []]
    }
}
