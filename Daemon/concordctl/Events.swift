import ArgumentParser
import ConcordKit
import Foundation
import ZeroMQ

/// Follows the event stream as JSON lines without missing or repeating an event: subscribe, replay from the
/// last seq, drop duplicates by seq, and replay again whenever a gap or a heartbeat shows something was lost.
struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow events as JSON lines, never missing or repeating one.",
        discussion: "Without --after, starts at the journal's head (new events only); --after 0 prints everything."
    )

    @OptionGroup var connection: ConnectionFlags

    @Option(name: .customLong("topic"), help: "Only events whose topic starts with this prefix (repeatable).")
    var topics: [String] = []

    @Option(help: "Print events with a seq greater than this first, from the journal.")
    var after: UInt64?

    @Option(help: "Stop after printing this many events.")
    var count: Int?

    func run() throws {
        try runTool {
            let options = try connection.connection()
            let client = try CommandClient(options: options)
            let subscriber = try client.context.socket(.sub)
            try subscriber.set(ZMQOption.linger, Int32(0))
            try options.secure(subscriber)
            try subscriber.connect(options.events)
            // Everything, filtered here: a gapless seq on the socket is what reveals a lost event.
            try subscriber.set(ZMQOption.subscribe, bytes: [])

            var follower = Follower(client: client, topics: topics, limit: count)
            if let after {
                follower.last = after
            } else {
                let head = try client.call("events.head")
                follower.last = ((head["result"] as? [String: Any])?["head_seq"] as? NSNumber)?.uint64Value ?? 0
            }
            try follower.catchUp()
            var poller = ZMQPoller()
            poller.add(subscriber)
            while !follower.done {
                guard try poller.poll(timeoutMilliseconds: 250)[0] else { continue }
                while !follower.done, let message = try subscriber.receive(wait: false) {
                    guard message.frames.count == 2, let envelope = JSONValue.parse(message.frames[1]) else {
                        continue
                    }
                    try follower.receive(topic: String(decoding: message.frames[0], as: UTF8.self), envelope)
                }
            }
        }
    }
}

/// The Clone pattern's bookkeeping.
struct Follower {
    let client: CommandClient
    let topics: [String]
    let limit: Int?
    /// Every event up to this seq has been printed or was of another topic.
    var last: UInt64 = 0
    var printed = 0

    init(client: CommandClient, topics: [String], limit: Int?) {
        self.client = client
        self.topics = topics
        self.limit = limit
    }

    var done: Bool { limit.map { printed >= $0 } ?? false }

    func matches(_ topic: String) -> Bool {
        topics.isEmpty || topics.contains { topic.hasPrefix($0) }
    }

    mutating func receive(topic: String, _ envelope: JSONValue) throws {
        if topic == "system.heartbeat" {
            let head = envelope["payload"]?["head_seq"]?.intValue.map { UInt64(clamping: $0) } ?? 0
            if head > last { try catchUp() }
            return
        }
        guard let seq = envelope["seq"]?.intValue.map({ UInt64(clamping: $0) }), seq > last else { return }
        if seq == last + 1 {
            last = seq
            if matches(topic) { try emit(envelope) }
        } else {
            try catchUp()
        }
    }

    /// Replays from `last` until the journal has nothing newer.
    mutating func catchUp() throws {
        while !done {
            var args: [String: Any] = ["after_seq": last, "limit": 1000]
            if !topics.isEmpty { args["topics"] = topics }
            let reply = try client.call("events.replay", args: args)
            guard reply["ok"] as? Bool == true, let result = reply.value["result"] else {
                let error = reply["error"] as? [String: Any]
                throw ToolError(
                    "events.replay: \(error?["code"] as? String ?? "error"): \(error?["message"] as? String ?? "")")
            }
            guard case .array(let events) = result["events"] ?? .null else {
                throw ToolError("events.replay: the reply holds no events")
            }
            for envelope in events {
                guard let seq = envelope["seq"]?.intValue.map({ UInt64(clamping: $0) }), seq > last else { continue }
                last = seq
                try emit(envelope)
                if done { return }
            }
            if events.count < 1000 {
                last = max(last, result["head_seq"]?.intValue.map { UInt64(clamping: $0) } ?? last)
                return
            }
        }
    }

    mutating func emit(_ envelope: JSONValue) throws {
        printJSON(envelope, pretty: false)
        printed += 1
    }
}
