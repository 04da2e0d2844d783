import DaemonSupport
import Foundation

/// The registry's bulk import, as an operator runs it: `concordctl import` against a release concordd.
enum RegistryBenchmarks {
    /// Countries of the networks' members, with a time zone and a point to place cities around.
    static let places: [(country: String, zone: String, latitude: Double, longitude: Double)] = [
        ("VN", "Asia/Ho_Chi_Minh", 21.03, 105.85), ("LA", "Asia/Vientiane", 17.97, 102.6),
        ("KH", "Asia/Phnom_Penh", 11.56, 104.92), ("TH", "Asia/Bangkok", 13.75, 100.5),
        ("MM", "Asia/Yangon", 16.87, 96.2), ("KZ", "Asia/Almaty", 43.24, 76.89), ("KG", "Asia/Bishkek", 42.87, 74.6),
        ("TJ", "Asia/Dushanbe", 38.56, 68.78), ("TM", "Asia/Ashgabat", 37.95, 58.38),
        ("UZ", "Asia/Tashkent", 41.3, 69.24), ("JP", "Asia/Tokyo", 35.68, 139.69), ("KR", "Asia/Seoul", 37.57, 126.98),
        ("ID", "Asia/Jakarta", -6.2, 106.85), ("MY", "Asia/Kuala_Lumpur", 3.14, 101.69),
        ("PH", "Asia/Manila", 14.6, 120.98), ("IN", "Asia/Kolkata", 28.61, 77.21),
    ]

    /// A CSV of `count` distinct actors in the documented layout.
    static func actorsCSV(count: Int) -> String {
        var text = "name,kind,country,population,population_year,capital,time_zone,latitude,longitude,"
        text += "languages,focal_point_name,focal_point_email\n"
        text.reserveCapacity(count * 140)
        for index in 0..<count {
            let place = places[index % places.count]
            let kind = index % 5 == 0 ? "local_government" : "city"
            let population = 5_000 + (index * 7_919) % 3_000_000
            let latitude = place.latitude + Double(index % 100) / 100
            let longitude = place.longitude + Double(index % 97) / 100
            text += "Town \(index),\(kind),\(place.country),\(population),2024,none,\(place.zone),"
            text += "\(latitude),\(longitude),en,Focal point \(index),focal\(index)@town.example\n"
        }
        return text
    }

    static func import250k() throws -> Report {
        let count = 250_000
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "concord-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("actors.csv")
        try Data(actorsCSV(count: count).utf8).write(to: file)

        let listener = try NotifyListener(directory: directory)
        let (daemon, _) = try DaemonBenchmarks.start(in: directory, listener: listener)
        defer { DaemonBenchmarks.stop(daemon) }
        let before = try DaemonBenchmarks.memoryMB("VmRSS", of: daemon)

        let tool = Process()
        tool.executableURL = DaemonBenchmarks.concordd.deletingLastPathComponent().appendingPathComponent("concordctl")
        tool.arguments = [
            "import", "actors", file.path, "--endpoint", "ipc://\(directory.path)/commands", "--json",
            "--timeout", "60",
        ]
        let output = Pipe()
        tool.standardOutput = output
        let started = ContinuousClock.now
        try tool.run()
        let summary = output.fileHandleForReading.readDataToEndOfFile()
        tool.waitUntilExit()
        let elapsed = seconds(since: started)
        guard tool.terminationStatus == 0,
            let object = try? JSONSerialization.jsonObject(with: summary) as? [String: Any],
            object["imported"] as? Int == count
        else {
            throw DaemonBenchmarks.Failure(
                description:
                    "concordctl import exited \(tool.terminationStatus): \(String(decoding: summary, as: UTF8.self))")
        }
        return Report(
            name: "registry.import_250k",
            value: elapsed,
            unit: "s (concordctl import actors of a 250 000-row CSV into a release concordd, ipc)",
            target: "< 5 s, peak_rss_mb < 500",
            extra: [
                "peak_rss_mb": try DaemonBenchmarks.memoryMB("VmHWM", of: daemon), "rss_before_mb": before,
                "rows_per_s": Double(count) / elapsed,
                "file_mb": Double((try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0)
                    / 1_048_576,
            ]
        )
    }
}
