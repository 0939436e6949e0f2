//===--- MeasurementOptions.swift - Flags shared by bench and layer -------===//

import ArgumentParser

/// How `bench` and `layer` measure and print.
struct MeasurementOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Timed samples per batch size, 1...10000 (bench: per stage; layer: forward passes).",
            transform: wholeNumber(in: 1...Bounds.repetitions))
    var repetitions = 5

    @Option(parsing: .unconditional, help: "Threads for OpenBLAS and routing, 1...1024 (the 2 vCPUs here share one core's FP units).",
            transform: wholeNumber(in: 1...Bounds.threads))
    var threads = 1

    @Option(parsing: .unconditional, help: "Seed of the random inputs and weights, 0...2^64-1.", transform: seedNumber)
    var seed: UInt64 = 0x4D6F_454B_6974

    @Option(help: "Output: table, json or csv.")
    var format: OutputFormat = .table

    @Flag(help: "Skip the peak sgemm measurement (reported as 0).")
    var noPeak = false

    /// Refuses repetitions below 1 and thread counts outside 1...1024.
    func check() throws {
        guard repetitions >= 1 else { throw UsageError("--repetitions must be at least 1, got \(repetitions)") }
        guard (1...1024).contains(threads) else { throw UsageError("--threads must be in 1...1024, got \(threads)") }
    }
}
