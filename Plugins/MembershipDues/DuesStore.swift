import ConcordKit
import Foundation

/// The plugin's tables, all named `dues_*`, and the SQL that reads and writes them.
enum DuesStore {
    static let schema = """
        CREATE TABLE dues_years (
            network TEXT NOT NULL, year INTEGER NOT NULL, currency TEXT NOT NULL, due_on TEXT NOT NULL,
            PRIMARY KEY (network, year));
        CREATE TABLE dues_fees (
            network TEXT NOT NULL, year INTEGER NOT NULL, role TEXT NOT NULL, size_class TEXT NOT NULL,
            amount INTEGER NOT NULL CHECK (amount >= 0),
            PRIMARY KEY (network, year, role, size_class));
        CREATE TABLE dues_invoices (
            id TEXT PRIMARY KEY, network TEXT NOT NULL, member TEXT NOT NULL, member_name TEXT NOT NULL,
            membership TEXT NOT NULL, year INTEGER NOT NULL, role TEXT NOT NULL, size_class TEXT NOT NULL,
            currency TEXT NOT NULL, amount INTEGER NOT NULL, paid INTEGER NOT NULL DEFAULT 0 CHECK (paid <= amount),
            due_on TEXT NOT NULL, issued_at REAL NOT NULL,
            UNIQUE (network, member, year));
        CREATE INDEX dues_invoices_open ON dues_invoices(network, due_on) WHERE paid < amount;
        CREATE INDEX dues_invoices_member ON dues_invoices(member, year);
        CREATE TABLE dues_payments (
            id TEXT PRIMARY KEY, invoice TEXT NOT NULL REFERENCES dues_invoices(id), amount INTEGER NOT NULL,
            paid_on TEXT NOT NULL, reference TEXT, recorded_at REAL NOT NULL);
        CREATE INDEX dues_payments_invoice ON dues_payments(invoice);
        """

    static let openTotals = """
        SELECT currency, COUNT(*) AS invoices, SUM(amount - paid) AS outstanding
        FROM dues_invoices WHERE paid < amount GROUP BY currency ORDER BY currency
        """

    private static let invoiceColumns =
        "id, network, member, member_name, membership, year, role, size_class, currency, amount, paid, due_on"

    static func replace(_ rates: DuesRates, in transaction: any PluginTransaction) throws {
        let key: [SQLValue] = [.text(rates.network), .integer(Int64(rates.year))]
        try transaction.execute("DELETE FROM dues_fees WHERE network = ? AND year = ?", key)
        try transaction.execute(
            "INSERT OR REPLACE INTO dues_years(network, year, currency, due_on) VALUES (?, ?, ?, ?)",
            key + [.text(rates.currency), .text(rates.dueOn)])
        for fee in rates.fees {
            try transaction.execute(
                "INSERT INTO dues_fees(network, year, role, size_class, amount) VALUES (?, ?, ?, ?, ?)",
                key + [.text(fee.role), .text(fee.sizeClass), .integer(fee.amount)])
        }
    }

    static func rates(network: String, year: Int, store: any PluginStore) async throws -> DuesRates? {
        let key: [SQLValue] = [.text(network), .integer(Int64(year))]
        guard
            let row = try await store.read(
                "SELECT currency, due_on FROM dues_years WHERE network = ? AND year = ?", key
            ).first
        else { return nil }
        let fees = try await store.read(
            "SELECT role, size_class, amount FROM dues_fees WHERE network = ? AND year = ? ORDER BY role, size_class",
            key)
        return DuesRates(
            network: network, year: year, currency: try row.string("currency"), dueOn: try row.string("due_on"),
            fees: try fees.map {
                Fee(role: try $0.string("role"), sizeClass: try $0.string("size_class"), amount: try $0.int("amount"))
            })
    }

    /// Inserts the invoice unless the member has the year's already; whether it did.
    static func insert(_ invoice: Invoice, at now: Date, in transaction: any PluginTransaction) throws -> Bool {
        try transaction.execute(
            """
            INSERT OR IGNORE INTO dues_invoices(\(invoiceColumns), issued_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(invoice.id), .text(invoice.network), .text(invoice.member), .text(invoice.memberName),
                .text(invoice.membership), .integer(Int64(invoice.year)), .text(invoice.role),
                .text(invoice.sizeClass), .text(invoice.currency), .integer(invoice.amount), .integer(invoice.paid),
                .text(invoice.dueOn), .real(now.timeIntervalSince1970),
            ]
        ).changes == 1
    }

    static func invoice(_ id: String, in transaction: any PluginTransaction) throws -> Invoice? {
        try transaction.query("SELECT \(invoiceColumns) FROM dues_invoices WHERE id = ?", [.text(id)]).first
            .map(invoice(from:))
    }

    static func insert(_ payment: Payment, at now: Date, in transaction: any PluginTransaction) throws {
        try transaction.execute(
            "INSERT INTO dues_payments(id, invoice, amount, paid_on, reference, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                .text(payment.id), .text(payment.invoice), .integer(payment.amount), .text(payment.paidOn),
                SQLValue(payment.reference), .real(now.timeIntervalSince1970),
            ])
        try transaction.execute(
            "UPDATE dues_invoices SET paid = paid + ? WHERE id = ?", [.integer(payment.amount), .text(payment.invoice)])
    }

    static func invoices(
        network: String?, member: String?, year: Int?, status: String?, store: any PluginStore
    ) async throws -> [Invoice] {
        var conditions: [String] = []
        var arguments: [SQLValue] = []
        if let network {
            conditions.append("network = ?")
            arguments.append(.text(network))
        }
        if let member {
            conditions.append("member = ?")
            arguments.append(.text(member))
        }
        if let year {
            conditions.append("year = ?")
            arguments.append(.integer(Int64(year)))
        }
        if let status { conditions.append(status == "open" ? "paid < amount" : "paid >= amount") }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        return try await store.read(
            "SELECT \(invoiceColumns) FROM dues_invoices\(filter) ORDER BY year DESC, member_name, id", arguments
        ).map(invoice(from:))
    }

    static func overdue(network: String, before day: String, store: any PluginStore) async throws -> [Invoice] {
        try await store.read(
            """
            SELECT \(invoiceColumns) FROM dues_invoices
            WHERE network = ? AND paid < amount AND due_on < ? ORDER BY member, year, id
            """,
            [.text(network), .text(day)]
        ).map(invoice(from:))
    }

    private static func invoice(from row: SQLRow) throws -> Invoice {
        Invoice(
            id: try row.string("id"), network: try row.string("network"), member: try row.string("member"),
            memberName: try row.string("member_name"), membership: try row.string("membership"),
            year: Int(try row.int("year")), role: try row.string("role"), sizeClass: try row.string("size_class"),
            currency: try row.string("currency"), amount: try row.int("amount"), paid: try row.int("paid"),
            dueOn: try row.string("due_on"))
    }
}

extension DuesRates {
    /// The fee of a member with `role` and `sizeClass`: the most specific one set, role and class before role
    /// alone, before class alone, before `*` for both.
    func fee(role: String, sizeClass: String) -> Int64? {
        for (r, s) in [(role, sizeClass), (role, "*"), ("*", sizeClass), ("*", "*")] {
            if let fee = fees.first(where: { $0.role == r && $0.sizeClass == s }) { return fee.amount }
        }
        return nil
    }
}
