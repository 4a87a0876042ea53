// swift-tools-version: 6.1
//
// seclab: a zero-knowledge secrets manager for CI/CD.
//
// The target graph is layered and every arrow points down (see README.md, "Layout"):
//
//   C modules      CSodium, CCurl (system libraries), CBigNum (libcrypto BN shim),
//                  CCurlShim (fixed-type wrappers for libcurl's variadic setopt/getinfo)
//   primitives     SeclabPrimitives   libsodium wrappers, secret buffers, strict encodings
//   constructions  SeclabSRP          SRP-6a arithmetic (client + server)   spec §8
//                  SeclabHPKE         RFC 9180 base/auth modes               spec §1, §6.1
//                  SeclabFormat       xc1./hp1. texts, ids, key refs         spec §0, §2
//   key hierarchy  SeclabKeys         2SKD, account/vault/machine keys, items  spec §3–§7
//                  SeclabPassphrase   NFKD passphrase normalization (full Foundation, CLI only)
//
// The server side must never depend on SeclabKeys, SeclabHPKE or SeclabPassphrase: the
// zero-knowledge claim is visible here, and `Tests/SeclabArchitectureTests` checks it, with every
// source file's `import` lines against this manifest (docs/architecture.md).
import PackageDescription

/// One strict set of settings for every Swift target.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "seclab",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SeclabKeys", targets: ["SeclabKeys"]),
        .library(name: "SeclabAPI", targets: ["SeclabAPI"]),
        .executable(name: "seclab-server", targets: ["seclab-server"]),
        // The fuzz package (Fuzz/) reaches seclab-run's and the CLI's parsers through these.
        .library(name: "SeclabRun", targets: ["SeclabRun"]),
        .library(name: "SeclabCLI", targets: ["SeclabCLI"]),
    ],
    dependencies: [
        // Server side only. Versions are the ones mirrored on the build machines.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // JWS verification of CI identity tokens (server side and test IdP only) and
        // the server's fetch of discovery documents and key sets.
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Only the test identity provider names it (RSA key generation); jwt-kit brings it anyway.
        .package(url: "https://github.com/apple/swift-crypto.git", "4.1.0"..<"6.0.0"),
    ],
    targets: [
        // MARK: C modules
        // libsodium linked statically (module.modulemap: `-l:libsodium.a`); no pkgConfig, whose
        // `-lsodium` would pull in the shared library first. Headers are in /usr/include.
        .systemLibrary(
            name: "CSodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "CCurlShim",
            dependencies: ["CCurl"]
        ),
        .target(
            name: "CBigNum",
            linkerSettings: [.linkedLibrary("crypto")]
        ),

        // MARK: build stamp: VERSION and the git commit, written by scripts/release
        .target(
            name: "SeclabVersion",
            swiftSettings: strictSettings
        ),

        // MARK: primitives and constructions
        .target(
            name: "SeclabPrimitives",
            dependencies: ["CSodium"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SeclabSRP",
            dependencies: ["SeclabPrimitives", "CBigNum"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SeclabHPKE",
            dependencies: ["SeclabPrimitives"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SeclabFormat",
            dependencies: ["SeclabPrimitives"],
            swiftSettings: strictSettings
        ),

        // MARK: client transport
        .target(
            name: "SeclabHTTP",
            dependencies: ["CCurl", "CCurlShim"],
            swiftSettings: strictSettings
        ),

        // MARK: key hierarchy (clients only)
        .target(
            name: "SeclabKeys",
            dependencies: ["SeclabPrimitives", "SeclabFormat", "SeclabHPKE"],
            swiftSettings: strictSettings
        ),

        // MARK: clients. SeclabClient is the /v1 JSON transport both sides share; SeclabMachine
        // is everything seclab-run needs (the pull, opening items), SeclabOwner the account side
        // (SRP login, vaults, sharing). seclab-run links SeclabMachine and never SeclabOwner or
        // SeclabSRP (docs/architecture.md; ArchitectureTests check it).
        .target(
            name: "SeclabClient",
            dependencies: ["SeclabHTTP", "SeclabFormat", "SeclabKeys", "SeclabAPI"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SeclabMachine",
            dependencies: ["SeclabClient", "SeclabAPI", "SeclabHTTP", "SeclabKeys", "SeclabFormat", "SeclabPrimitives", "CSeclabExec"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SeclabOwner",
            dependencies: ["SeclabClient", "SeclabHTTP", "SeclabAPI", "SeclabKeys", "SeclabFormat", "SeclabPrimitives", "SeclabSRP"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SeclabPassphrase",
            dependencies: ["SeclabKeys", "SeclabPrimitives"],
            swiftSettings: strictSettings
        ),

        // MARK: server side. Never SeclabKeys, SeclabHPKE or SeclabPassphrase here.
        .target(
            name: "SeclabAPI",
            dependencies: ["SeclabPrimitives", "SeclabFormat"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SeclabStore",
            dependencies: [
                // The audit vocabulary (AuditAction, AuditOutcome, AuditActorKind): stored as the API returns it.
                "SeclabAPI",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // CI identity tokens (OIDC) bound to machine slots. Server side only: seclab-run
        // never links it (it only forwards a token string).
        .target(
            name: "SeclabOIDC",
            dependencies: [
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SeclabServer",
            dependencies: [
                "SeclabAPI",
                "SeclabStore",
                "SeclabOIDC",
                "SeclabPrimitives",
                "SeclabFormat",
                "SeclabSRP",
                "SeclabVersion",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "seclab-server",
            dependencies: ["SeclabServer", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings
        ),

        // MARK: the owner's CLI
        .target(
            name: "SeclabCLI",
            dependencies: [
                "SeclabClient", "SeclabOwner", "SeclabPassphrase", "SeclabKeys", "SeclabAPI", "SeclabFormat", "SeclabPrimitives", "SeclabHTTP",
                "SeclabVersion",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "seclab",
            dependencies: ["SeclabCLI"],
            swiftSettings: strictSettings
        ),

        // MARK: seclab-run, the exec wrapper. Lean: FoundationEssentials at most.
        .target(
            name: "CSeclabExec",
            linkerSettings: [.linkedLibrary("util")]
        ),
        .target(
            name: "SeclabRun",
            dependencies: ["CSeclabExec", "SeclabMachine", "SeclabClient", "SeclabAPI", "SeclabKeys", "SeclabFormat", "SeclabPrimitives", "SeclabHTTP", "SeclabVersion"],
            swiftSettings: strictSettings
        ),
        // What seclab-run does before main, linked by the executable only: its own argv lookup
        // (the static standard library's reads /proc/self/maps at every start) and libcurl's
        // global initialisation started on another thread (Sources/CSeclabRunStart).
        .target(
            name: "CSeclabRunStart",
            dependencies: ["CSeclabExec", "CCurl"]
        ),
        .executableTarget(
            name: "seclab-run",
            dependencies: ["SeclabRun", "SeclabHTTP", "CSeclabRunStart"],
            swiftSettings: strictSettings
        ),

        // MARK: benchmarks (release mode, never run by the tests)
        .executableTarget(
            name: "seclab-bench-crypto",
            dependencies: ["SeclabPrimitives", "SeclabFormat", "SeclabHPKE", "SeclabSRP", "SeclabKeys", "SeclabAPI", "SeclabMachine", "CSodium"],
            path: "bench/crypto",
            swiftSettings: strictSettings
        ),

        // MARK: tests
        .target(
            name: "SeclabTestSupport",
            path: "Tests/SeclabTestSupport",
            swiftSettings: strictSettings
        ),
        // A local OpenID Connect identity provider on loopback that mints real JWTs.
        .target(
            name: "SeclabOIDCTestSupport",
            dependencies: [
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Tests/SeclabOIDCTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SeclabOIDCTests",
            dependencies: [
                "SeclabOIDC", "SeclabOIDCTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SeclabCLITests",
            dependencies: ["SeclabTestSupport", "SeclabCLI", "SeclabClient", "SeclabOwner", "SeclabMachine", "SeclabKeys", "SeclabAPI", "SeclabFormat", "SeclabPrimitives"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SeclabRunTests",
            dependencies: ["SeclabTestSupport", "SeclabRun", "SeclabKeys", "SeclabFormat", "SeclabPrimitives",
                           "SeclabHTTP", "SeclabOIDCTestSupport"],
            swiftSettings: strictSettings
        ),
        // The layering rules, on this manifest and every source file's imports.
        .testTarget(
            name: "SeclabArchitectureTests",
            dependencies: ["SeclabTestSupport"],
            swiftSettings: strictSettings
        ),
        // The pull's wire format (reader and writer) against Foundation's coders.
        .testTarget(
            name: "SeclabAPITests",
            dependencies: ["SeclabAPI"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SeclabMachineTests",
            dependencies: ["SeclabMachine", "SeclabAPI", "SeclabClient", "SeclabFormat", "SeclabKeys", "SeclabPrimitives"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SeclabCryptoTests",
            dependencies: ["SeclabPrimitives", "SeclabFormat", "SeclabHPKE", "SeclabSRP", "SeclabKeys", "SeclabPassphrase"],
            swiftSettings: strictSettings
        ),
        // The client transport: libcurl through the fixed-type shim.
        .testTarget(
            name: "SeclabHTTPTests",
            dependencies: ["CCurlShim"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SeclabVectorTests",
            dependencies: ["CSodium", "SeclabPrimitives", "SeclabFormat", "SeclabHPKE", "SeclabSRP", "SeclabKeys", "SeclabPassphrase"],
            exclude: ["vectors"],
            swiftSettings: strictSettings
        ),
        // A malicious server between the clients and a real one, and the zero-knowledge scan.
        .testTarget(
            name: "SeclabHardeningTests",
            dependencies: [
                "SeclabTestSupport", "SeclabClient", "SeclabOwner", "SeclabKeys", "SeclabAPI", "SeclabFormat",
                "SeclabPrimitives", "SeclabHPKE", "SeclabSRP",
            ],
            swiftSettings: strictSettings
        ),
        // Brute force, faults with nothing lost, load, process hygiene.
        .testTarget(
            name: "SeclabResilienceTests",
            dependencies: ["SeclabTestSupport", "SeclabHTTP", "SeclabKeys", "SeclabFormat", "SeclabPrimitives"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SeclabServerTests",
            dependencies: [
                "SeclabTestSupport", "SeclabStore", "SeclabAPI", "SeclabPrimitives", "SeclabSRP",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
