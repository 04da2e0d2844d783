import Bus
import ConcordKit
import Contracts
import Foundation
import Logging
import Matching
import Registry

/// The matching module through the bus, on a register of realistic size: 10 000 needs and 2 000 offers.
enum MatchingWorkloads {
    static let words =
        (0..<400).map { "w\($0)" } + [
            "flood", "drainage", "water", "sanitation", "transport", "bus", "energy", "solar", "waste", "resilience",
            "warning", "river", "heat", "housing", "lighting", "mobility", "wastewater", "landfill", "canal", "grid",
        ]
    static let sectors = ["140", "210", "230", "232", "410", "430", "740", "321", "311", "160"]
    static let countries = ["LA", "KH", "VN", "TH", "MM", "KZ", "KG", "TJ", "UZ", "JP", "KR", "MY", "ID", "PH", "RU"]

    final class Register {
        let runtime: Runtime
        let directory: URL
        var actors: [String] = []
        var setupSeconds = 0.0

        init(needs: Int, offers: Int) async throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "concord-bench-\(UUID().uuidString)")
            runtime = try Runtime(
                modules: [RegistryModule(), MatchingModule()],
                options: RuntimeOptions(dataDirectory: directory.path),
                logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
            await runtime.start()
            let began = ContinuousClock.now
            var random = SplitMix(state: 14)
            for index in 0..<60 {
                var fields = ActorFields(
                    name: "City \(index)", kind: .city, country: countries[index % countries.count])
                fields.population = [20_000, 90_000, 400_000, 2_000_000, 8_000_000][random.below(5)]
                actors.append(try await runtime.bus.send(RegisterActor(actor: fields), context: CommandContext()).id)
            }
            try await post((0..<needs).map { index in PostNeed(id: "n\(index)", fields: need(&random)) })
            try await post((0..<offers).map { index in PostOffer(id: "o\(index)", fields: offer(&random)) })
            _ = try await runtime.bus.send(Rescore(), context: CommandContext())
            setupSeconds = seconds(since: began)
        }

        func post<C: Command>(_ commands: [C]) async throws { try await sendAll(commands, on: runtime.bus) }

        func need(_ random: inout SplitMix) -> NeedFields {
            let low = Int64(10_000 * (1 + random.below(2000)))
            return NeedFields(
                actors: [actors[random.below(actors.count)]], title: "Project \(random.below(100_000))",
                description: (0..<(8 + random.below(8))).map { _ in words[random.below(words.count)] }
                    .joined(separator: " "),
                sectors: Array(Set((0...random.below(2)).map { _ in sectors[random.below(sectors.count)] })).sorted(),
                stage: ProjectStage.allCases[random.below(5)],
                budget: AmountRange(min: low, max: low * Int64(1 + random.below(4)), currency: "USD"),
                deadline: "2027-\(String(format: "%02d", 1 + random.below(12)))-15")
        }

        func offer(_ random: inout SplitMix) -> OfferFields {
            let finance = random.below(5) > 0
            let low = Int64(50_000 * (1 + random.below(100)))
            return OfferFields(
                kind: finance ? .finance : .technology, title: "Offer \(random.below(100_000))",
                description: (0..<(10 + random.below(10))).map { _ in words[random.below(words.count)] }
                    .joined(separator: " "),
                sectors: Array(Set((0...(1 + random.below(3))).map { _ in sectors[random.below(sectors.count)] }))
                    .sorted(),
                instrument: finance ? ["110", "421", "510", "D02"][random.below(4)] : nil,
                ticket: finance ? AmountRange(min: low, max: low * 20, currency: "USD") : nil,
                countries: random.below(2) == 0 ? [] : (0..<6).map { _ in countries[random.below(countries.count)] },
                sizeClasses: random.below(4) == 0 ? [.small, .intermediary] : [],
                stages: random.below(2) == 0 ? [] : Array(ProjectStage.allCases[random.below(3)...]),
                window: Window(opens: "2026-01-01", closes: random.below(10) == 0 ? "2026-06-30" : nil),
                capacity: finance ? Capacity(projects: 1 + random.below(8)) : nil)
        }

        func close() async {
            await runtime.shutdown()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// `matching.rescore`: every pair of 10 000 needs x 2 000 offers screened and scored into top-10 shortlists.
    static func shortlists10k2k() async throws -> Report {
        let register = try await Register(needs: 10_000, offers: 2_000)
        var times: [Double] = []
        var changed = 0
        for _ in 0..<3 {
            let began = ContinuousClock.now
            changed = try await register.runtime.bus.send(Rescore(), context: CommandContext()).changed
            times.append(seconds(since: began))
        }
        let lists = try await register.runtime.bus.send(GetShortlist(need: "n0"), context: CommandContext())
        await register.close()
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Report(
            name: "matching.shortlists_10k_2k", value: times.sorted()[1] * 1000,
            unit: "ms (20 000 000 pairs screened and scored into top-10 shortlists, matching.rescore on the bus)",
            target: "< 1000 ms, peak resident memory < 1024 MB",
            extra: [
                "peak_rss_mb": Double(usage.ru_maxrss) / 1024, "setup_s": register.setupSeconds,
                "changed_on_rescore": Double(changed), "n0_entries": Double(lists.entries.count),
            ])
    }

    /// `matching.need.post` of one new need against 2 000 offers: its shortlist and the offers' updated, with the
    /// events for what changed, committed.
    static func incremental() async throws -> Report {
        let register = try await Register(needs: 2_000, offers: 2_000)
        var random = SplitMix(state: 99)
        var times: [Double] = []
        for index in 0..<30 {
            let command = PostNeed(id: "new\(index)", fields: register.need(&random))
            let began = ContinuousClock.now
            _ = try await register.runtime.bus.send(command, context: CommandContext())
            times.append(seconds(since: began))
        }
        await register.close()
        times.sort()
        return Report(
            name: "matching.incremental", value: times[times.count / 2] * 1000,
            unit: "ms (matching.need.post of one need against 2 000 offers, committed, median of 30)",
            target: "< 5 ms", extra: ["p90_ms": times[times.count * 9 / 10] * 1000])
    }
}
