import Foundation
import Testing

@testable import Notifications

@Suite struct MIMEMessageTests {
    static let message = MIMEMessage(
        from: "secretariat@umci.example.org", toName: "Agnès Dupont", toAddress: "agnes@example.org",
        subject: "Nhắc lịch: Hội nghị toàn thể lần thứ 12 tại Huế bắt đầu 2026-12-12T09:00:00",
        text: "Dear Agnès,\n.\n..starts soon", html: "<p>Dear Agnès</p>", messageID: "17_sub-1",
        date: Date(timeIntervalSince1970: 1_796_400_000), listUnsubscribe: "mailto:leave@umci.example.org")

    @Test func headersAreASCIIAndNamesAreEncodedWords() {
        let rendered = Self.message.rendered()
        #expect(rendered.unicodeScalars.allSatisfy { $0.isASCII })
        #expect(rendered.contains("To: =?UTF-8?B?QWduw6hzIER1cG9udA==?= <agnes@example.org>\r\n"))
        #expect(rendered.contains("Message-ID: <17_sub-1@umci.example.org>\r\n"))
        #expect(rendered.contains("List-Unsubscribe: <mailto:leave@umci.example.org>\r\n"))
        #expect(rendered.contains("Date: Fri, 04 Dec 2026 16:00:00 +0000\r\n"))
        #expect(rendered.contains("Content-Type: multipart/alternative; boundary=\"concord-17sub1\"\r\n"))
        // No line is over 76 characters but the headers', which are folded under 998.
        for line in rendered.components(separatedBy: "\r\n") { #expect(line.count <= 120, "\(line)") }
    }

    @Test func aLongSubjectIsCutIntoWordsBetweenCharacters() throws {
        let subject = MIMEMessage.encodedWords(Self.message.subject, offset: 9)
        let words = subject.components(separatedBy: "\r\n ")
        #expect(words.count > 1)
        var decoded = ""
        for word in words {
            #expect(word.count <= 75 && word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
            let data = try #require(Data(base64Encoded: String(word.dropFirst(10).dropLast(2))))
            decoded += try #require(String(data: data, encoding: .utf8))
        }
        #expect(decoded == Self.message.subject)
        #expect(MIMEMessage.encodedWords("Plain subject") == "Plain subject")
    }

    @Test func linesStartingWithADotAreStuffed() {
        #expect(SMTPClient.dotStuffed("a\r\n.\r\n..b\r\nc\r\n") == "a\r\n..\r\n...b\r\nc\r\n")
        #expect(SMTPClient.dotStuffed("no newline") == "no newline\r\n")
    }

    @Test func bodiesAreBase64InShortLines() throws {
        let lines = MIMEMessage.base64Lines(String(repeating: "Huế ", count: 100))
        #expect(lines.dropLast().allSatisfy { $0.count == 76 })
        let data = try #require(Data(base64Encoded: lines.joined()))
        #expect(String(data: data, encoding: .utf8) == String(repeating: "Huế ", count: 100))
    }

    @Test func emailAddressesAreChecked() {
        for good in ["a@example.org", "focal.point+umci@city.gov.la", "x@sub.domain.vn"] {
            #expect(Addresses.isEmail(good), "\(good)")
        }
        for bad in ["", "a", "a@b", "@example.org", "a@@example.org", "a b@example.org", "a@-x.org", "a.@x.org"] {
            #expect(!Addresses.isEmail(bad), "\(bad)")
        }
    }
}
