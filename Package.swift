// swift-tools-version: 6.1
import PackageDescription
import class Foundation.ProcessInfo

// Opt-in host tuning: `MOEKIT_NATIVE=1 swift build -c release` compiles MoEKit for this CPU.
// The default build uses no unsafe flags, so MoEKit can be used as a versioned dependency;
// its hot elementwise kernels still reach AVX-512/AVX2 through runtime dispatch in `_MoEKitKernels`.
let hostTuning: [SwiftSetting] = ProcessInfo.processInfo.environment["MOEKIT_NATIVE"] == "1"
    ? [.unsafeFlags(["-Xcc", "-march=native"])] : []

let package = Package(
    name: "MoEKit",
    products: [
        .library(name: "MoEKit", targets: ["MoEKit"]),
        .executable(name: "moebench", targets: ["moebench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: - Public API

        .target(
            name: "MoEKit",
            dependencies: ["CBLAS", "_MoEKitKernels"],
            // Model presets: the project's own config files (Architecture/ModelSpec+Presets.swift);
            // accelerator presets, every number with its source (Serving/Accelerator+Loading.swift).
            resources: [.copy("Resources/Models"), .copy("Resources/Accelerators")],
            swiftSettings: hostTuning
        ),
        .executableTarget(
            name: "moebench",
            dependencies: [
                "MoEKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: - Implementation details

        // The system OpenBLAS (Debian: `apt-get install libopenblas-dev pkg-config`).
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Elementwise and selection kernels in C, compiled for several x86-64 levels and
        // chosen at load time (`target_clones`); no stable API.
        .target(
            name: "_MoEKitKernels",
            linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]
        ),

        // MARK: - Tests

        .testTarget(
            name: "MoEKitTests",
            dependencies: ["MoEKit", "_MoEKitKernels"],
            // Test data read from disk, not sources: NumPy-written .npy files and the models'
            // published config.json files (provenance in each folder's README.md).
            exclude: ["IO/Fixtures", "Architecture/Fixtures"]
        ),
        .testTarget(
            name: "moebenchTests",
            dependencies: ["moebench"]
        ),
    ]
)
