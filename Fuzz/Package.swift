// swift-tools-version: 6.1
//
// libFuzzer targets for seclab's decoders, JSON request checks and seclab-run's parsers
//. A package of its own, so the main build never links libFuzzer and CI
// compiles only the library targets the fuzzers need (no Hummingbird, no database drivers).
//
// One executable, every target inside it, chosen with SECLAB_FUZZ_TARGET: one link instead
// of one per target keeps the CI build short. Build and run through `scripts/fuzz`, which
// passes `-sanitize=fuzzer,address -parse-as-library` (libFuzzer supplies `main`).
import PackageDescription

/// The same strict settings as the root package.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "seclab-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Why `name:`: the root package's identity is its folder's name, which differs
        // between clones; the name pins the `package:` of the products below.
        .package(name: "seclab", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "seclab-fuzz",
            dependencies: [
                .product(name: "SeclabKeys", package: "seclab"),
                .product(name: "SeclabAPI", package: "seclab"),
                .product(name: "SeclabRun", package: "seclab"),
                .product(name: "SeclabCLI", package: "seclab"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
