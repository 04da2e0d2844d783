import DaemonSupport
import Foundation
import Testing

@Suite struct DaemonConfigurationTests {
    private func file(_ yaml: String) throws -> String {
        let url = try Build.temporaryDirectory().appendingPathComponent("concordd.yaml")
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func defaultsAreTheEmbeddedLoopbackSetUp() async throws {
        let configuration = try await DaemonConfiguration.load(file: nil, environment: [:])
        #expect(configuration.eventsEndpoint == "tcp://127.0.0.1:7401")
        #expect(configuration.commandsEndpoint == "tcp://127.0.0.1:7402")
        #expect(configuration.dataDirectory.hasSuffix("/data"))
        #expect(configuration.logLevel == .info)
        #expect(configuration.heartbeatInterval == .seconds(1))
    }

    @Test func pluginsAreBesideTheDataDirectoryUnlessConfigured() async throws {
        let beside = try await DaemonConfiguration.load(
            file: nil, flags: ["data-dir": "/var/lib/concord/data"], environment: [:])
        #expect(beside.pluginsDirectory == "/var/lib/concord/plugins")
        let path = try file("plugins:\n  directory: /opt/from-file/plugins\n")
        let configured = try await DaemonConfiguration.load(file: path, environment: [:])
        #expect(configured.pluginsDirectory == "/opt/from-file/plugins")
        let environment = try await DaemonConfiguration.load(
            file: path, environment: ["CONCORD_PLUGINS_DIRECTORY": "/usr/local/lib/concord/plugins"])
        #expect(environment.pluginsDirectory == "/usr/local/lib/concord/plugins")
        let flag = try await DaemonConfiguration.load(
            file: path, flags: ["plugins-dir": "/tmp/plugins"], environment: [:])
        #expect(flag.pluginsDirectory == "/tmp/plugins")
    }

    @Test func aPluginsSectionIsCheckedOnceThePluginsAreKnown() async throws {
        let path = try file("modules:\n  dues:\n    reminder_days: 30\n  nosuch:\n    a: 1\n")
        let configuration = try await DaemonConfiguration.load(file: path, environment: [:], moduleNames: nil)
        #expect(configuration.modules["dues"] == ["reminder_days": "30"])
        #expect(throws: Never.self) { try configuration.checkModuleSections(known: ["dues", "nosuch", "registry"]) }
        let error = #expect(throws: ConfigurationError.self) {
            try configuration.checkModuleSections(known: ["dues", "registry"])
        }
        #expect(
            error?.description == #"modules.nosuch: no module named "nosuch" is loaded; loaded modules: dues, registry"#
        )
    }

    @Test func fileIsOverriddenByEnvironmentWhichIsOverriddenByFlags() async throws {
        let path = try file(
            """
            data_dir: /srv/from-file
            log:
              level: warning
            endpoints:
              events: ipc:///tmp/from-file-events
              commands: tcp://127.0.0.1:9002
            events:
              heartbeat_interval_ms: 250
            """
        )
        let configuration = try await DaemonConfiguration.load(
            file: path,
            flags: ["data-dir": "/srv/from-flag"],
            environment: ["CONCORD_DATA_DIR": "/srv/from-env", "CONCORD_LOG_LEVEL": "debug"]
        )
        #expect(configuration.dataDirectory == "/srv/from-flag")
        #expect(configuration.logLevel == .debug)
        #expect(configuration.eventsEndpoint == "ipc:///tmp/from-file-events")
        #expect(configuration.commandsEndpoint == "tcp://127.0.0.1:9002")
        #expect(configuration.heartbeatInterval == .milliseconds(250))
    }

    @Test func moduleSectionsAreHandedToTheirModules() async throws {
        let path = try file(
            """
            modules:
              registry:
                size_thresholds: default
                import:
                  batch: 5000
            """
        )
        let configuration = try await DaemonConfiguration.load(file: path, environment: [:], moduleNames: ["registry"])
        #expect(configuration.modules["registry"] == ["size_thresholds": "default", "import.batch": "5000"])
    }

    @Test(arguments: [
        ("log:\n  levle: info\n", #"unknown key "log.levle""#),
        ("colour: blue\n", #"unknown key "colour""#),
        ("log: loud\n", "log: expected a mapping with keys log.level"),
        ("data_dir:\n  nested: x\n", "data_dir: expected a single value, got a mapping"),
        (
            "journal:\n  max_writes_per_transaction: [1, 2]\n",
            "journal.max_writes_per_transaction: expected a single value"
        ),
        ("journal:\n  max_writes_per_transaction: lots\n", #"expected an integer from 1 to 100000, got "lots""#),
        ("events:\n  heartbeat_interval_ms: 1\n", #"expected an integer from 10 to 3600000, got "1""#),
        ("endpoints:\n  events: http://x\n", #"expected a ZeroMQ address"#),
        ("modules:\n  nosuch:\n    a: 1\n", #"no module named "nosuch" is loaded"#),
        ("- a\n- b\n", "expected a mapping of keys at the top level"),
        ("log: [unclosed\n", "not valid YAML"),
    ])
    func badFilesAreRefusedWithTheKeyAndTheExpectedForm(yaml: String, message: String) async throws {
        let path = try file(yaml)
        let error = await #expect(throws: ConfigurationError.self) {
            _ = try await DaemonConfiguration.load(file: path, environment: [:], moduleNames: ["registry"])
        }
        #expect(error?.description.contains(message) == true, "got: \(error?.description ?? "no error")")
    }

    @Test func badEnvironmentValuesNameTheVariable() async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            _ = try await DaemonConfiguration.load(file: nil, environment: ["CONCORD_LOG_LEVEL": "loud"])
        }
        #expect(error?.description.contains("CONCORD_LOG_LEVEL") == true)
        #expect(error?.description.contains(#"got "loud""#) == true)
    }

    @Test func aMissingFileIsNamed() async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            _ = try await DaemonConfiguration.load(file: "/nonexistent/concordd.yaml", environment: [:])
        }
        #expect(error?.description.contains("/nonexistent/concordd.yaml") == true)
    }
}
