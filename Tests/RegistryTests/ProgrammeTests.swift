import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Registry
import Testing

/// ANMC21's joint projects and pilot programmes (seed 001), and working groups (seed 002).
@Suite struct ProgrammeTests {
    /// 2026-12-01T00:00:00Z, when the pilot below ends; the test clock starts on 2026-11-22.
    static let pilotEnd = Date(timeIntervalSince1970: 1_796_083_200)

    func pilot(_ registry: RegistryFixture) async throws -> Project {
        _ = try await registry.network("ANMC21", "Asian Network of Major Cities 21")
        let programme = try await registry.harness.send(
            StartProject(network: "ANMC21", name: "Pilot Program", kind: .programme, start: "2013-11-19"))
        return try await registry.harness.send(
            StartProject(
                network: "ANMC21", name: "Education for Urban Solutions", kind: .pilotProgramme,
                parent: programme.id, start: "2026-01-01", end: "2026-12-01"))
    }

    func ended(_ registry: RegistryFixture) async throws -> [JSONValue] {
        try await registry.harness.journaled(prefixes: ["registry.project.ended"]).map(\.payload)
    }

    @Test func aPilotProgrammeEndsByItselfOnItsEndDate() async throws {
        let registry = try await RegistryFixture()
        let pilot = try await pilot(registry)
        registry.harness.clock.advance(to: Self.pilotEnd.addingTimeInterval(-1))
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await ended(registry).isEmpty)
        registry.harness.clock.advance(to: Self.pilotEnd)
        #expect(try await eventually { try await ended(registry).count == 1 })
        let payload = try await ended(registry)[0]
        #expect(payload["expired"] == .bool(true))
        #expect(payload["project"]?["id"] == .string(pilot.id))
        let projects = try await registry.harness.send(ListProjects(network: "ANMC21", kind: .pilotProgramme))
        #expect(projects.projects.map(\.status) == [.ended])
        #expect(projects.projects[0].endedOn == "2026-12-01")
        #expect(try await registry.harness.journaled(prefixes: ["registry.project.pilot_due"]).count == 1)
    }

    @Test func movingTheEndDateMovesTheExpiry() async throws {
        let registry = try await RegistryFixture()
        let pilot = try await pilot(registry)
        _ = try await registry.harness.send(UpdateProject(id: pilot.id, version: 1, end: "2027-01-10"))
        registry.harness.clock.advance(to: Self.pilotEnd.addingTimeInterval(3600))
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await ended(registry).isEmpty)
        registry.harness.clock.advance(to: Self.pilotEnd.addingTimeInterval(40 * 86_400))
        #expect(try await eventually { try await ended(registry).count == 1 })
        let project = try await registry.harness.send(ListProjects(kind: .pilotProgramme)).projects[0]
        #expect(project.endedOn == "2027-01-10")
    }

    @Test func aPilotEndedByHandDoesNotEndAgain() async throws {
        let registry = try await RegistryFixture()
        let pilot = try await pilot(registry)
        let ended = try await registry.harness.send(EndProject(id: pilot.id, version: 1, reason: "Funding withdrawn"))
        #expect(ended.status == .ended)
        await expectError(.conflict, containing: "ended on 2026-11-22") {
            _ = try await registry.harness.send(EndProject(id: pilot.id, version: 2))
        }
        registry.harness.clock.advance(to: Self.pilotEnd.addingTimeInterval(86_400))
        try await Task.sleep(for: .milliseconds(50))
        let payloads = try await self.ended(registry)
        #expect(payloads.map { $0["expired"] } == [.bool(false)])
    }

    @Test func thePilotTimerSurvivesARestart() async throws {
        let registry = try await RegistryFixture()
        _ = try await pilot(registry)
        try await registry.harness.restart(modules: [RegistryModule()])
        registry.harness.clock.advance(to: Self.pilotEnd.addingTimeInterval(86_400))
        #expect(try await eventually { try await ended(registry).count == 1 })
    }

    @Test func projectsAreValidated() async throws {
        let registry = try await RegistryFixture()
        _ = try await registry.network("ANMC21")
        await expectError(.badRequest, containing: "end: required for a pilot programme") {
            _ = try await registry.harness.send(StartProject(network: "ANMC21", name: "P", kind: .pilotProgramme))
        }
        await expectError(.badRequest, containing: "end: expected a date after start (2026-05-01)") {
            _ = try await registry.harness.send(
                StartProject(
                    network: "ANMC21", name: "P", kind: .pilotProgramme, start: "2026-05-01", end: "2026-04-01"))
        }
        let joint = try await registry.harness.send(
            StartProject(network: "ANMC21", name: "Infectious disease control", kind: .jointProject))
        await expectError(.badRequest, containing: "parent: expected a programme") {
            _ = try await registry.harness.send(
                StartProject(network: "ANMC21", name: "P", kind: .jointProject, parent: joint.id))
        }
        await expectError(.notFound, containing: "participants[0]: no actor") {
            _ = try await registry.harness.send(
                StartProject(network: "ANMC21", name: "P", kind: .jointProject, participants: ["ghost"]))
        }
    }

    @Test func workingGroupsKeepTheirMembersAndChairs() async throws {
        let registry = try await RegistryFixture()
        _ = try await registry.network("CSCCA")
        let osh = try await registry.city("Osh", "KG")
        let namangan = try await registry.city("Namangan", "UZ")
        var group = try await registry.harness.send(
            CreateWorkingGroup(
                network: "CSCCA", name: "Disaster risk reduction and climate adaptation", kind: .technical,
                establishedBy: "Joint Declaration, Article 5 a"))
        group = try await registry.harness.send(
            SetWorkingGroupMember(group: group.id, version: 1, actor: osh.id, role: .chair))
        group = try await registry.harness.send(
            SetWorkingGroupMember(group: group.id, version: 2, actor: namangan.id, role: .member, since: "2026-02-01"))
        group = try await registry.harness.send(
            SetWorkingGroupMember(group: group.id, version: 3, actor: namangan.id, role: .coChair))
        #expect(group.members.map(\.role) == [.chair, .coChair])
        #expect(group.members[1].since == "2026-02-01")
        group = try await registry.harness.send(
            SetWorkingGroupMember(group: group.id, version: 4, actor: osh.id, role: nil))
        #expect(group.members.map(\.actor) == [namangan.id])
        await expectError(.conflict, containing: "is at version 5, not 4") {
            _ = try await registry.harness.send(
                SetWorkingGroupMember(group: group.id, version: 4, actor: osh.id, role: .member))
        }
        await expectError(.notFound, containing: "is not a member of") {
            _ = try await registry.harness.send(
                SetWorkingGroupMember(group: group.id, version: 5, actor: osh.id, role: nil))
        }
        let listed = try await registry.harness.send(ListWorkingGroups(network: "CSCCA"))
        #expect(listed.groups == [group])
    }
}
