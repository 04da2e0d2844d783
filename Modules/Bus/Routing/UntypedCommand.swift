public import ConcordKit
public import Foundation

/// A command that has no Swift type in the daemon (a plugin's), as its module declares it.
public struct UntypedCommand: Sendable {
    public var topic: Topic
    public var isMutating: Bool
    public var execution: CommandExecution
    public var argsSchema: JSONValue
    public var replySchema: JSONValue

    public init(
        topic: Topic, isMutating: Bool, execution: CommandExecution, argsSchema: JSONValue, replySchema: JSONValue
    ) {
        self.topic = topic
        self.isMutating = isMutating
        self.execution = execution
        self.argsSchema = argsSchema
        self.replySchema = replySchema
    }
}

/// Handles an untyped command: its args as JSON, the scope it runs in; answers the reply as JSON text.
public typealias UntypedCommandHandler = @Sendable (JSONValue, CommandScope) async throws -> Data

/// The command a handler is running, to be entered again from another task: a plugin's handler writes and sends
/// from tasks of its own, and its writes must carry the command's correlation and idempotency key as a built-in
/// handler's do.
public struct CommandScope: Sendable {
    public let context: CommandContext
    let capture: ReplyCapture?

    init(context: CommandContext, capture: ReplyCapture?) {
        self.context = context
        self.capture = capture
    }

    /// Runs `body` as part of the command: its writes carry the command's correlation id and idempotency key.
    public func enter<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await ReplyCapture.$current.withValue(capture) {
            try await CommandContext.$current.withValue(context) { try await body() }
        }
    }
}
