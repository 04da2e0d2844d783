import Foundation

/// An email as RFC 5322 and MIME (RFC 2045-2047) write it: `multipart/alternative` with a text and an HTML
/// part in UTF-8 (base64, so no line is longer than 76 characters whatever the text), encoded-words for
/// non-ASCII in the subject and names, `Message-ID`, `Date`, and `List-Unsubscribe` (RFC 2369).
struct MIMEMessage: Sendable {
    var from: String
    var toName: String
    var toAddress: String
    var subject: String
    var text: String
    var html: String
    /// The part before `@` of the `Message-ID`: the same on every retry.
    var messageID: String
    var date: Date
    /// A `mailto:` URI.
    var listUnsubscribe: String?

    /// The message with CRLF line endings.
    func rendered() -> String {
        let domain = from.split(separator: "@").last.map(String.init) ?? "localhost"
        let boundary = "concord-" + Self.boundaryToken(messageID)
        var headers = [
            "Date: " + Self.date(date),
            "From: " + from,
            "To: " + Self.mailbox(name: toName, address: toAddress),
            "Subject: " + Self.encodedWords(subject, offset: "Subject: ".count),
            "Message-ID: <\(messageID)@\(domain)>",
            "MIME-Version: 1.0",
        ]
        if let listUnsubscribe { headers.append("List-Unsubscribe: <\(listUnsubscribe)>") }
        headers.append("Auto-Submitted: auto-generated")
        headers.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
        var lines = headers + [""]
        for (type, body) in [("text/plain", text), ("text/html", html)] {
            lines += [
                "--" + boundary, "Content-Type: \(type); charset=UTF-8", "Content-Transfer-Encoding: base64", "",
            ]
            lines += Self.base64Lines(Self.crlf(body))
        }
        lines.append("--" + boundary + "--")
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func crlf(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
    }

    static func base64Lines(_ text: String) -> [String] {
        let encoded = Data(text.utf8).base64EncodedString()
        return stride(from: 0, to: encoded.count, by: 76).map { start in
            let from = encoded.index(encoded.startIndex, offsetBy: start)
            let to = encoded.index(from, offsetBy: min(76, encoded.count - start))
            return String(encoded[from..<to])
        }
    }

    /// `"Name" <address>`, the name as encoded-words when it is not plain ASCII.
    static func mailbox(name: String, address: String) -> String {
        guard !name.isEmpty else { return "<\(address)>" }
        let plain = name.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 32 && $0 != "\"" && $0 != "\\" }
        return (plain ? "\"\(name)\"" : encodedWords(name, offset: 4)) + " <\(address)>"
    }

    /// `text` as it is when it is printable ASCII, else as `=?UTF-8?B?...?=` words of at most 75 characters,
    /// cut between characters and folded onto continuation lines (RFC 2047, section 2).
    static func encodedWords(_ text: String, offset: Int = 0) -> String {
        let printable = text.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 32 && $0.value < 127 }
        if printable, text.count + offset <= 998 { return text }
        var words: [String] = []
        var chunk = ""
        // 75 - "=?UTF-8?B?".count - "?=".count = 63 base64 characters: 45 bytes of UTF-8.
        for character in text {
            if (chunk + String(character)).utf8.count > 45 {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?" + Data($0.utf8).base64EncodedString() + "?=" }.joined(separator: "\r\n ")
    }

    /// RFC 5322's date-time: `Sat, 05 Dec 2026 15:55:03 +0000`.
    static func date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.weekday, .day, .month, .year, .hour, .minute, .second], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return days[parts.weekday! - 1] + ", "
            + String(format: "%02d ", parts.day!) + months[parts.month! - 1]
            + String(format: " %04d %02d:%02d:%02d +0000", parts.year!, parts.hour!, parts.minute!, parts.second!)
    }

    /// Letters and digits of the message id, for a boundary that no base64 line can contain (it has a dash).
    static func boundaryToken(_ id: String) -> String {
        String(id.filter { $0.isASCII && ($0.isLetter || $0.isNumber) }.prefix(40))
    }
}
