package import CConcordPlugin
package import Foundation
import Synchronization

/// A raw pointer carried between tasks: the C boundary's opaque handles, which stay valid for as long as the ABI
/// says (a scope until its reply, a host until the plugin stopped).
package struct OpaqueHandle: @unchecked Sendable {
    package let pointer: UnsafeMutableRawPointer?

    package init(_ pointer: UnsafeMutableRawPointer?) { self.pointer = pointer }
}

/// How results cross the C boundary in both directions: a token and a `concord_result_fn` that is called once with
/// CONCORD_OK and the result's JSON, or CONCORD_ERROR and a CWP/1 error object.
package enum CallBridge {
    /// Calls `start` with a token and the result function, and waits for the result, which may come on any thread.
    package static func awaitResult(
        _ start: (UnsafeMutableRawPointer, concord_result_fn) -> Void
    ) async -> Result<Data, ConcordError> {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<Data, ConcordError>, Never>) in
            let token = Unmanaged.passRetained(Waiter(continuation)).toOpaque()
            start(token, resumeWaiter)
        }
    }

    /// Calls `start`, which must call the result function before it returns, and gives that result.
    package static func resultNow(
        _ start: (UnsafeMutableRawPointer, concord_result_fn) -> Void
    ) -> Result<Data, ConcordError> {
        let slot = Slot()
        withExtendedLifetime(slot) {
            start(Unmanaged.passUnretained(slot).toOpaque(), fillSlot)
        }
        return slot.value.withLock { $0 }
            ?? .failure(ConcordError(.internal, "the other side of the plugin boundary did not answer"))
    }

    /// Calls `result` with `outcome`: the JSON, or the error as a CWP/1 error object.
    package static func answer(
        _ outcome: Result<Data, any Error>, token: UnsafeMutableRawPointer?, _ result: concord_result_fn?
    ) {
        guard let result else { return }
        let (status, bytes): (Int32, Data) =
            switch outcome {
            case .success(let data): (CONCORD_OK, data)
            case .failure(let error): (CONCORD_ERROR, errorJSON(error))
            }
        bytes.withUnsafeBytes { raw in
            result(token, status, raw.bindMemory(to: UInt8.self).baseAddress, raw.count)
        }
    }

    /// A CWP/1 error object for `error`; errors that are not a ``ConcordError`` are `internal`.
    package static func errorJSON(_ error: any Error) -> Data {
        let concord = (error as? ConcordError) ?? ConcordError(.internal, "\(error)")
        return (try? JSONStreamEncoder.encode(concord.wireObject)) ?? Data(#"{"code":"internal","message":"?"}"#.utf8)
    }

    /// The error a CWP/1 error object stands for.
    package static func error(fromJSON data: Data) -> ConcordError {
        JSONValue.parse(data).flatMap(ConcordError.init(wireObject:))
            ?? ConcordError(
                .internal, "the plugin boundary answered an error that is not a CWP/1 error object: \(data.count) bytes"
            )
    }

    static func outcome(_ status: Int32, _ bytes: UnsafePointer<UInt8>?, _ length: Int) -> Result<Data, ConcordError> {
        let data = bytes.map { Data(bytes: $0, count: length) } ?? Data()
        return status == CONCORD_OK ? .success(data) : .failure(error(fromJSON: data))
    }

    private final class Waiter {
        let continuation: CheckedContinuation<Result<Data, ConcordError>, Never>
        init(_ continuation: CheckedContinuation<Result<Data, ConcordError>, Never>) {
            self.continuation = continuation
        }
    }

    private final class Slot: Sendable {
        let value = Mutex<Result<Data, ConcordError>?>(nil)
    }

    private static let resumeWaiter: concord_result_fn = { token, status, bytes, length in
        guard let token else { return }
        let waiter = Unmanaged<Waiter>.fromOpaque(token).takeRetainedValue()
        waiter.continuation.resume(returning: CallBridge.outcome(status, bytes, length))
    }

    private static let fillSlot: concord_result_fn = { token, status, bytes, length in
        guard let token else { return }
        let slot = Unmanaged<Slot>.fromOpaque(token).takeUnretainedValue()
        let outcome = CallBridge.outcome(status, bytes, length)
        slot.value.withLock { $0 = outcome }
    }
}

extension Data {
    /// Calls `body` with the bytes' base address and count, as the C calls take them.
    package func withBytes<T>(_ body: (UnsafePointer<UInt8>?, Int) throws -> T) rethrows -> T {
        try withUnsafeBytes { raw in try body(raw.bindMemory(to: UInt8.self).baseAddress, raw.count) }
    }
}

extension String {
    /// Calls `body` with the UTF-8 bytes' base address and count.
    package func withBytes<T>(_ body: (UnsafePointer<UInt8>?, Int) throws -> T) rethrows -> T {
        var text = self
        return try text.withUTF8 { try body($0.baseAddress, $0.count) }
    }
}

/// Bytes a C call handed over, copied.
package func copyBytes(_ bytes: UnsafePointer<UInt8>?, _ length: Int) -> Data {
    bytes.map { Data(bytes: $0, count: length) } ?? Data()
}

/// UTF-8 text a C call handed over, copied.
package func copyText(_ bytes: UnsafePointer<UInt8>?, _ length: Int) -> String {
    bytes.map { String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self) } ?? ""
}
