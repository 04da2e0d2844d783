// Contracts is Concord's typed vocabulary: one folder per module with its commands, queries and events.
//
// It depends on nothing but ConcordKit, so modules, the gateway and external tools can all use it
// without depending on each other. It holds types only, never behaviour.
