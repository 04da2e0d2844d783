import ConcordKit
import Contracts
import Foundation
import Mustache

/// Days as the report counts them (`YYYY-MM-DD`, compared as text, which orders them).
enum ReportDates {
    static func day(_ text: String, field: String) throws(ConcordError) -> String {
        guard text.utf8.count == 10, let date = try? Date(text + "T00:00:00Z", strategy: .iso8601),
            ExportJob.utc(date).hasPrefix(text)
        else {
            throw .badRequest(
                "\(field): expected a date as YYYY-MM-DD such as \"2027-03-15\", got \"\(text.prefix(40))\"")
        }
        return text
    }

    /// `day` moved by whole months (`2027-03-15`, -6 → `2026-09-15`), clamped to the month's end.
    static func adding(months: Int, to day: String) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = try? Date(day + "T00:00:00Z", strategy: .iso8601),
            let moved = calendar.date(byAdding: .month, value: months, to: date)
        else { return day }
        return String(ExportJob.utc(moved).prefix(10))
    }
}

/// The progress-review report of a network at a review date: members, meetings held in the period and the next
/// ones, and per action plan its actions and indicators (baseline, target, the value at the review date and now,
/// the share of the way to target, a status light) with an inline SVG chart. One HTML file, rendered with
/// swift-mustache (every value escaped), no script and nothing fetched, printable.
struct ReportWriter: ExportWriter {
    func write(_ job: ExportJob) async throws -> ExportOutput {
        guard let network = job.network, let review = job.scope.reviewDate else {
            throw ConcordError.badRequest("scope: a report takes network and review_date")
        }
        let since = job.scope.since ?? ReportDates.adding(months: -6, to: review)
        let sources = job.sources
        let memberships = try await sources.memberships(network: network.id).filter {
            [.active, .applied, .suspended].contains($0.status)
        }
        let plans = try await sources.actionPlans(network: network.id)
        var ids = Set(memberships.map(\.actor))
        for plan in plans { ids.formUnion(plan.actions.compactMap(\.owner)) }
        let actors = try await sources.actors(ids: ids)
        var changes: [String: PlanChanges] = [:]
        for plan in plans { changes[plan.id] = try await sources.planChanges(plan.id, since: review) }

        // Meetings: one-off ones and every series' occurrences, by start.
        var sessions: [Session] = []
        for meeting in try await sources.meetings(network: network) {
            sessions.append(
                Session(
                    title: meeting.fields.title, start: meeting.fields.start,
                    day: String(meeting.fields.start.prefix(10)),
                    timeZone: meeting.fields.timeZone, status: meeting.fields.status ?? .planned,
                    host: meeting.fields.host))
        }
        let horizon = ReportDates.adding(months: 36, to: review)
        for series in try await sources.series(network: network) {
            let list = try await sources.occurrences(series.id, before: horizon + "T00:00:00Z")
            for occurrence in list.occurrences {
                sessions.append(
                    Session(
                        title: occurrence.title, start: occurrence.start.text,
                        day: String(occurrence.start.text.prefix(10)), timeZone: list.timeZone,
                        status: occurrence.status, host: occurrence.host))
            }
        }
        let hostIDs = Set(sessions.compactMap(\.host)).subtracting(actors.keys)
        let hosts = try await sources.actors(ids: hostIDs).merging(actors) { first, _ in first }
        sessions.sort { $0.start < $1.start }
        let held = sessions.filter { $0.day >= since && $0.day <= review && $0.status != .cancelled }
        let next = sessions.filter { $0.day > review && $0.status != .cancelled }.prefix(3)

        let report = ReportModel(
            network: network, review: review, since: since, job: job, memberships: memberships, actors: hosts,
            held: held, next: Array(next), plans: plans, changes: changes)
        let html = ReportTemplate.shared.render(report.context)
        let file = try OutputFile(name: "report.html", in: job.folder)
        try file.write(html)
        return ExportOutput(
            files: [try file.commit()],
            counts: [
                "members": memberships.count, "meetings_held": held.count, "plans": plans.count,
                "indicators": report.indicatorCount,
            ])
    }
}

/// A meeting or an occurrence, as the report lists it.
struct Session {
    var title: String
    var start: String
    var day: String
    var timeZone: String?
    var status: MeetingStatus
    var host: String?
}

/// The report's values, as the template reads them: every number formatted, every light decided, every bar
/// placed here; the template only lays them out.
struct ReportModel {
    var context: [String: Any]
    var indicatorCount: Int

    init(
        network: Network, review: String, since: String, job: ExportJob, memberships: [Membership],
        actors: [String: ActorRecord], held: [Session], next: [Session], plans: [ActionPlan],
        changes: [String: PlanChanges]
    ) {
        let members: [[String: Any]] = memberships.sorted {
            (actors[$0.actor]?.fields.name ?? $0.actor) < (actors[$1.actor]?.fields.name ?? $1.actor)
        }.map { membership in
            let actor = actors[membership.actor]
            return [
                "name": actor?.fields.name ?? membership.actor, "country": actor?.fields.country ?? "",
                "kind": (actor?.fields.kind.rawValue ?? "").replacingOccurrences(of: "_", with: " "),
                "role": membership.role.rawValue.replacingOccurrences(of: "_", with: " "),
                "status": membership.status.rawValue, "since": membership.start ?? "",
                "basis": membership.basis.kind.rawValue.replacingOccurrences(of: "_", with: " "),
            ]
        }
        func session(_ session: Session) -> [String: Any] {
            [
                "title": session.title, "when": session.start.replacingOccurrences(of: "T", with: " "),
                "zone": session.timeZone ?? "", "status": session.status.rawValue,
                "host": session.host.map { actors[$0]?.fields.name ?? $0 } ?? "",
            ]
        }
        var indicatorCount = 0
        let planContexts: [[String: Any]] = plans.map { plan in
            let changed = Dictionary(
                (changes[plan.id]?.actions ?? []).map { ($0.action, $0) }, uniquingKeysWith: { first, _ in first })
            var bars: [[String: Any]] = []
            let actions: [[String: Any]] = plan.actions.map { action in
                let change = changed[action.key]
                let indicators: [[String: Any]] = action.indicators.map { indicator in
                    let delta = change?.indicators.first { $0.indicator == indicator.key }
                    let now = delta?.now ?? indicator.current ?? indicator.baseline
                    let then = delta != nil ? delta?.then : now
                    let progressNow = Self.progress(now, indicator)
                    let progressThen = Self.progress(then, indicator)
                    let light = Self.light(progressNow, status: action.status)
                    let label = "\(action.key) \(indicator.name)"
                    bars.append(
                        Self.bar(index: bars.count, label: label, then: progressThen, now: progressNow, light: light))
                    var row: [String: Any] = [
                        "name": indicator.name,
                        "baseline": Self.number(indicator.baseline), "target": Self.number(indicator.target),
                        "then": Self.number(then), "now": Self.number(now),
                        "progress": progressNow.map { "\(Int(($0 * 100).rounded()))%" } ?? "–",
                        "light": light, "lightLabel": Self.lightLabel(light, status: action.status),
                    ]
                    if let unit = indicator.unit, !unit.isEmpty { row["unit"] = unit }
                    return row
                }
                indicatorCount += indicators.count
                return [
                    "key": action.key, "title": action.title,
                    "owner": action.owner.map { actors[$0]?.fields.name ?? $0 } ?? "",
                    "deadline": action.deadline ?? "",
                    "status": action.status.rawValue.replacingOccurrences(of: "_", with: " "),
                    "indicators": indicators, "rows": max(indicators.count, 1), "hasIndicators": !indicators.isEmpty,
                ]
            }
            return [
                "title": plan.title, "themes": plan.themes.joined(separator: ", "), "adopted": plan.adoptedOn ?? "",
                "actions": actions, "bars": bars, "hasBars": !bars.isEmpty,
                "chartHeight": 28 + bars.count * 30, "chartLabel": "Progress toward target: \(plan.title)",
            ]
        }
        context = [
            "network": ["name": network.name, "acronym": network.acronym],
            "review": review, "since": since, "generatedAt": job.generatedAtText, "headSeq": String(job.headSeq),
            "generator": Generator.text, "members": members, "memberCount": members.count,
            "held": held.map(session), "hasHeld": !held.isEmpty, "next": next.map(session), "hasNext": !next.isEmpty,
            "plans": planContexts, "hasPlans": !planContexts.isEmpty,
        ]
        self.indicatorCount = indicatorCount
    }

    /// Share of the way from baseline to target, 0 to 1 or beyond; nil without both ends or a value.
    static func progress(_ value: Double?, _ indicator: Indicator) -> Double? {
        guard let value, let target = indicator.target else { return nil }
        let baseline = indicator.baseline ?? 0
        guard target != baseline else { return value == target ? 1 : nil }
        return (value - baseline) / (target - baseline)
    }

    /// green: done or at least 75% of the way; amber: at least 40%; red: less, or delayed; grey: nothing to tell
    /// (cancelled, not started and still at its baseline, or no figures).
    static func light(_ progress: Double?, status: ActionStatus) -> String {
        if status == .done { return "green" }
        if status == .cancelled || (status == .planned && (progress ?? 0) <= 0) { return "grey" }
        guard let progress else { return status == .delayed ? "red" : "grey" }
        if status == .delayed { return progress >= 0.75 ? "amber" : "red" }
        return progress >= 0.75 ? "green" : progress >= 0.4 ? "amber" : "red"
    }

    static func lightLabel(_ light: String, status: ActionStatus) -> String {
        switch light {
        case "green": "on track"
        case "amber": "needs attention"
        case "red": "off track"
        default: status == .planned ? "not started" : status == .cancelled ? "cancelled" : "no data"
        }
    }

    static func number(_ value: Double?) -> String {
        guard let value else { return "–" }
        if value == value.rounded(), abs(value) < 1e12 { return String(Int64(value)) }
        return String(format: "%.2f", value)
    }

    /// One indicator's row of the chart: the track is 300 px for 0 to 100% of the way; beyond is drawn to 120%.
    static func bar(index: Int, label: String, then: Double?, now: Double?, light: String) -> [String: Any] {
        func width(_ progress: Double?) -> Int { Int((min(max(progress ?? 0, 0), 1.2) * 300).rounded()) }
        let y = 20 + index * 30
        return [
            "label": label.count > 40 ? String(label.prefix(39)) + "…" : label, "y": y, "textY": y + 13,
            "thenWidth": width(then), "nowWidth": width(now), "nowY": y + 6, "light": light,
            "percent": now.map { "\(Int(($0 * 100).rounded()))%" } ?? "–", "textX": 650,
        ]
    }
}

/// The report's HTML, compiled once.
enum ReportTemplate {
    static let shared: MustacheTemplate = {
        do {
            return try MustacheTemplate(string: source)
        } catch {
            fatalError("the shipped report template does not parse: \(error)")
        }
    }()

    static let source = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="generator" content="{{generator}}">
        <meta name="concord-head-seq" content="{{headSeq}}">
        <title>{{network.name}}: progress review, {{review}}</title>
        <style>
        body { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; margin: 2em; color: #1b1b1b; }
        h1 { font-size: 1.6em; margin-bottom: 0.2em; }
        h2 { font-size: 1.25em; border-bottom: 2px solid #2b5d8c; padding-bottom: 0.2em; margin-top: 1.6em; }
        h3 { font-size: 1.1em; }
        table { border-collapse: collapse; width: 100%; margin: 0.6em 0; font-size: 0.9em; }
        th, td { border: 1px solid #c8c8c8; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
        th { background: #eef3f8; }
        td.number { text-align: right; font-variant-numeric: tabular-nums; }
        .meta { color: #555; font-size: 0.9em; }
        .light { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 50%; vertical-align: middle; margin-right: 0.3em; }
        .green { background: #2e7d32; } .amber { background: #f9a825; } .red { background: #c62828; } .grey { background: #9e9e9e; }
        svg .track { fill: #eeeeee; } svg .then { fill: #b0bec5; }
        svg .green { fill: #2e7d32; } svg .amber { fill: #f9a825; } svg .red { fill: #c62828; } svg .grey { fill: #9e9e9e; }
        svg text { font-size: 12px; fill: #1b1b1b; }
        @media print { body { margin: 1cm; } h2 { page-break-after: avoid; } table, svg { page-break-inside: avoid; } }
        </style>
        </head>
        <body>
        <h1>{{network.name}} ({{network.acronym}})</h1>
        <p class="meta">Progress review of {{review}}, covering {{since}} to {{review}}. Generated {{generatedAt}} by {{generator}} at journal position {{headSeq}}.</p>

        <h2>Members ({{memberCount}})</h2>
        <table>
        <thead><tr><th>Member</th><th>Country</th><th>Kind</th><th>Role</th><th>Status</th><th>Since</th><th>Basis</th></tr></thead>
        <tbody>
        {{#members}}<tr><td>{{name}}</td><td>{{country}}</td><td>{{kind}}</td><td>{{role}}</td><td>{{status}}</td><td>{{since}}</td><td>{{basis}}</td></tr>
        {{/members}}
        </tbody>
        </table>

        <h2>Meetings</h2>
        <h3>Held from {{since}} to {{review}}</h3>
        {{#hasHeld}}<table>
        <thead><tr><th>Meeting</th><th>When (local)</th><th>Zone</th><th>Host</th><th>Status</th></tr></thead>
        <tbody>
        {{#held}}<tr><td>{{title}}</td><td>{{when}}</td><td>{{zone}}</td><td>{{host}}</td><td>{{status}}</td></tr>
        {{/held}}
        </tbody>
        </table>{{/hasHeld}}
        {{^hasHeld}}<p>No meeting in this period.</p>{{/hasHeld}}
        <h3>Next</h3>
        {{#hasNext}}<table>
        <thead><tr><th>Meeting</th><th>When (local)</th><th>Zone</th><th>Host</th><th>Status</th></tr></thead>
        <tbody>
        {{#next}}<tr><td>{{title}}</td><td>{{when}}</td><td>{{zone}}</td><td>{{host}}</td><td>{{status}}</td></tr>
        {{/next}}
        </tbody>
        </table>{{/hasNext}}
        {{^hasNext}}<p>No meeting planned after {{review}}.</p>{{/hasNext}}

        <h2>Action plans</h2>
        {{^hasPlans}}<p>The network has no action plan.</p>{{/hasPlans}}
        {{#plans}}
        <h3>{{title}}</h3>
        <p class="meta">Themes: {{themes}}. Adopted {{adopted}}. Values "at review" are as of {{review}}; "now" is the latest reported.</p>
        <table>
        <thead><tr><th>Action</th><th>Owner</th><th>Deadline</th><th>Status</th><th>Indicator</th><th>Baseline</th><th>Target</th><th>At review</th><th>Now</th><th>Of the way</th><th>Light</th></tr></thead>
        <tbody>
        {{#actions}}{{#hasIndicators}}{{#indicators}}<tr><td>{{key}} {{title}}</td><td>{{owner}}</td><td>{{deadline}}</td><td>{{status}}</td><td>{{name}}{{#unit}} ({{unit}}){{/unit}}</td><td class="number">{{baseline}}</td><td class="number">{{target}}</td><td class="number">{{then}}</td><td class="number">{{now}}</td><td class="number">{{progress}}</td><td><span class="light {{light}}"></span>{{lightLabel}}</td></tr>
        {{/indicators}}{{/hasIndicators}}{{^hasIndicators}}<tr><td>{{key}} {{title}}</td><td>{{owner}}</td><td>{{deadline}}</td><td>{{status}}</td><td colspan="7">No indicator.</td></tr>
        {{/hasIndicators}}{{/actions}}
        </tbody>
        </table>
        {{#hasBars}}<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{{chartLabel}}" width="720" height="{{chartHeight}}" viewBox="0 0 720 {{chartHeight}}">
        <text x="280" y="12">0%</text><text x="562" y="12">100% of target</text>
        {{#bars}}<text x="0" y="{{textY}}">{{label}}</text>
        <rect class="track" x="280" y="{{y}}" width="300" height="18"/>
        <rect class="then" x="280" y="{{y}}" width="{{thenWidth}}" height="18"/>
        <rect class="{{light}}" x="280" y="{{nowY}}" width="{{nowWidth}}" height="8"/>
        <text x="{{textX}}" y="{{textY}}">{{percent}}</text>
        {{/bars}}<line x1="580" y1="16" x2="580" y2="{{chartHeight}}" stroke="#1b1b1b" stroke-dasharray="3,3"/>
        </svg>
        <p class="meta">Grey bar: at review; coloured bar: now; dashed line: target.</p>{{/hasBars}}
        {{/plans}}
        </body>
        </html>

        """
}
