import ConcordKit
import Contracts
import Foundation

/// Actors: register, update, read and list, and mark as no longer active.
extension RegistryModule {
    static func startActors(context: ModuleContext) throws {
        let store = context.store
        let clock = context.clock

        try context.handle(RegisterActor.self) { command, _ in
            let fields = try Validation.actor(command.actor)
            let (region, regionName) = try Validation.country(fields.country, field: "actor.country")
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                if command.force != true,
                    let existing = try registry.actorID(
                        nameKey: Validation.nameKey(fields.name), country: fields.country)
                {
                    throw ConcordError(
                        .conflict,
                        "an actor named \"\(fields.name)\" in \(fields.country) exists already (\(existing)); "
                            + "send force: true to register another",
                        details: ["existing": .string(existing)]
                    )
                }
                let actor = ActorRecord(
                    id: EntityID.next(), fields: fields, region: region, regionName: regionName,
                    version: 1)
                try registry.save(actor, inserting: true)
                transaction.emit(ActorRegistered(actor: actor))
                return actor
            }
        }

        try context.handle(UpdateActor.self) { command, _ in
            let fields = try Validation.actor(command.actor)
            let (region, regionName) = try Validation.country(fields.country, field: "actor.country")
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                var actor = try registry.requireActor(command.id, field: "id")
                try Self.checkVersion(command.version, current: actor.version, of: "actor \(command.id)")
                actor = ActorRecord(
                    id: actor.id, fields: fields, region: region, regionName: regionName, version: actor.version + 1)
                try registry.save(actor, inserting: false)
                transaction.emit(ActorUpdated(actor: actor))
                try Self.applyRules(to: actor.id, registry: registry, transaction: transaction)
                return actor
            }
        }

        try context.handle(GetActor.self) { query, _ in
            try await store.read { db in try RegistryStore(db: db).requireActor(query.id, field: "id") }
        }

        try context.handle(ListActors.self) { query, _ in
            try await store.read { db in try RegistryStore(db: db).actors(matching: query) }
        }

        try context.handle(DeactivateActor.self) { command, _ in
            let reason = try command.reason.map { try Validation.text($0, field: "reason", limit: 4000) }
            let on = try Validation.date(command.on, field: "on") ?? Self.date(clock.now())
            return try await store.write { transaction in
                let registry = RegistryStore(db: transaction.db)
                var actor = try registry.requireActor(command.id, field: "id")
                try Self.checkVersion(command.version, current: actor.version, of: "actor \(command.id)")
                if let since = actor.inactiveSince {
                    throw ConcordError(.conflict, "actor \(actor.id) is inactive already, since \(since)")
                }
                actor.inactiveSince = on
                actor.inactiveReason = reason
                actor.version += 1
                try registry.save(actor, inserting: false)
                transaction.emit(ActorDeactivated(actor: actor))
                var ended: [Membership] = []
                for var membership in try registry.memberships(actor: actor.id)
                where membership.basis.kind != .rule && [.active, .applied, .suspended].contains(membership.status) {
                    membership.status = .ended
                    membership.end = on
                    membership.endReason = "the actor is no longer active" + (reason.map { ": \($0)" } ?? "")
                    membership.version += 1
                    try registry.save(membership, inserting: false)
                    transaction.emit(MembershipEnded(membership: membership))
                    ended.append(membership)
                }
                let outcome = try Self.applyRules(to: actor.id, registry: registry, transaction: transaction)
                return ActorDeactivation(actor: actor, ended: ended + outcome.ended)
            }
        }
    }
}
