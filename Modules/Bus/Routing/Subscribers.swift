import ConcordKit

/// A subscription as the router sees it: something that takes envelopes of any event type.
protocol RoutedSubscriber: AnyObject, Sendable {
    var subscriber: String { get }
    var pattern: String { get }
    var options: MailboxOptions { get }
    var depth: Int { get }
    var received: UInt64 { get }
    var dropped: UInt64 { get }
    func deliver<P: Event>(_ envelopes: [Envelope<P>]) async
}

/// A subscription to one event type: it receives exactly that type, without casting per message.
final class TypedSubscriber<E: Event>: RoutedSubscriber {
    let subscriber: String
    let mailbox: Mailbox<Envelope<E>>

    init(subscriber: String, options: MailboxOptions) {
        self.subscriber = subscriber
        self.mailbox = Mailbox(options: options)
    }

    var pattern: String { E.topic.rawValue }
    var options: MailboxOptions { mailbox.options }
    var depth: Int { mailbox.depth }
    var received: UInt64 { mailbox.received }
    var dropped: UInt64 { mailbox.dropped }

    func deliver<P: Event>(_ envelopes: [Envelope<P>]) async {
        // The router only hands a typed subscriber the envelopes of its own type; the check makes the
        // reinterpretation a no-op between identical types.
        guard P.self == E.self else { return }
        await mailbox.send(contentsOf: unsafeBitCast(envelopes, to: [Envelope<E>].self))
    }
}

/// A subscription to a topic prefix: it receives every event under it, type-erased.
final class PrefixSubscriber: RoutedSubscriber {
    let subscriber: String
    let pattern: String
    let mailbox: Mailbox<Envelope<any Event>>

    init(subscriber: String, prefix: String, options: MailboxOptions) {
        self.subscriber = subscriber
        self.pattern = prefix
        self.mailbox = Mailbox(options: options)
    }

    var options: MailboxOptions { mailbox.options }
    var depth: Int { mailbox.depth }
    var received: UInt64 { mailbox.received }
    var dropped: UInt64 { mailbox.dropped }

    func deliver<P: Event>(_ envelopes: [Envelope<P>]) async {
        await mailbox.send(contentsOf: envelopes.map { $0.map { $0 as any Event } })
    }
}
