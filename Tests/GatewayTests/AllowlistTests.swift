import Foundation
import Testing

@testable import Gateway

@Suite struct AllowlistTests {
    @Test func parsesKeysRolesAndNamesWithZ85CharactersThatLookLikeComments() throws {
        let text = """
            # key                                      role      name
            rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7   operator  secretariat laptop
              .JjNIzIg]#Z8Xq+4w7oD>y5.X<nO*H2!/aWz?hAB   reader    dashboard

            """
        let list = try Allowlist.parse(text, path: "allowlist")
        #expect(list.entries.count == 2)
        #expect(list.entries["rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"]?.name == "secretariat laptop")
        #expect(list.entries[".JjNIzIg]#Z8Xq+4w7oD>y5.X<nO*H2!/aWz?hAB"]?.role == .reader)
    }

    @Test(arguments: [
        ("short operator x", "is not a 40-character Z85 public key"),
        (
            "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7 superuser x",
            "expected one of subscriber, reader, module, operator, admin"
        ),
        ("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7 operator", "expected <public key> <role> <name>"),
    ])
    func badLinesAreNamedWithTheirLineNumber(line: String, message: String) {
        let error = #expect(throws: Allowlist.ParseError.self) {
            try Allowlist.parse("# header\n" + line + "\n", path: "keys.txt")
        }
        #expect(error?.description.hasPrefix("allowlist keys.txt:2: ") == true, "\(error?.description ?? "")")
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
    }

    @Test func rolesIncludeTheOnesBefore() {
        #expect(Allowlist.Role.subscriber < .reader)
        #expect(Allowlist.Role.reader < .operator)
        #expect(Allowlist.Role.operator < .admin)
    }
}
