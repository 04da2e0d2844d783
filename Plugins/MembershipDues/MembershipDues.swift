public import ConcordKit
import Contracts
import Foundation

/// Membership dues for a network's secretariat, after CiviCRM's membership types and fees: a yearly fee per
/// membership role and city-size class, an invoice per member per year, payments against it, arrears, and
/// reminders before and after the due date that the notifications module can send.
///
/// A plugin: built as `libMembershipDues.so` by `dev/build-plugin MembershipDues` and loaded by `concordd` from its
/// plugins directory. It reads the register only through the registry's queries.
public struct MembershipDues: PluginModule {
    public static let descriptor = PluginDescriptor(
        name: "dues", version: "1.0.0",
        publishes: [RatesSet.self, InvoiceIssued.self, PaymentRecorded.self, InvoiceSettled.self, ReminderDue.self])

    public static let migrations = [SQLMigration("v1", sql: DuesStore.schema)]

    public init() {}

    public func start(context: PluginContext) async throws {
        let reminderDays = try context.configuration.int("reminder_days", default: 14)
        guard (0...365).contains(reminderDays) else {
            throw ConcordError.badRequest(
                "modules.dues.reminder_days: expected 0 to 365 days before the due date, got \(reminderDays)")
        }
        let dues = Dues(context: context, reminderDays: reminderDays)
        try context.handle(DuesRates.self) { command, _ in try await dues.setRates(command) }
        try context.handle(IssueInvoices.self) { command, _ in try await dues.issue(command) }
        try context.handle(RecordPayment.self, runsOn: .inline) { command, _ in try await dues.record(command) }
        try context.handle(ListInvoices.self, runsOn: .inline) { query, _ in try await dues.list(query) }
        try context.handle(ListArrears.self, runsOn: .inline) { query, _ in try await dues.arrears(query) }
        // A member who joins during a year whose dues are set is invoiced for it, as those issued already were.
        context.on(prefix: MembershipStarted.topic.rawValue) { envelope in
            guard envelope.topic == MembershipStarted.topic else { return }
            let started = try JSONValueDecoder().decode(MembershipStarted.self, from: envelope.payload)
            try await dues.invoiceJoining(started.membership)
        }
        context.statusReport.provide {
            let rows = (try? await context.store.read(DuesStore.openTotals)) ?? []
            return .object([
                "open_invoices": .int(rows.reduce(0) { $0 + ((try? $1.int("invoices")) ?? 0) }),
                "outstanding": .array(
                    rows.map { row in
                        .object([
                            "currency": .string((try? row.string("currency")) ?? ""),
                            "amount": .int((try? row.int("outstanding")) ?? 0),
                        ])
                    }),
            ])
        }
    }
}

@_cdecl("concord_plugin_v1")
public func concordPluginV1() -> UnsafeRawPointer { PluginExport.table(for: MembershipDues.self) }

/// The plugin's commands.
struct Dues: Sendable {
    let context: PluginContext
    let reminderDays: Int

    static let roles = Set(MembershipRole.allCases.map(\.rawValue) + ["*"])
    static let sizeClasses = Set(SizeClass.allCases.map(\.rawValue) + ["unknown", "*"])

    func setRates(_ command: DuesRates) async throws -> DuesRates {
        try Self.checkYear(command.year)
        guard command.currency.count == 3, command.currency.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw ConcordError.badRequest(
                "args.currency: expected an ISO 4217 code of three capital letters such as USD, got \"\(command.currency)\""
            )
        }
        _ = try Day(command.dueOn, field: "args.due_on")
        guard !command.fees.isEmpty else {
            throw ConcordError.badRequest("args.fees: expected at least one fee {role, size_class, amount}, got none")
        }
        var seen: Set<String> = []
        for (index, fee) in command.fees.enumerated() {
            guard Self.roles.contains(fee.role) else {
                throw ConcordError.badRequest(
                    "args.fees[\(index)].role: expected one of \(Self.roles.sorted().joined(separator: ", ")), got \"\(fee.role)\""
                )
            }
            guard Self.sizeClasses.contains(fee.sizeClass) else {
                throw ConcordError.badRequest(
                    "args.fees[\(index)].size_class: expected one of \(Self.sizeClasses.sorted().joined(separator: ", ")), got \"\(fee.sizeClass)\""
                )
            }
            guard fee.amount >= 0 else {
                throw ConcordError.badRequest(
                    "args.fees[\(index)].amount: expected 0 or more, in the currency's minor unit, got \(fee.amount)")
            }
            guard seen.insert("\(fee.role)/\(fee.sizeClass)").inserted else {
                throw ConcordError.badRequest(
                    "args.fees[\(index)]: role \(fee.role) and size class \(fee.sizeClass) are given twice")
            }
        }
        let network = try await resolve(command.network)
        let rates = DuesRates(
            network: network.id, year: command.year, currency: command.currency, dueOn: command.dueOn,
            fees: command.fees)
        return try await context.store.write { transaction in
            try DuesStore.replace(rates, in: transaction)
            try transaction.emit(RatesSet(rates: rates))
            return rates
        }
    }

    func issue(_ command: IssueInvoices) async throws -> InvoicesIssued {
        try Self.checkYear(command.year)
        let network = try await resolve(command.network)
        guard let rates = try await DuesStore.rates(network: network.id, year: command.year, store: context.store)
        else {
            throw ConcordError.notFound(
                "no dues are set for \(network.acronym) in \(command.year); set them with dues.rates.set first")
        }
        let memberships = try await context.send(ListMemberships(network: network.id, status: .active)).memberships
        var actors: [String: ActorRecord] = [:]
        var cursor: String?
        repeat {
            let page = try await context.send(
                ListActors(network: network.id, status: .active, cursor: cursor, limit: 1000))
            for actor in page.actors { actors[actor.id] = actor }
            cursor = page.next
        } while cursor != nil
        return try await issue(rates, to: memberships, actors: actors)
    }

    /// Invoices a membership that has just started, when its network's dues are set for the current year; a
    /// member invoiced already for the year is not invoiced again.
    func invoiceJoining(_ membership: Membership) async throws {
        guard membership.status == .active else { return }
        let year = Calendar(identifier: .gregorian).dateComponents(
            in: TimeZone(identifier: "UTC")!, from: context.clock.now()
        ).year!
        guard let rates = try await DuesStore.rates(network: membership.network, year: year, store: context.store)
        else { return }
        let actor = try await context.send(GetActor(id: membership.actor))
        let issued = try await issue(rates, to: [membership], actors: [actor.id: actor])
        for skipped in issued.skipped {
            context.logger.notice(
                "a member who joined was not invoiced",
                metadata: ["member": "\(skipped.member)", "reason": "\(skipped.reason)"])
        }
    }

    /// Issues `rates`' invoices to the members of `memberships`: one per member, for the membership with the
    /// highest fee, skipping (with the reason) members with no fee and those invoiced for the year already.
    private func issue(
        _ rates: DuesRates, to memberships: [Membership], actors: [String: ActorRecord]
    ) async throws -> InvoicesIssued {
        var chosen: [String: (Membership, Int64)] = [:]
        var skipped: [InvoicesIssued.Skipped] = []
        for membership in memberships.sorted(by: { ($0.actor, $0.id) < ($1.actor, $1.id) }) {
            let sizeClass = actors[membership.actor]?.sizeClass?.rawValue ?? "unknown"
            guard let fee = rates.fee(role: membership.role.rawValue, sizeClass: sizeClass) else {
                skipped.append(
                    .init(
                        member: membership.actor,
                        reason: "no fee for role \(membership.role.rawValue) and size class \(sizeClass)"))
                continue
            }
            if let current = chosen[membership.actor], current.1 >= fee { continue }
            chosen[membership.actor] = (membership, fee)
        }
        skipped.removeAll { chosen[$0.member] != nil }
        let skippedMembers = skipped
        let drafts = chosen.keys.sorted().map { member -> Invoice in
            let (membership, fee) = chosen[member]!
            return Invoice(
                id: EntityID.next(), network: rates.network, member: member,
                memberName: actors[member]?.fields.name ?? member, membership: membership.id, year: rates.year,
                role: membership.role.rawValue, sizeClass: actors[member]?.sizeClass?.rawValue ?? "unknown",
                currency: rates.currency, amount: fee, paid: 0, dueOn: rates.dueOn)
        }
        let reminders = self
        return try await context.store.write { transaction in
            var issued: [Invoice] = []
            for invoice in drafts where try DuesStore.insert(invoice, at: transaction.now, in: transaction) {
                try transaction.emit(InvoiceIssued(invoice: invoice))
                try reminders.schedule(for: invoice, in: transaction)
                issued.append(invoice)
            }
            return InvoicesIssued(
                issued: issued, alreadyIssued: drafts.count - issued.count, skipped: skippedMembers)
        }
    }

    func record(_ command: RecordPayment) async throws -> PaymentRecorded {
        guard command.amount > 0 else {
            throw ConcordError.badRequest(
                "args.amount: expected more than 0, in the invoice currency's minor unit, got \(command.amount)")
        }
        _ = try Day(command.paidOn, field: "args.paid_on")
        let reminders = self
        return try await context.store.write { transaction in
            guard var invoice = try DuesStore.invoice(command.invoice, in: transaction) else {
                throw ConcordError.notFound(
                    "invoice \(command.invoice): no such invoice; dues.invoice.list lists them")
            }
            guard command.amount <= invoice.outstanding else {
                throw ConcordError.conflict(
                    "args.amount: \(command.amount) is more than the \(invoice.outstanding) \(invoice.currency) still owed on invoice \(invoice.id)",
                    details: ["outstanding": .int(invoice.outstanding), "currency": .string(invoice.currency)])
            }
            let payment = Payment(
                id: EntityID.next(), invoice: invoice.id, amount: command.amount, paidOn: command.paidOn,
                reference: command.reference)
            try DuesStore.insert(payment, at: transaction.now, in: transaction)
            invoice = Invoice(
                id: invoice.id, network: invoice.network, member: invoice.member, memberName: invoice.memberName,
                membership: invoice.membership, year: invoice.year, role: invoice.role, sizeClass: invoice.sizeClass,
                currency: invoice.currency, amount: invoice.amount, paid: invoice.paid + command.amount,
                dueOn: invoice.dueOn)
            let recorded = PaymentRecorded(payment: payment, invoice: invoice)
            try transaction.emit(recorded)
            if invoice.outstanding == 0 {
                try transaction.emit(InvoiceSettled(invoice: invoice))
                for kind in ["upcoming", "overdue"] {
                    try transaction.cancelTimer(key: Self.reminderKey(kind, invoice))
                }
            } else {
                // The reminders still to come say what is owed now.
                try reminders.schedule(for: invoice, in: transaction)
            }
            return recorded
        }
    }

    func list(_ query: ListInvoices) async throws -> InvoiceList {
        if let status = query.status, !["open", "settled"].contains(status) {
            throw ConcordError.badRequest("args.status: expected open or settled, got \"\(status)\"")
        }
        if let year = query.year { try Self.checkYear(year) }
        var network: String?
        if let name = query.network { network = try await resolve(name).id }
        let invoices = try await DuesStore.invoices(
            network: network, member: query.member, year: query.year, status: query.status, store: context.store)
        return InvoiceList(invoices: invoices)
    }

    func arrears(_ query: ListArrears) async throws -> Arrears {
        let asOf = try query.asOf.map { try Day($0, field: "args.as_of") } ?? Day(context.clock.now())
        let network = try await resolve(query.network)
        let overdue = try await DuesStore.overdue(network: network.id, before: asOf.text, store: context.store)
        var members: [String: Arrears.MemberArrears] = [:]
        for invoice in overdue {
            let days = asOf.days(since: try Day(invoice.dueOn, field: "due_on"))
            members[
                invoice.member,
                default: .init(member: invoice.member, memberName: invoice.memberName, invoices: [], owed: [])
            ]
            .invoices.append(
                .init(
                    invoice: invoice.id, year: invoice.year, currency: invoice.currency,
                    outstanding: invoice.outstanding, dueOn: invoice.dueOn, daysOverdue: days))
        }
        let list = members.values.sorted { $0.member < $1.member }.map { member -> Arrears.MemberArrears in
            var owed: [String: Int64] = [:]
            for invoice in member.invoices { owed[invoice.currency, default: 0] += invoice.outstanding }
            var result = member
            result.owed = owed.keys.sorted().map { Arrears.Owed(currency: $0, amount: owed[$0]!) }
            return result
        }
        return Arrears(network: network.id, asOf: asOf.text, members: list)
    }

    /// Sets the invoice's reminders that are still ahead: `upcoming` `reminderDays` before the due date and
    /// `overdue` the day after it, each at 09:00 UTC.
    func schedule(for invoice: Invoice, in transaction: any PluginTransaction) throws {
        let due = try Day(invoice.dueOn, field: "due_on")
        let times = [
            ("upcoming", due.adding(days: -reminderDays).date.addingTimeInterval(9 * 3600)),
            ("overdue", due.adding(days: 1).date.addingTimeInterval(9 * 3600)),
        ]
        for (kind, time) in times where time > transaction.now {
            let reminder = ReminderDue(
                kind: kind, invoice: invoice.id, network: invoice.network, member: invoice.member,
                memberName: invoice.memberName, year: invoice.year, currency: invoice.currency,
                outstanding: invoice.outstanding, dueOn: invoice.dueOn)
            try transaction.schedule(reminder, at: time, key: Self.reminderKey(kind, invoice))
        }
    }

    static func reminderKey(_ kind: String, _ invoice: Invoice) -> String { "reminder.\(kind).\(invoice.id)" }

    /// The network named by its id or its acronym, in any case.
    func resolve(_ name: String) async throws -> Network {
        let networks = try await context.send(ListNetworks()).networks
        guard
            let network = networks.first(where: {
                $0.id == name || $0.acronym.compare(name, options: .caseInsensitive) == .orderedSame
            })
        else {
            throw ConcordError.notFound(
                "network \(name): no network has this id or acronym; registry.network.list lists them")
        }
        return network
    }

    static func checkYear(_ year: Int) throws {
        guard (1900...2200).contains(year) else {
            throw ConcordError.badRequest("args.year: expected a year from 1900 to 2200, got \(year)")
        }
    }
}

/// A calendar day, `YYYY-MM-DD`, in UTC.
struct Day: Sendable {
    let date: Date
    let text: String

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    init(_ text: String, field: String) throws {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            let date = Self.calendar.date(from: DateComponents(year: year, month: month, day: day)),
            Self.calendar.component(.day, from: date) == day, Self.calendar.component(.month, from: date) == month
        else {
            throw ConcordError.badRequest("\(field): expected a date YYYY-MM-DD such as 2027-03-31, got \"\(text)\"")
        }
        self.date = date
        self.text = text
    }

    init(_ instant: Date) {
        let components = Self.calendar.dateComponents([.year, .month, .day], from: instant)
        date = Self.calendar.date(from: components)!
        text = String(format: "%04d-%02d-%02d", components.year!, components.month!, components.day!)
    }

    func adding(days: Int) -> Day { Day(Self.calendar.date(byAdding: .day, value: days, to: date)!) }

    func days(since other: Day) -> Int { Self.calendar.dateComponents([.day], from: other.date, to: date).day! }
}
