// swift-tools-version: 6.1
//===--- Fuzz/Package.swift - libFuzzer targets for MoEKit -----------------===//
//
// One executable per fuzz target, each defining `LLVMFuzzerTestOneInput` (libFuzzer supplies
// `main`). Build and run them with `scripts/fuzz`, which passes
// `--sanitize=fuzzer --sanitize=address`, so MoEKit itself is compiled with coverage and
// AddressSanitizer instrumentation. This package is never a dependency of anything, so
// `unsafeFlags` are fine here.
//
//===----------------------------------------------------------------------===//
import PackageDescription

// SwiftPM names a path dependency after its folder: `MoEKit` in a checkout called so, `p` or
// `wt-fuzz` elsewhere. The product is looked up under whatever that folder is called.
let root = Context.packageDirectory.split(separator: "/").dropLast().last.map(String.init) ?? "MoEKit"

let targets = ["FuzzNPY", "FuzzConfig", "FuzzAccelerator", "FuzzBalanceReport", "FuzzRouter"]

let package = Package(
    name: "MoEKitFuzz",
    dependencies: [.package(path: "..")],
    targets: targets.map { name in
        .executableTarget(
            name: name,
            dependencies: [.product(name: "MoEKit", package: root.lowercased())],
            // No top-level code: the entry point is libFuzzer's `main`.
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    }
)
