import ConcordKit
import Contracts
import Foundation

/// Networks: create, update, list, and count the members two networks share.
extension RegistryModule {
    static func startNetworks(context: ModuleContext) throws {
        let store = context.store

        try context.handle(CreateNetwork.self) { command, _ in
            let name = try Validation.name(command.name, field: "name")
            let acronym = try Validation.name(command.acronym, field: "acronym")
            let foundedOn = try Validation.date(command.foundedOn, field: "founded_on")
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                if let existing = try registry.network(acronym) {
                    throw ConcordError(
                        .conflict, "a network with acronym \"\(existing.acronym)\" exists already (\(existing.id))",
                        details: ["existing": .string(existing.id)])
                }
                if let secretariat = command.secretariat {
                    _ = try registry.requireActor(secretariat, field: "secretariat")
                }
                let network = Network(
                    id: EntityID.next(), name: name, acronym: acronym, foundedOn: foundedOn,
                    foundedAt: command.foundedAt, secretariat: command.secretariat, charter: command.charter, version: 1
                )
                try registry.insert(network)
                transaction.emit(NetworkCreated(network: network))
                return network
            }
        }

        try context.handle(UpdateNetwork.self) { command, _ in
            let name = try command.name.map { try Validation.name($0, field: "name") }
            let charter = try command.charter.map { try Validation.text($0, field: "charter", limit: 20_000) }
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                var network = try registry.requireNetwork(command.id, field: "id")
                try Self.checkVersion(command.version, current: network.version, of: "network \(network.acronym)")
                if let secretariat = command.secretariat {
                    network.secretariat = try registry.requireActor(secretariat, field: "secretariat").id
                }
                if let name { network.name = name }
                if let charter { network.charter = charter }
                network.version += 1
                try registry.update(network)
                transaction.emit(NetworkUpdated(network: network))
                return network
            }
        }

        try context.handle(ListNetworks.self) { _, _ in
            try await store.read { db in NetworkList(networks: try RegistryStore(db: db).networks()) }
        }

        try context.handle(GetJointMembers.self) { query, _ in
            try await store.read { db in
                let registry = RegistryStore(db: db)
                let first = try registry.requireNetwork(query.first, field: "first")
                let second = try registry.requireNetwork(query.second, field: "second")
                let inSecond = Dictionary(
                    try registry.memberships(network: second.id, status: .active).map { ($0.actor, $0) },
                    uniquingKeysWith: { first, _ in first })
                var members: [JointMembers.Member] = []
                for membership in try registry.memberships(network: first.id, status: .active) {
                    guard let other = inSecond[membership.actor] else { continue }
                    let name = try registry.actor(membership.actor)?.fields.name ?? membership.actor
                    members.append(
                        JointMembers.Member(
                            actor: membership.actor, name: name, first: membership.basis, second: other.basis))
                }
                members.sort { $0.name < $1.name }
                return JointMembers(count: members.count, members: members)
            }
        }
    }
}
