// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "remedy",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "remedy", targets: ["remedy"]),
        .library(name: "Events", targets: ["Events"]),
        .library(name: "LedgerStore", targets: ["LedgerStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // Already built for postgres-nio; named for its lock, which PostgresStore uses to fail
        // a statement's wait when the connection closes under it.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // The event vocabulary: envelope, canonical JSON, stream names. No I/O.
        .target(
            name: "Events", path: "Events",
            exclude: ["README.md", "Catalogue/README.md", "Catalogue/schemas", "Catalogue/examples"]
        ),

        // Files and threads: reading, writing, locking and replacing files, the EINTR retries,
        // and the second thread input is read on. No other dependency.
        .target(name: "SystemIO"),

        // The read models: pure folds from events to rows, and their tables.
        .target(name: "Projections", dependencies: ["Events"], path: "Projections", exclude: ["README.md"]),

        // The store boundary: what a ledger is to everything above it, whatever holds it
        // (the EventStore protocols and their contract), and what does not depend on the
        // backend: queries, results, errors, the integrity tree, proofs, signed notes, keys.
        .target(
            name: "LedgerCore",
            dependencies: ["Events", "Projections", "SystemIO", .product(name: "Crypto", package: "swift-crypto")]
        ),

        // The system SQLite (libsqlite3-dev); only LedgerStore imports it.
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),

        // The append-only event store: schema, migrations, append, read, integrity tree.
        .target(
            name: "LedgerStore",
            dependencies: [
                "Events",
                "Projections",
                "LedgerCore",
                "SystemIO",
                "CSQLite",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // The same store on a PostgreSQL server, for fleets of CI machines: postgres-nio (its
        // only client library that builds statically with the rest of remedy).
        .target(
            name: "PostgresStore",
            dependencies: [
                "Events",
                "Projections",
                "LedgerCore",
                "SystemIO",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),

        // Reading test and eval reports: streaming XML, JUnit family, TRX, TAP, SARIF, CTRF, go test -json, promptfoo, inspect_ai.
        .target(name: "Ingest", dependencies: ["Events", "SystemIO", "CZlib", .product(name: "Crypto", package: "swift-crypto")]),

        // zlib (zlib1g-dev): bundles (gzip) and inspect_ai .eval logs (ZIP members).
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),

        // Audit bundles: deterministic .tar.gz export, strict streaming verification, import.
        .target(
            name: "AuditBundle",
            dependencies: ["Events", "LedgerStore", "Projections", "SystemIO", "CZlib", .product(name: "Crypto", package: "swift-crypto")]
        ),

        // The remediation loop: state, detection, the loop's steps, policy and gate.
        .target(
            name: "RemediationLoop",
            dependencies: ["Events", "LedgerStore", "Ingest", "Projections", "SystemIO", .product(name: "Crypto", package: "swift-crypto")]
        ),

        // What people and scripts read: views of the read models (guards, queue, health, case
        // history, diffs, stats), as of now or of any point.
        .target(name: "ReadViews", dependencies: ["Events", "LedgerStore", "Projections", "RemediationLoop"]),

        // `remedy loop run`: the loop driven through the team's handlers (child processes),
        // within the autonomy policy.
        .target(name: "LoopRunner", dependencies: ["Events", "Ingest", "LedgerStore", "RemediationLoop", "ReadViews", "SystemIO"]),

        // Reports: the self-contained HTML page and the Markdown summary, from the views.
        .target(name: "Reports", dependencies: ["Events", "LedgerStore", "Projections", "ReadViews"]),

        // The avalanche-forecast story `remedy demo` plays (and the tests replay), kept out of
        // the library.
        .target(name: "DemoStory", dependencies: ["Events", "LedgerStore", "RemediationLoop", "LoopRunner"]),

        // The CLI: argument parsing and printing, nothing else.
        .executableTarget(
            name: "remedy",
            dependencies: [
                "Events",
                "LedgerStore",
                "PostgresStore",
                "Ingest",
                "RemediationLoop",
                "ReadViews",
                "Reports",
                "DemoStory",
                "LoopRunner",
                "Projections",
                "AuditBundle",
                "SystemIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Benchmarks and generators.
        .target(name: "EventGenerator", dependencies: ["CZlib", .product(name: "Crypto", package: "swift-crypto")], path: "Tools/event-generator"),
        .executableTarget(
            name: "ledger-bench",
            dependencies: ["EventGenerator", "Events"],
            path: "Tools/ledger-bench"
        ),

        // The fuzz targets: every parser of outside input, for libFuzzer (`Tools/fuzz/run-fuzzers.sh`
        // builds them with -sanitize=fuzzer,address), or run on files as a plain executable.
        .target(name: "RemedyFuzzDriver", path: "Tools/fuzz/driver"),
        .executableTarget(
            name: "remedy-fuzz",
            dependencies: ["RemedyFuzzDriver", "Ingest", "Events", "LedgerCore", "LoopRunner", "RemediationLoop", "AuditBundle", "SystemIO"],
            path: "Tools/fuzz",
            exclude: ["run-fuzzers.sh", "regressions", "driver"]
        ),

        // The contract every EventStore meets, run by each store's tests.
        .target(name: "EventStoreContract", dependencies: ["Events", "LedgerCore", "Projections"], path: "Tests/EventStoreContract"),

        .testTarget(name: "EventsTests", dependencies: ["Events", "EventGenerator"]),
        .testTarget(name: "SystemIOTests", dependencies: ["SystemIO"]),
        .testTarget(name: "PostgresStoreTests", dependencies: ["PostgresStore", "LedgerStore", "Events", "LedgerCore", "Projections", "EventStoreContract"]),
        .testTarget(
            name: "LedgerStoreTests",
            dependencies: ["LedgerStore", "Events", "SystemIO", "EventStoreContract", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "IngestTests",
            dependencies: ["Ingest", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "RemediationLoopTests",
            dependencies: ["RemediationLoop", "ReadViews", "Reports", "DemoStory", "LedgerStore", "PostgresStore", "Ingest", "Events", "Projections", "EventGenerator"]
        ),
        .testTarget(
            name: "AuditBundleTests",
            dependencies: ["AuditBundle", "LedgerStore", "Events", "RemediationLoop", "ReadViews", "DemoStory"]
        ),
        .testTarget(
            name: "RemedyCLITests",
            dependencies: ["remedy", "remedy-fuzz", "LedgerStore", "Events", "RemediationLoop", "DemoStory", "SystemIO", "LoopRunner"]
        ),
    ]
)
