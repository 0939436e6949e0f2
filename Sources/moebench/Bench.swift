//===--- Bench.swift - moebench bench: routing kernels measured on this CPU -===//

import ArgumentParser
import Foundation
import MoEKit

extension MoEBench {
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure the router GEMM, routing, the whole router, dispatch and combine on this CPU.",
            discussion: """
                Seeded random inputs; for each batch size, one warm-up then --repetitions timed \
                samples per stage (short stages repeat inside a sample). Reports median and min \
                time, ns per token, tokens/s, and the GEMM's GFLOP/s next to the peak sgemm \
                GFLOP/s measured on this machine (a 2048³ sgemm). The router, its experts and \
                k and the hidden size come from --model NAME (a model preset or router alias; \
                kimi-k2 by default) or --config config.json; the other flags override them. The \
                projection counts that model's MoE layers (Kimi K2.6's by default).
                """)

        @OptionGroup var router: RouterOptions

        @Option(parsing: .unconditional, help: "Hidden size d of the router GEMM, 1...131072 (default: the model's).",
                transform: wholeNumber(in: 1...Bounds.hidden))
        var hidden: Int?

        @Option(parsing: .unconditional, help: "Comma-separated tokens per batch, each 1...16777216 (4k = 4096).",
                transform: parseTokenList)
        var tokens: [Int] = [1, 16, 256, 4096]

        @Option(name: .customLong("gate-format"),
                help: "Router GEMM gate: fp32 (OpenBLAS sgemm) or bf16 (MoEKit's kernel: AVX512-BF16 where the CPU has it).")
        var gateFormat: RouterGEMM.WeightFormat = .float32

        @Flag(name: .customLong("no-limits"),
              help: "Skip the limits section (scalar-baseline routing, fp32 vs bf16 GEMM, vdpbf16ps peak, one-token router vs memory bandwidth).")
        var noLimits = false

        @OptionGroup var measurement: MeasurementOptions

        @OptionGroup var hardware: AcceleratorOptions

        /// Accelerators the measured router is projected onto when --accelerator is not given.
        static let projectionAccelerators = ["h200", "b200", "mi355x", "ascend-910c"]

        func run() throws {
            try measurement.check()
            let (repetitions, threads, seed, format) = (measurement.repetitions, measurement.threads, measurement.seed, measurement.format)
            // Hidden size, experts and k from the model (--model/--preset, --config; kimi-k2 by default).
            let model = try router.model(default: Self.defaultModel)
            let config = try router.configuration(fallback: model?.router)
            guard let hidden = hidden ?? model?.hiddenSize else { throw UsageError("--hidden is required for a dense model") }
            let accelerators = try hardware.accelerators(default: Self.projectionAccelerators)
            let bytes = RoutingBenchmark.bufferBytes(configuration: config, hiddenSize: hidden,
                                                     largestBatch: tokens.max() ?? 0)
            guard let bytes, bytes <= Self.bufferLimit else {
                throw UsageError("the largest batch needs \(bytes.map(Format.binaryBytes) ?? "more than 16 GiB") of buffers (the limit is 16 GiB); lower --tokens, --hidden or --experts")
            }

            let progress = ProgressLine()
            var benchmark = try RoutingBenchmark(
                configuration: config, hiddenSize: hidden, repetitions: repetitions,
                threads: threads, seed: seed, weightFormat: gateFormat)
            progress.show("measuring peak sgemm (2048³)…")
            let peak = measurement.noPeak ? 0 : RoutingBenchmark.peakSGEMM(threads: threads)
            let results = try benchmark.run(tokenCounts: tokens) { i, t in
                progress.show("[\(i + 1)/\(tokens.count)] tokens=\(t)…")
            }
            var limits: RoutingBenchmark.Limits?
            if !noLimits, let largest = tokens.max() {
                progress.show("limits: scalar baseline, fp32 vs bf16 GEMM, one token, memory bandwidth…")
                limits = try benchmark.measureLimits(tokens: largest)
            }
            progress.clear()

            let named = router.preset != nil || router.configFile != nil
            let projection = try BenchProjection(config: config, hidden: hidden, model: named ? model : nil, accelerators: accelerators,
                                                 results: results, peak: peak)
            let report = BenchReport(
                config: config, preset: router.preset ?? router.configFile ?? (isDefaultPreset(config) ? Self.defaultModel : nil),
                hidden: hidden, threads: threads, repetitions: repetitions, peak: peak, results: results,
                projection: projection, gateFormat: gateFormat, limits: limits)
            switch format {
            case .json: print(try report.json())
            case .csv: print(report.csv(), terminator: "")
            case .table: print(report.table(), terminator: "")
            }
        }

        private func isDefaultPreset(_ config: RouterConfiguration) -> Bool {
            config == (try? RouterConfiguration.kimiK2)
        }

        /// The model measured without --model, --preset or --config.
        static let defaultModel = "kimi-k2"

        /// The most buffer memory a run may ask for (the machines here have 24 GiB).
        static let bufferLimit = 16 << 30
    }
}

/// Parses one token count (`4096`, `4k`).
@Sendable func parseTokenCount(_ text: String) throws -> Int {
    let counts = try parseTokenList(text)
    guard counts.count == 1 else { throw UsageError("--tokens takes one count here, got '\(text)'") }
    return counts[0]
}

/// Parses `1,16,256,4096` (also `4k`, `1K`) into token counts; an empty item is refused.
@Sendable func parseTokenList(_ text: String) throws -> [Int] {
    let parts = try listItems(text, option: "--tokens")
    return try parts.map { part in
        var digits = Substring(part)
        var multiplier = 1
        if let last = digits.last, last == "k" || last == "K" { multiplier = 1024; digits.removeLast() }
        guard let n = Int(digits), n >= 1, n <= (1 << 24) / multiplier else {
            throw UsageError("--tokens: '\(part)' is not a token count in 1...16777216")
        }
        return n * multiplier
    }
}

/// A progress line on stderr, redrawn in place; shown only when stderr is a terminal (or
/// when `MOEBENCH_PROGRESS=1` asks for it, as the tests do).
final class ProgressLine {
    private let enabled = isatty(STDERR_FILENO) != 0 || ProcessInfo.processInfo.environment["MOEBENCH_PROGRESS"] == "1"
    private var lastShown: UInt64 = 0
    func show(_ text: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
        lastShown = DispatchTime.now().uptimeNanoseconds
    }
    /// `show`, at most ten times a second (for loops of many short steps).
    func show(throttled text: @autoclosure () -> String) {
        guard enabled, DispatchTime.now().uptimeNanoseconds &- lastShown >= 100_000_000 else { return }
        show(text())
    }
    func clear() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
