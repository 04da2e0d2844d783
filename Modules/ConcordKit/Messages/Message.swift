/// A typed message that travels on the bus and, encoded as JSON, on the wire.
///
/// Every message type names its ``Topic`` once; the bus routes by it and the catalog lists it.
public protocol Message: Codable, Sendable {
    /// The topic every value of this type is published or addressed under.
    static var topic: Topic { get }
}

/// A fact that happened, named in the past tense (`MembershipCreated`).
///
/// Events published through a module's context are journaled with a gapless `seq` before delivery.
public protocol Event: Message {}

/// An instruction to one handler, named as an imperative (`RegisterActor`).
public protocol Command: Message {
    /// What the single handler of this command answers.
    associatedtype Reply: Codable & Sendable

    /// Whether the command changes state. Mutating commands are acknowledged only after commit,
    /// may carry an idempotency key, and need the operator role on the wire.
    static var isMutating: Bool { get }
}

extension Command {
    public static var isMutating: Bool { true }
}

/// A command that only reads (`ListActors`). Queries never change state.
public protocol Query: Command {}

extension Query {
    public static var isMutating: Bool { false }
}

/// The reply of a command that has nothing to say but that it succeeded.
public struct Acknowledged: Codable, Sendable, Equatable {
    public var ok: Bool

    public init() { self.ok = true }
}
