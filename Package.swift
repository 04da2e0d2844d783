// swift-tools-version: 6.2
import PackageDescription

// Domain modules (Modules/<Name>) depend on ConcordKit and Contracts only; DependencyRuleTests checks it.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "concord",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "concordd", targets: ["concordd"]),
        .executable(name: "concordctl", targets: ["concordctl"]),
        .executable(name: "concord-bench", targets: ["concord-bench"]),
        .library(name: "ConcordKit", targets: ["ConcordKit"]),
        .library(name: "Contracts", targets: ["Contracts"]),
        // A plugin: dev/build-plugin MembershipDues builds it and puts it in a plugins directory.
        .library(name: "MembershipDues", type: .dynamic, targets: ["MembershipDues"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Already built for swift-service-lifecycle; ConcordKit's ordered JSON objects use OrderedDictionary.
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Notifications: SMTP on swift-nio and swift-nio-ssl, webhooks with async-http-client, signed with swift-crypto's
        // HMAC, messages rendered with swift-mustache (which escapes HTML).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(
            url: "https://github.com/apple/swift-configuration",
            from: "1.4.0",
            traits: [.defaults, "YAML", "Reloading"]
        ),
    ],
    targets: [
        .systemLibrary(
            name: "CZeroMQ",
            path: "Modules/CZeroMQ",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .target(
            name: "ZeroMQ",
            dependencies: ["CZeroMQ"],
            path: "Modules/ZeroMQ",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConcordKit",
            dependencies: [
                "CConcordPlugin",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            path: "Modules/ConcordKit",
            swiftSettings: swiftSettings
        ),
        // The in-process plugin ABI (concord_plugin.h); the SDK a plugin is written with is ConcordKit's.
        .target(name: "CConcordPlugin", path: "Modules/CConcordPlugin"),
        .target(
            name: "PluginHost",
            dependencies: [
                "Bus", "CConcordPlugin", "ConcordKit", "Contracts",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log"),
            ],
            path: "Daemon/PluginHost",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Contracts",
            dependencies: ["ConcordKit"],
            path: "Modules/Contracts",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Registry",
            dependencies: [
                "ConcordKit", "Contracts", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Modules/Registry",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Scheduling",
            dependencies: ["ConcordKit", "Contracts", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Modules/Scheduling",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Matching",
            dependencies: ["ConcordKit", "Contracts", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Modules/Matching",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Notifications",
            dependencies: [
                "ConcordKit", "Contracts", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Modules/Notifications",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Exporting",
            dependencies: [
                "ConcordKit", "Contracts", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            path: "Modules/Exporting",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Ledger",
            dependencies: ["ConcordKit", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Modules/Examples/Ledger",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MembershipDues",
            dependencies: ["ConcordKit", "Contracts"],
            path: "Plugins/MembershipDues",
            swiftSettings: swiftSettings,
            // The plugin's references to its own copies of ConcordKit and the rest bind to those copies, whatever
            // the daemon that loads it exports.
            linkerSettings: [.unsafeFlags(["-Xlinker", "-Bsymbolic"])]
        ),
        .target(
            name: "Bus",
            dependencies: [
                "ConcordKit",
                "Contracts",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Modules/Bus",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Gateway",
            dependencies: [
                "Bus",
                "ConcordKit",
                "Contracts",
                "ZeroMQ",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Modules/Gateway",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConcordTesting",
            dependencies: [
                "ConcordKit",
                "Bus",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Modules/ConcordTesting",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DaemonSupport",
            dependencies: [
                "ConcordKit",
                "Bus",
                "Contracts",
                "Exporting",
                "Gateway",
                "Matching",
                "Notifications",
                "PluginHost",
                "Registry",
                "Scheduling",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Daemon/DaemonSupport",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "concordd",
            dependencies: [
                "DaemonSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Daemon/concordd",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "concordctl",
            dependencies: [
                "ConcordKit",
                "ZeroMQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Daemon/concordctl",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "concord-bench",
            dependencies: [
                "ConcordKit",
                "ConcordTesting",
                "Bus",
                "Contracts",
                "DaemonSupport",
                "Exporting",
                "Gateway",
                "Matching",
                "MembershipDues",
                "Notifications",
                "PluginHost",
                "Registry",
                "Scheduling",
                "ZeroMQ",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Daemon/concord-bench",
            exclude: ["peers"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConcordKitTests",
            dependencies: ["ConcordKit", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BusTests",
            dependencies: [
                "Bus",
                "ConcordKit",
                "ConcordTesting",
                "Contracts",
                "Ledger",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LedgerTests",
            dependencies: ["Ledger", "ConcordKit", "ConcordTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SchedulingTests",
            dependencies: ["Scheduling", "Registry", "ConcordKit", "ConcordTesting", "Contracts"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MatchingTests",
            dependencies: ["Matching", "Registry", "ConcordKit", "ConcordTesting", "Contracts"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NotificationsTests",
            dependencies: ["Notifications", "Registry", "ConcordKit", "ConcordTesting", "Contracts"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExportingTests",
            dependencies: ["Exporting", "Registry", "Scheduling", "ConcordKit", "ConcordTesting", "Contracts"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PluginTests",
            dependencies: [
                "Bus", "ConcordKit", "ConcordTesting", "Contracts", "MembershipDues", "PluginHost",
                "Registry",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RegistryTests",
            dependencies: ["Registry", "ConcordKit", "ConcordTesting", "Contracts"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "ConcordKit", "Bus", "ZeroMQ", "ConcordTesting",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DaemonTests",
            dependencies: ["DaemonSupport", "ConcordKit"],
            swiftSettings: swiftSettings
        ),
    ]
)
