// ConcordKit is the module SDK: the only thing a module or plugin imports besides `Contracts`.
//
// It defines messages (`Message`, `Event`, `Command`, `Query`), the `Envelope`, `ConcordError`,
// the `MessageBus` and `ModuleStore` a module talks through, `Module` and its `ModuleContext`,
// batched bounded `Mailbox`es, the `WallClock`, and the JSON Schema generator behind `system.catalog`.
// It holds no implementation of the bus or the journal: that is the `Bus` target's, so modules
// cannot reach into it.
