public import ConcordKit

// The plugin's own vocabulary. It lives with the plugin, not in Contracts: the daemon knows these messages only as
// JSON, and lists their schemas in system.catalog from what the plugin declares.

/// A role (`member`, `associate`, ... as the registry names them) or `*` for any role.
/// A size class (`small`, `intermediary`, `large`, `metropolis`, `unknown` for a member with no population) or `*`.
public struct Fee: Codable, Sendable, Equatable {
    public var role: String
    public var sizeClass: String
    /// In the currency's minor unit (cents for USD, yen for JPY).
    public var amount: Int64

    public init(role: String, sizeClass: String, amount: Int64) {
        self.role = role
        self.sizeClass = sizeClass
        self.amount = amount
    }

    enum CodingKeys: String, CodingKey {
        case role
        case sizeClass = "size_class"
        case amount
    }
}

/// A network's dues for one year: what each kind of member pays, by when.
public struct DuesRates: Codable, Sendable, Equatable {
    public var network: String
    public var year: Int
    /// ISO 4217, such as `USD`.
    public var currency: String
    /// `YYYY-MM-DD`.
    public var dueOn: String
    public var fees: [Fee]

    public init(network: String, year: Int, currency: String, dueOn: String, fees: [Fee]) {
        self.network = network
        self.year = year
        self.currency = currency
        self.dueOn = dueOn
        self.fees = fees
    }

    enum CodingKeys: String, CodingKey {
        case network, year, currency
        case dueOn = "due_on"
        case fees
    }
}

/// `dues.rates.set` takes the rates themselves, `network` by its id or acronym, and replaces what was set for that
/// network and year (invoices issued already keep their amounts); it answers them with the network's id.
extension DuesRates: Command {
    public static let topic: Topic = "dues.rates.set"
    public typealias Reply = DuesRates
}

public struct RatesSet: Event {
    public static let topic: Topic = "dues.rates.set"
    public var rates: DuesRates
    public init(rates: DuesRates) { self.rates = rates }
}

/// One member's dues for one year.
public struct Invoice: Codable, Sendable, Equatable {
    public var id: String
    public var network: String
    public var member: String
    public var memberName: String
    public var membership: String
    public var year: Int
    public var role: String
    public var sizeClass: String
    public var currency: String
    public var amount: Int64
    public var paid: Int64
    public var outstanding: Int64
    public var dueOn: String
    /// `open` until paid in full, then `settled`.
    public var status: String

    public init(
        id: String, network: String, member: String, memberName: String, membership: String, year: Int, role: String,
        sizeClass: String, currency: String, amount: Int64, paid: Int64, dueOn: String
    ) {
        self.id = id
        self.network = network
        self.member = member
        self.memberName = memberName
        self.membership = membership
        self.year = year
        self.role = role
        self.sizeClass = sizeClass
        self.currency = currency
        self.amount = amount
        self.paid = paid
        self.outstanding = amount - paid
        self.dueOn = dueOn
        self.status = paid >= amount ? "settled" : "open"
    }

    enum CodingKeys: String, CodingKey {
        case id, network, member
        case memberName = "member_name"
        case membership, year, role
        case sizeClass = "size_class"
        case currency, amount, paid, outstanding
        case dueOn = "due_on"
        case status
    }
}

/// Issues the year's invoice to every active member of the network that has none for that year.
public struct IssueInvoices: Command {
    public static let topic: Topic = "dues.invoices.issue"
    public typealias Reply = InvoicesIssued

    public var network: String
    public var year: Int

    public init(network: String, year: Int) {
        self.network = network
        self.year = year
    }
}

public struct InvoicesIssued: Codable, Sendable, Equatable {
    public var issued: [Invoice]
    /// Members that had the year's invoice already.
    public var alreadyIssued: Int
    /// Members with no fee for their role and size class.
    public var skipped: [Skipped]

    public struct Skipped: Codable, Sendable, Equatable {
        public var member: String
        public var reason: String
    }

    enum CodingKeys: String, CodingKey {
        case issued
        case alreadyIssued = "already_issued"
        case skipped
    }
}

public struct InvoiceIssued: Event {
    public static let topic: Topic = "dues.invoice.issued"
    public var invoice: Invoice
    public init(invoice: Invoice) { self.invoice = invoice }
}

/// Records a payment against an invoice; more than it owes is refused.
public struct RecordPayment: Command {
    public static let topic: Topic = "dues.payment.record"
    public typealias Reply = PaymentRecorded

    public var invoice: String
    /// In the invoice currency's minor unit.
    public var amount: Int64
    /// `YYYY-MM-DD`.
    public var paidOn: String
    /// The bank's or the treasurer's reference.
    public var reference: String?

    public init(invoice: String, amount: Int64, paidOn: String, reference: String? = nil) {
        self.invoice = invoice
        self.amount = amount
        self.paidOn = paidOn
        self.reference = reference
    }

    enum CodingKeys: String, CodingKey {
        case invoice, amount
        case paidOn = "paid_on"
        case reference
    }
}

public struct Payment: Codable, Sendable, Equatable {
    public var id: String
    public var invoice: String
    public var amount: Int64
    public var paidOn: String
    public var reference: String?

    enum CodingKeys: String, CodingKey {
        case id, invoice, amount
        case paidOn = "paid_on"
        case reference
    }
}

public struct PaymentRecorded: Event, Equatable {
    public static let topic: Topic = "dues.payment.recorded"
    public var payment: Payment
    /// The invoice after the payment.
    public var invoice: Invoice
}

public struct InvoiceSettled: Event {
    public static let topic: Topic = "dues.invoice.settled"
    public var invoice: Invoice
}

/// A reminder to a member: `upcoming` before the due date, `overdue` the day after it while money is owed.
/// Subscribe to `dues.reminder.` in notifications to have it sent.
public struct ReminderDue: Event, Equatable {
    public static let topic: Topic = "dues.reminder.due"
    public var kind: String
    public var invoice: String
    public var network: String
    public var member: String
    public var memberName: String
    public var year: Int
    public var currency: String
    public var outstanding: Int64
    public var dueOn: String

    enum CodingKeys: String, CodingKey {
        case kind, invoice, network, member
        case memberName = "member_name"
        case year, currency, outstanding
        case dueOn = "due_on"
    }
}

/// Lists invoices, newest year first.
public struct ListInvoices: Query {
    public static let topic: Topic = "dues.invoice.list"
    public typealias Reply = InvoiceList

    public var network: String?
    public var member: String?
    public var year: Int?
    /// `open` or `settled`.
    public var status: String?

    public init(network: String? = nil, member: String? = nil, year: Int? = nil, status: String? = nil) {
        self.network = network
        self.member = member
        self.year = year
        self.status = status
    }
}

public struct InvoiceList: Codable, Sendable, Equatable {
    public var invoices: [Invoice]
}

/// The members of a network that owe dues past their due date, on `as_of` (default: today, UTC).
public struct ListArrears: Query {
    public static let topic: Topic = "dues.arrears.list"
    public typealias Reply = Arrears

    public var network: String
    /// `YYYY-MM-DD`.
    public var asOf: String?

    public init(network: String, asOf: String? = nil) {
        self.network = network
        self.asOf = asOf
    }

    enum CodingKeys: String, CodingKey {
        case network
        case asOf = "as_of"
    }
}

public struct Arrears: Codable, Sendable, Equatable {
    public var network: String
    public var asOf: String
    public var members: [MemberArrears]

    public struct MemberArrears: Codable, Sendable, Equatable {
        public var member: String
        public var memberName: String
        public var invoices: [Overdue]
        /// What the member owes, by currency.
        public var owed: [Owed]

        enum CodingKeys: String, CodingKey {
            case member
            case memberName = "member_name"
            case invoices, owed
        }
    }

    public struct Overdue: Codable, Sendable, Equatable {
        public var invoice: String
        public var year: Int
        public var currency: String
        public var outstanding: Int64
        public var dueOn: String
        public var daysOverdue: Int

        enum CodingKeys: String, CodingKey {
            case invoice, year, currency, outstanding
            case dueOn = "due_on"
            case daysOverdue = "days_overdue"
        }
    }

    public struct Owed: Codable, Sendable, Equatable {
        public var currency: String
        public var amount: Int64
    }

    enum CodingKeys: String, CodingKey {
        case network
        case asOf = "as_of"
        case members
    }
}
