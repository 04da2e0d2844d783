import ConcordKit
import Contracts
import Foundation

/// The members as a GeoJSON FeatureCollection (RFC 7946): Points in longitude, latitude order (WGS 84, no `crs`),
/// with name, kind, size class and networks. Actors without coordinates cannot be placed: they are counted (in
/// the reply and in the file's `concord` member), and listed there by id, never silently dropped.
struct GeoJSONWriter: ExportWriter {
    func write(_ job: ExportJob) async throws -> ExportOutput {
        let register = RegisterScope(job)
        let networks = try await register.networks()
        let acronyms = Dictionary(uniqueKeysWithValues: networks.map { ($0.id, $0.acronym) })
        var networksOf: [String: [String]] = [:]
        for membership in try await register.memberships() where membership.status == .active {
            if let acronym = acronyms[membership.network] {
                networksOf[membership.actor, default: []].append(acronym)
            }
        }
        // A network's map shows its active members; the register's shows every actor.
        let members = Set(networksOf.keys)
        let file = try OutputFile(name: "members.geojson", in: job.folder)
        try file.write(#"{"type":"FeatureCollection","features":["#)
        var features = 0
        var unplaced: [String] = []
        try await register.actors(referenced: members) { page in
            for actor in page where job.network == nil || members.contains(actor.id) {
                guard let point = actor.fields.coordinates else {
                    unplaced.append(actor.id)
                    continue
                }
                try file.write(features == 0 ? "\n" : ",\n")
                try file.write(try Self.feature(actor, point: point, networks: (networksOf[actor.id] ?? []).sorted()))
                features += 1
            }
        }
        let metadata: JSONValue = .object([
            "generator": .string(Generator.text), "head_seq": .int(Int64(job.headSeq)),
            "generated_at": .string(job.generatedAtText),
            "network": job.network.map { .string($0.id) } ?? .null, "features": .int(Int64(features)),
            "without_coordinates": .int(Int64(unplaced.count)),
            "without_coordinates_ids": .array(unplaced.map(JSONValue.string)),
        ])
        try file.write("\n],\"concord\":")
        try file.write(try JSONStreamEncoder.encode(metadata))
        try file.write("}\n")
        return ExportOutput(
            files: [try file.commit()], counts: ["features": features, "without_coordinates": unplaced.count])
    }

    static func feature(_ actor: ActorRecord, point: Coordinates, networks: [String]) throws -> Data {
        guard (-180...180).contains(point.longitude), (-90...90).contains(point.latitude) else {
            throw ExportWriteError(
                message:
                    "actor \(actor.id) has coordinates out of range (latitude \(point.latitude), longitude \(point.longitude))"
            )
        }
        var properties: JSONObject = [
            "name": .string(actor.fields.name), "kind": .string(actor.fields.kind.rawValue),
            "country": .string(actor.fields.country),
        ]
        properties["size_class"] = actor.sizeClass.map { .string($0.rawValue) } ?? .null
        properties["population"] = actor.fields.population.map { .int($0) } ?? .null
        properties["networks"] = .array(networks.map(JSONValue.string))
        let feature: JSONValue = .object([
            "type": "Feature", "id": .string(actor.id),
            "geometry": .object(["type": "Point", "coordinates": [.double(point.longitude), .double(point.latitude)]]),
            "properties": .object(properties),
        ])
        return try JSONStreamEncoder.encode(feature)
    }
}
