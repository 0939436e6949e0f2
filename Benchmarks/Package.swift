// swift-tools-version: 6.1
// Benchmarks for MoEKit's kernels (package-benchmark). A package of its own, so the
// benchmark library never enters MoEKit's dependency graph.
//
//   cd Benchmarks && swift package benchmark
import PackageDescription

let package = Package(
    name: "MoEKitBenchmarks",
    dependencies: [
        .package(name: "MoEKit", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "RoutingBenchmarks",
            dependencies: [
                .product(name: "MoEKit", package: "MoEKit"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/RoutingBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "LayerBenchmarks",
            dependencies: [
                .product(name: "MoEKit", package: "MoEKit"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/LayerBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "EstimationBenchmarks",
            dependencies: [
                .product(name: "MoEKit", package: "MoEKit"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/EstimationBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ServingBenchmarks",
            dependencies: [
                .product(name: "MoEKit", package: "MoEKit"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ServingBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
