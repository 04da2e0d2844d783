import ConcordKit
import Foundation
import Testing

@testable import Gateway

@Suite struct WireTests {
    private func parse(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func envelopesWrapThePayloadWithTheProtocolsFields() throws {
        let id = UUID(uuidString: "0B9F6C1E-3C55-4C1A-9A8E-6F0F1F0E2A11")!
        let bytes = WireWriter.envelope(
            seq: 1042,
            id: id,
            topic: "registry.membership.created",
            time: Date(timeIntervalSince1970: 1_795_341_600.125),
            source: "registry",
            correlationID: "c-\"17\"\n",
            payloadJSON: Array(#"{"a":[1,2]}"#.utf8)
        )
        let envelope = try parse(bytes)
        #expect(envelope["seq"] as? Int == 1042)
        #expect(envelope["id"] as? String == "0b9f6c1e-3c55-4c1a-9a8e-6f0f1f0e2a11")
        #expect(envelope["time"] as? String == "2026-11-22T10:00:00.125Z")
        // The same instant as the replayed envelope shows it.
        #expect(EnvelopeTime.format(Date(timeIntervalSince1970: 1_795_341_600.125)) == "2026-11-22T10:00:00.125Z")
        #expect(envelope["correlation_id"] as? String == "c-\"17\"\n")
        #expect((envelope["payload"] as? [String: Any])?["a"] as? [Int] == [1, 2])
        #expect(EnvelopeTime.parse(envelope["time"] as! String) != nil)
    }

    @Test func heartbeatsHaveANullSeq() throws {
        let bytes = WireWriter.envelope(
            seq: nil, id: UUID(), topic: "system.heartbeat", time: Date(), source: "system", correlationID: nil,
            payloadJSON: Array(#"{"head_seq":3}"#.utf8)
        )
        let envelope = try parse(bytes)
        #expect(envelope["seq"] is NSNull)
        #expect(envelope["correlation_id"] is NSNull)
    }

    @Test func controlCharactersAreEscaped() throws {
        var writer = WireWriter()
        writer.string("tab\tbell\u{7}quote\"back\\slash")
        let text = String(decoding: writer.bytes, as: UTF8.self)
        #expect(text == #""tab\tbell\u0007quote\"back\\slash""#)
    }

    @Test func failuresCarryCodeMessageAndDetails() throws {
        let bytes = WireWriter.failure(
            id: .int(7),
            error: ConcordError(.unavailable, "busy", details: ["retry_after_ms": 50])
        )
        let reply = try parse(bytes)
        #expect(reply["id"] as? Int == 7)
        #expect(reply["ok"] as? Bool == false)
        let error = try #require(reply["error"] as? [String: Any])
        #expect(error["code"] as? String == "unavailable")
        #expect((error["details"] as? [String: Any])?["retry_after_ms"] as? Int == 50)
    }

    @Test(arguments: [
        (#"{"command": "system.ping", "args": null}"#, nil),
        (#"{"id": 1, "command": "x.y", "idempotency_key": ""}"#, "idempotency_key"),
        (#"{"id": 1, "command": "x.y", "idempotency_key": 5}"#, "idempotency_key"),
        (#"{"id": 1}"#, "command: missing"),
        (#"{"command": "x.y", "extra": 1}"#, "extra: unknown field"),
        (#"{"command": "x.y", "type": "reply"}"#, "type: unknown field"),
    ])
    func requestsAreCheckedFieldByField(json: String, problem: String?) {
        do {
            switch try WireRequest.parseMessage(Array(json.utf8)) {
            case .request(let request): #expect(problem == nil, "accepted \(request.command)")
            case .module: Issue.record("\(json) was read as a module's message")
            }
        } catch {
            #expect(problem.map { error.error.message.contains($0) } == true, "\(error.error.message)")
        }
    }

    @Test func anObjectWithATypeAndNoCommandIsAnAttachedModulesMessage() throws {
        guard case .module(let message) = try WireRequest.parseMessage(Array(#"{"type": "heartbeat"}"#.utf8)) else {
            Issue.record("a heartbeat was read as a request")
            return
        }
        #expect(message["type"] == "heartbeat")
    }
}
