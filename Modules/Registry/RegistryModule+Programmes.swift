import ConcordKit
import Contracts
import Foundation

/// Working groups, joint projects and programmes; a pilot programme ends by itself through a durable timer.
extension RegistryModule {
    static func startProgrammes(context: ModuleContext) throws {
        let store = context.store

        try context.handle(CreateWorkingGroup.self) { command, _ in
            let name = try Validation.name(command.name, field: "name")
            let mandate = try command.mandate.map { try Validation.text($0, field: "mandate", limit: 4000) }
            let establishedBy = try command.establishedBy.map { try Validation.text($0, field: "established_by") }
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                let network = try registry.requireNetwork(command.network, field: "network")
                let group = WorkingGroup(
                    id: EntityID.next(), network: network.id, name: name, kind: command.kind,
                    mandate: mandate, establishedBy: establishedBy, members: [], version: 1)
                try registry.put(group, in: .workingGroups, id: group.id, version: 1, columns: ["network": network.id])
                transaction.emit(WorkingGroupCreated(group: group))
                return group
            }
        }

        try context.handle(SetWorkingGroupMember.self) { command, _ in
            let since = try Validation.date(command.since, field: "since")
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                var group = try registry.requireDocument(
                    WorkingGroup.self, in: .workingGroups, id: command.group, field: "group", what: "working group")
                try checkVersion(command.version, current: group.version, of: "working group \(group.id)")
                let actor = try registry.requireActor(command.actor, field: "actor")
                let index = group.members.firstIndex { $0.actor == actor.id }
                switch (command.role, index) {
                case (nil, nil):
                    throw ConcordError.notFound("actor: \(actor.fields.name) is not a member of \(group.name)")
                case (nil, let index?):
                    group.members.remove(at: index)
                case (let role?, let index?):
                    group.members[index].role = role
                case (let role?, nil):
                    group.members.append(
                        WorkingGroupMember(actor: actor.id, role: role, since: since ?? date(transaction.now)))
                }
                group.version += 1
                try registry.put(
                    group, in: .workingGroups, id: group.id, version: group.version, columns: ["network": group.network]
                )
                transaction.emit(WorkingGroupChanged(group: group))
                return group
            }
        }

        try context.handle(ListWorkingGroups.self) { query, _ in
            try await store.read { db in
                let registry = RegistryStore(db: db)
                let network = try query.network.map { try registry.requireNetwork($0, field: "network").id }
                return WorkingGroupList(
                    groups: try registry.documents(WorkingGroup.self, in: .workingGroups, where: ["network": network]))
            }
        }

        try context.handle(StartProject.self) { command, _ in
            let name = try Validation.name(command.name, field: "name")
            let description = try command.description.map {
                try Validation.text($0, field: "description", limit: 4000)
            }
            let start = try Validation.date(command.start, field: "start")
            let end = try Validation.date(command.end, field: "end")
            if command.kind == .pilotProgramme, end == nil {
                throw ConcordError.badRequest(
                    "end: required for a pilot programme, which is time-limited; give the date it ends as YYYY-MM-DD")
            }
            if let start, let end, end <= start {
                throw ConcordError.badRequest("end: expected a date after start (\(start)), got \(end)")
            }
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                let network = try registry.requireNetwork(command.network, field: "network")
                if let parent = command.parent {
                    let programme = try registry.requireDocument(
                        Project.self, in: .projects, id: parent, field: "parent", what: "programme")
                    guard programme.kind == .programme else {
                        throw ConcordError.badRequest(
                            "parent: expected a programme, got the \(programme.kind.rawValue) \"\(programme.name)\"")
                    }
                }
                let participants = try checkedParticipants(command.participants ?? [], registry: registry)
                let project = Project(
                    id: EntityID.next(), network: network.id, name: name, kind: command.kind,
                    parent: command.parent, description: description, participants: participants,
                    start: start ?? date(transaction.now), end: end, status: .active, version: 1)
                try save(project, registry)
                transaction.emit(ProjectStarted(project: project))
                try schedulePilotExpiry(of: project, transaction)
                return project
            }
        }

        try context.handle(UpdateProject.self) { command, _ in
            let description = try command.description.map {
                try Validation.text($0, field: "description", limit: 4000)
            }
            let end = try Validation.date(command.end, field: "end")
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                var project = try activeProject(command.id, version: command.version, registry: registry)
                if let description { project.description = description }
                if let participants = command.participants {
                    project.participants = try checkedParticipants(participants, registry: registry)
                }
                if let end {
                    if let start = project.start, end <= start {
                        throw ConcordError.badRequest("end: expected a date after start (\(start)), got \(end)")
                    }
                    project.end = end
                }
                project.version += 1
                try save(project, registry)
                transaction.emit(ProjectUpdated(project: project))
                try schedulePilotExpiry(of: project, transaction)
                return project
            }
        }

        try context.handle(EndProject.self) { command, _ in
            let reason = try command.reason.map { try Validation.text($0, field: "reason", limit: 4000) }
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                var project = try activeProject(command.id, version: command.version, registry: registry)
                project.status = .ended
                project.endedOn = date(transaction.now)
                project.endReason = reason
                project.version += 1
                try save(project, registry)
                transaction.cancelTimer(key: pilotTimerKey(project.id))
                transaction.emit(ProjectEnded(project: project, expired: false))
                return project
            }
        }

        try context.handle(ListProjects.self) { query, _ in
            try await store.read { db in
                let registry = RegistryStore(db: db)
                let network = try query.network.map { try registry.requireNetwork($0, field: "network").id }
                return ProjectList(
                    projects: try registry.documents(
                        Project.self, in: .projects,
                        where: [
                            "network": network, "kind": query.kind?.rawValue, "status": query.status?.rawValue,
                        ]))
            }
        }

        context.on(PilotProgrammeDue.self) { envelope in
            let due = envelope.payload
            try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                // Ended by hand, or its end date moved since the timer was set: nothing to do.
                guard var project = try registry.document(Project.self, in: .projects, id: due.project),
                    project.status == .active, project.end == due.end
                else { return }
                project.status = .ended
                project.endedOn = due.end
                project.endReason = "the pilot programme reached its end date"
                project.version += 1
                try save(project, registry)
                transaction.emit(ProjectEnded(project: project, expired: true))
            }
        }
    }

    private static func pilotTimerKey(_ project: String) -> String { "pilot:\(project)" }

    /// Sets (or moves) a pilot programme's expiry to 00:00 UTC on its end date.
    private static func schedulePilotExpiry(of project: Project, _ transaction: WriteTransaction) throws {
        guard project.kind == .pilotProgramme, let end = project.end,
            let due = try? Date(end + "T00:00:00Z", strategy: .iso8601)
        else { return }
        try transaction.schedule(
            PilotProgrammeDue(project: project.id, end: end), at: due, key: pilotTimerKey(project.id))
    }

    private static func save(_ project: Project, _ registry: RegistryStore) throws {
        try registry.put(
            project, in: .projects, id: project.id, version: project.version,
            columns: ["network": project.network, "kind": project.kind.rawValue, "status": project.status.rawValue])
    }

    private static func activeProject(_ id: String, version: Int, registry: RegistryStore) throws -> Project {
        let project = try registry.requireDocument(Project.self, in: .projects, id: id, field: "id", what: "project")
        try checkVersion(version, current: project.version, of: "project \(id)")
        guard project.status == .active else {
            throw ConcordError(.conflict, "project \(id) ended on \(project.endedOn ?? "-")")
        }
        return project
    }

    private static func checkedParticipants(_ participants: [String], registry: RegistryStore) throws -> [String] {
        for (index, actor) in participants.enumerated() {
            _ = try registry.requireActor(actor, field: "participants[\(index)]")
        }
        guard Set(participants).count == participants.count else {
            throw ConcordError.badRequest("participants: an actor is listed twice")
        }
        return participants
    }
}
