import Synchronization

/// What a full mailbox does with the next message.
public enum OverflowPolicy: String, Sendable, Codable {
    /// The publisher waits until the consumer makes room: nothing is lost.
    case block
    /// The message is dropped and counted: the publisher never waits.
    case drop
}

/// How a subscription's mailbox is sized and what it does when full.
public struct MailboxOptions: Sendable {
    public var capacity: Int
    public var overflow: OverflowPolicy

    public init(capacity: Int = 65_536, overflow: OverflowPolicy = .block) {
        precondition(capacity > 0, "a mailbox needs room for at least one message")
        self.capacity = capacity
        self.overflow = overflow
    }
}

/// A bounded multi-producer, single-consumer queue that hands its consumer everything queued in one batch.
///
/// Handing over a batch under one lock, and swapping buffers rather than copying, is what lets the bus
/// move tens of millions of small messages a second where a stream per message moves well under one.
public final class Mailbox<Element: Sendable>: Sendable {
    private struct State: ~Copyable {
        var buffer: [Element] = []
        var consumer: CheckedContinuation<Void, Never>?
        var producers: [CheckedContinuation<Void, Never>] = []
        var closed = false
        var dropped: UInt64 = 0
        var received: UInt64 = 0
    }

    public let options: MailboxOptions
    private let state = Mutex(State())

    public init(options: MailboxOptions = MailboxOptions()) {
        self.options = options
    }

    /// The messages waiting for the consumer.
    public var depth: Int { state.withLock { $0.buffer.count } }

    /// The messages dropped because the mailbox was full (drop policy) or closed.
    public var dropped: UInt64 { state.withLock { $0.dropped } }

    /// The messages accepted so far.
    public var received: UInt64 { state.withLock { $0.received } }

    /// Queues one message, waiting for room under the block policy; `false` if it was dropped.
    @discardableResult
    public func send(_ element: Element) async -> Bool {
        while true {
            switch offer(element) {
            case .accepted: return true
            case .dropped: return false
            case .full: await waitForRoom()
            }
        }
    }

    /// Queues messages in order, waiting for room under the block policy; returns how many were dropped.
    @discardableResult
    public func send(contentsOf elements: some Collection<Element>) async -> Int {
        var rest = elements[...]
        var dropped = 0
        while !rest.isEmpty {
            let (taken, lost, wake) = state.withLock { state -> (Int, Int, CheckedContinuation<Void, Never>?) in
                if state.closed {
                    state.dropped += UInt64(rest.count)
                    return (rest.count, rest.count, nil)
                }
                let room = options.capacity - state.buffer.count
                let count = Swift.min(room, rest.count)
                if count > 0 {
                    state.buffer.append(contentsOf: rest.prefix(count))
                    state.received += UInt64(count)
                }
                var lost = 0
                if count < rest.count, options.overflow == .drop {
                    lost = rest.count - count
                    state.dropped += UInt64(lost)
                }
                let wake = count > 0 ? state.consumer.take() : nil
                return (count + lost, lost, wake)
            }
            wake?.resume()
            dropped += lost
            rest = rest.dropFirst(taken)
            if !rest.isEmpty { await waitForRoom() }
        }
        return dropped
    }

    /// Queues as many of `elements`, from the first, as there is room for, without waiting and without counting a
    /// drop; returns how many were queued, so the caller can send the rest with ``send(contentsOf:)``.
    public func sendWhatFits(_ elements: some Collection<Element>) -> Int {
        let (count, wake) = state.withLock { state -> (Int, CheckedContinuation<Void, Never>?) in
            guard !state.closed else { return (0, nil) }
            let count = Swift.min(options.capacity - state.buffer.count, elements.count)
            guard count > 0 else { return (0, nil) }
            state.buffer.append(contentsOf: elements.prefix(count))
            state.received += UInt64(count)
            return (count, state.consumer.take())
        }
        wake?.resume()
        return count
    }

    /// Queues one message if there is room, without waiting and without counting a drop otherwise;
    /// `false` when the mailbox is full or closed, so the caller can wait with ``send(_:)``.
    public func sendIfRoom(_ element: Element) -> Bool {
        let (accepted, wake) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !state.closed, state.buffer.count < options.capacity else { return (false, nil) }
            state.buffer.append(element)
            state.received += 1
            return (true, state.consumer.take())
        }
        wake?.resume()
        return accepted
    }

    /// Queues one message without waiting: a full mailbox drops it and counts the drop.
    @discardableResult
    public func trySend(_ element: Element) -> Bool {
        switch offer(element) {
        case .accepted: return true
        case .dropped: return false
        case .full:
            state.withLock { $0.dropped += 1 }
            return false
        }
    }

    /// Replaces `batch` with every queued message, waiting until there is one; `false` once closed and empty.
    public func receive(into batch: inout [Element]) async -> Bool {
        batch.removeAll(keepingCapacity: true)
        while true {
            let (result, producers) = state.withLock { state -> (Bool?, [CheckedContinuation<Void, Never>]) in
                if !state.buffer.isEmpty {
                    swap(&batch, &state.buffer)
                    let producers = state.producers
                    state.producers.removeAll()
                    return (true, producers)
                }
                return (state.closed ? false : nil, [])
            }
            for producer in producers { producer.resume() }
            if let result { return result }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state in
                    if !state.buffer.isEmpty || state.closed { return true }
                    state.consumer = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        }
    }

    /// Stops accepting messages; the consumer still receives what was queued, then `false`.
    public func close() {
        let (consumer, producers) = state.withLock { state in
            state.closed = true
            let producers = state.producers
            state.producers.removeAll()
            return (state.consumer.take(), producers)
        }
        consumer?.resume()
        for producer in producers { producer.resume() }
    }

    private enum Offer { case accepted, dropped, full }

    private func offer(_ element: Element) -> Offer {
        let (offer, wake) = state.withLock { state -> (Offer, CheckedContinuation<Void, Never>?) in
            if state.closed {
                state.dropped += 1
                return (.dropped, nil)
            }
            guard state.buffer.count < options.capacity else {
                if options.overflow == .drop {
                    state.dropped += 1
                    return (.dropped, nil)
                }
                return (.full, nil)
            }
            state.buffer.append(element)
            state.received += 1
            return (.accepted, state.consumer.take())
        }
        wake?.resume()
        return offer
    }

    private func waitForRoom() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state in
                if state.buffer.count < options.capacity || state.closed { return true }
                state.producers.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
