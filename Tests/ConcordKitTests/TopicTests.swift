import ConcordKit
import Testing

@Suite struct TopicTests {
    @Test(arguments: ["registry.membership.created", "system.ping", "events.replay", "a1.b_2"])
    func acceptsLowercaseDotSeparatedWords(_ text: String) throws {
        #expect(try Topic(validating: text).rawValue == text)
    }

    @Test(arguments: ["", "registry", "Registry.actor", "registry..actor", "registry.actor.", "registry actor.x"])
    func rejectsOtherForms(_ text: String) {
        #expect(throws: ConcordError.self) { try Topic(validating: text) }
    }

    @Test func namespaceIsTheFirstWord() {
        #expect(Topic("registry.actor.registered").namespace == "registry")
    }

    @Test func messageIDsAreUniqueVersion4UUIDs() {
        let ids = (0..<10_000).map { _ in MessageID.next() }
        #expect(Set(ids).count == ids.count)
        let text = ids[0].uuidString
        #expect(Array(text)[14] == "4")
        #expect(["8", "9", "A", "B"].contains(String(Array(text)[19])))
    }
}
