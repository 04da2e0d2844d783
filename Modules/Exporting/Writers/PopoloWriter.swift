import ConcordKit
import Contracts
import Foundation

/// Popolo JSON (popoloproject.com): networks and actors as organizations (with `other_names`, `identifiers` and a
/// country `area`), memberships where an organization is the member (`member: {"@type": "Organization"}` with
/// `organization_id`, so every membership names both sides), and each focal point as a post of its actor held
/// by a person. Organizations stream; the register is never held whole.
struct PopoloWriter: ExportWriter {
    func write(_ job: ExportJob) async throws -> ExportOutput {
        let register = RegisterScope(job)
        let networks = try await register.networks()
        let memberships = try await register.memberships()
        let file = try OutputFile(name: "popolo.json", in: job.folder)
        let meta: JSONValue = .object([
            "generator": .string(Generator.text), "head_seq": .int(Int64(job.headSeq)),
            "generated_at": .string(job.generatedAtText),
            "network": job.network.map { .string($0.id) } ?? .null,
        ])
        try file.write(#"{"meta":"#)
        try file.write(try JSONStreamEncoder.encode(meta))
        try file.write(#","organizations":["#)
        var first = true
        func item(_ value: JSONValue) throws {
            try file.write(first ? "\n" : ",\n")
            first = false
            try file.write(try JSONStreamEncoder.encode(value))
        }
        for network in networks { try item(Self.organization(network)) }
        var organizations = networks.count
        var present = Set<String>()
        // Focal points come with their actors but go in later arrays: they wait in spill files, not in memory.
        let persons = try SpillFile(in: job.folder, name: "persons")
        let posts = try SpillFile(in: job.folder, name: "posts")
        let holdings = try SpillFile(in: job.folder, name: "holdings")
        try await register.actors(referenced: Set(memberships.map(\.actor))) { page in
            for actor in page {
                try item(Self.organization(actor))
                organizations += 1
                if job.network != nil { present.insert(actor.id) }
                for (index, focalPoint) in (actor.fields.focalPoints ?? []).enumerated() {
                    let post = "\(actor.id)/focal-point/\(index + 1)"
                    try posts.append(
                        .object([
                            "id": .string(post), "label": "Focal point",
                            "role": .string(focalPoint.title ?? "focal point"), "organization_id": .string(actor.id),
                        ]))
                    try persons.append(.object(["id": .string("\(post)/person"), "name": .string(focalPoint.name)]))
                    try holdings.append(
                        .object([
                            "id": .string("\(post)/membership"), "person_id": .string("\(post)/person"),
                            "organization_id": .string(actor.id), "post_id": .string(post), "role": "focal point",
                        ]))
                }
            }
        }
        try file.write("\n],\"memberships\":[")
        first = true
        var count = 0
        for membership in memberships where job.network == nil || present.contains(membership.actor) {
            try item(Self.membership(membership))
            count += 1
        }
        try holdings.copy(into: file, after: !first)
        try file.write("\n],\"persons\":[")
        try persons.copy(into: file, after: false)
        try file.write("\n],\"posts\":[")
        try posts.copy(into: file, after: false)
        try file.write("\n]}\n")
        return ExportOutput(
            files: [try file.commit()],
            counts: ["organizations": organizations, "memberships": count + holdings.count, "posts": posts.count])
    }

    static func organization(_ network: Network) -> JSONValue {
        var organization: JSONObject = [
            "id": .string(network.id), "name": .string(network.name), "classification": "network",
            "other_names": [.object(["name": .string(network.acronym), "note": "acronym"])],
            "identifiers": [.object(["scheme": "concord", "identifier": .string(network.id)])],
        ]
        if let founded = network.foundedOn { organization["founding_date"] = .string(founded) }
        return .object(organization)
    }

    static func organization(_ actor: ActorRecord) -> JSONValue {
        var organization: JSONObject = [
            "id": .string(actor.id), "name": .string(actor.fields.name),
            "classification": .string(actor.fields.kind.rawValue),
            "other_names": .array(
                (actor.fields.otherNames ?? [:]).sorted { $0.key < $1.key }.map { language, name in
                    .object(["name": .string(name), "note": .string("language: \(language)")])
                }),
            "identifiers": [.object(["scheme": "concord", "identifier": .string(actor.id)])],
            "area": .object([
                "id": .string("iso3166-1:\(actor.fields.country)"), "identifier": .string(actor.fields.country),
                "name": .string(actor.fields.country), "classification": "country",
            ]),
        ]
        if let since = actor.inactiveSince { organization["dissolution_date"] = .string(since) }
        return .object(organization)
    }

    static func membership(_ membership: Membership) -> JSONValue {
        var object: JSONObject = [
            "id": .string(membership.id),
            "member": .object(["@type": "Organization", "id": .string(membership.actor)]),
            "organization_id": .string(membership.network),
            "role": .string(membership.role.rawValue),
            "label": .string(
                "\(membership.role.rawValue) (\(membership.status.rawValue)), by \(membership.basis.kind.rawValue)"),
        ]
        if let start = membership.start { object["start_date"] = .string(start) }
        if let end = membership.end { object["end_date"] = .string(end) }
        var basis: JSONObject = ["kind": .string(membership.basis.kind.rawValue)]
        if let rule = membership.basis.rule { basis["rule"] = .string(rule) }
        if let source = membership.basis.source { basis["source"] = .string(source) }
        if let declaration = membership.basis.declaration { basis["declaration"] = .string(declaration) }
        object["status"] = .string(membership.status.rawValue)
        object["basis"] = .object(basis)
        return .object(object)
    }
}

/// Array items written aside while a document streams, to be copied in later: a temporary file in the run's
/// folder, removed once copied (or when dropped).
final class SpillFile {
    private let url: URL
    private let handle: FileHandle
    private var buffer = Data()
    private(set) var count = 0

    init(in folder: URL, name: String) throws {
        url = folder.appendingPathComponent(".\(name).spill")
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw ExportWriteError(message: "cannot create \(url.path)")
        }
        handle = try FileHandle(forUpdating: url)
    }

    deinit {
        try? handle.close()
        try? FileManager.default.removeItem(at: url)
    }

    func append(_ value: JSONValue) throws {
        if count > 0 { buffer.append(contentsOf: ",\n".utf8) }
        buffer.append(try JSONStreamEncoder.encode(value))
        count += 1
        if buffer.count > 1 << 16 { try flush() }
    }

    /// Copies the items into `file`, after a comma when `after` items are there already.
    func copy(into file: OutputFile, after: Bool) throws {
        try flush()
        guard count > 0 else { return }
        try file.write(after ? ",\n" : "\n")
        try handle.seek(toOffset: 0)
        while let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty {
            try file.write(chunk)
        }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
