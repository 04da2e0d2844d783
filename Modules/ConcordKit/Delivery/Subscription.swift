/// A subscriber's view of its mailbox: batches of envelopes, in publication order.
public struct Subscription<Payload: Sendable>: AsyncSequence, Sendable {
    public typealias Element = [Envelope<Payload>]

    public let mailbox: Mailbox<Envelope<Payload>>
    private let onCancel: @Sendable () -> Void

    public init(mailbox: Mailbox<Envelope<Payload>>, onCancel: @escaping @Sendable () -> Void) {
        self.mailbox = mailbox
        self.onCancel = onCancel
    }

    /// Stops the subscription: the bus forgets it and the iteration ends after what is queued.
    public func cancel() {
        onCancel()
        mailbox.close()
    }

    public func makeAsyncIterator() -> Iterator { Iterator(mailbox: mailbox) }

    public struct Iterator: AsyncIteratorProtocol {
        let mailbox: Mailbox<Envelope<Payload>>
        var batch: [Envelope<Payload>] = []

        public mutating func next() async -> [Envelope<Payload>]? {
            await mailbox.receive(into: &batch) ? batch : nil
        }
    }
}
