//===--- LayerCommand.swift - moebench layer: a whole MoE layer on this CPU ===//

import ArgumentParser
import Foundation
import MoEKit

extension MoEBench {
    struct Layer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure a whole MoE layer forward pass on this CPU, stage by stage.",
            discussion: """
                Float32 SwiGLU experts with seeded random weights on OpenBLAS (one GEMM per \
                expert group), the model's router, dispatch, shared experts and combine. The \
                sizes come from --preset's model (default kimi-k2) unless overridden; a full \
                Kimi K2 layer needs 68 GB in float32, so pass smaller sizes (e.g. --experts 64 \
                --hidden 1024). Sizes that would not fit in the available memory are refused \
                before anything is allocated.
                """)

        @OptionGroup var router: RouterOptions

        @Option(parsing: .unconditional, help: "Hidden size d, 1...131072 (default: the preset model's).",
                transform: wholeNumber(in: 1...Bounds.hidden))
        var hidden: Int?

        @Option(name: .customLong("moe-intermediate"), parsing: .unconditional,
                help: "Width I of each routed expert, 1...524288 (default: the preset model's).",
                transform: wholeNumber(in: 1...Bounds.intermediate))
        var moeIntermediate: Int?

        @Option(name: .customLong("shared-experts"), parsing: .unconditional,
                help: "Shared experts, 0...64 (default: the preset model's; 0 for none).",
                transform: wholeNumber(in: 0...Bounds.sharedExperts))
        var sharedExperts: Int?

        @Option(name: .customLong("shared-intermediate"), parsing: .unconditional,
                help: "Width of each shared expert, 1...524288 (default: --moe-intermediate).",
                transform: wholeNumber(in: 1...Bounds.intermediate))
        var sharedIntermediate: Int?

        @Option(parsing: .unconditional, help: "Comma-separated tokens per batch, each 1...16777216 (4k = 4096).",
                transform: parseTokenList)
        var tokens: [Int] = [256]

        @Option(name: .customLong("block-size"), parsing: .unconditional,
                help: "Pad each expert's rows to a multiple of this, 1...65536 (GPU grouped GEMMs).",
                transform: wholeNumber(in: 1...Bounds.blockSize))
        var blockSize = 1

        @Option(name: .customLong("capacity-factor"), parsing: .unconditional,
                help: "Keep at most ceil(f·T·k/E) slots per expert, f in (0, 1e6]; the rest are dropped.",
                transform: finiteNumber("in (0, 1e6]", { $0 > 0 && $0 <= 1e6 }))
        var capacityFactor: Double?

        @OptionGroup var measurement: MeasurementOptions

        func run() throws {
            try measurement.check()
            let (repetitions, threads, seed, format) = (measurement.repetitions, measurement.threads, measurement.seed, measurement.format)
            guard let model = try router.model(default: "kimi-k2") else { throw UsageError("choose a model with --model NAME or --config config.json") }
            let config = try router.configuration(fallback: model.router)
            var shape = try MoELayerShape(model: model)
            shape.experts = config.experts
            shape.topK = config.topK
            if let hidden { shape.hiddenSize = hidden }
            if let moeIntermediate { shape.intermediateSize = moeIntermediate; shape.sharedIntermediateSize = moeIntermediate }
            if let sharedExperts { shape.sharedExperts = sharedExperts }
            if let sharedIntermediate { shape.sharedIntermediateSize = sharedIntermediate }
            let options = DispatchOptions(blockSize: blockSize, capacityFactor: capacityFactor)

            let progress = ProgressLine()
            progress.show("building the layer (seeded float32 weights)…")
            let benchmark: MoELayerBenchmark
            do {
                benchmark = try MoELayerBenchmark(shape: shape, router: config, dispatchOptions: options,
                                                  largestBatch: tokens.max() ?? 1, repetitions: repetitions,
                                                  threads: threads, seed: seed)
            } catch let error {
                progress.clear()
                if case .insufficientMemory(let memory, _) = error {
                    let weights = memory.routedWeights + memory.sharedWeights + memory.routerWeights
                    let hint = memory.buffers > weights ? "lower --tokens or --block-size" : "lower --experts, --hidden or --moe-intermediate"
                    throw UsageError("\(error); \(hint)")
                }
                throw error
            }
            progress.show("measuring peak sgemm (2048³)…")
            let peak = measurement.noPeak ? 0 : RoutingBenchmark.peakSGEMM(threads: threads)
            let results = try benchmark.run(tokenCounts: tokens) { i, t in
                progress.show("[\(i + 1)/\(tokens.count)] tokens=\(t)…")
            }
            progress.clear()

            let report = LayerReport(preset: router.preset ?? router.configFile ?? "kimi-k2", config: config, shape: shape, options: options,
                                     memory: benchmark.memory,
                                     threads: threads, repetitions: repetitions, peak: peak, results: results)
            switch format {
            case .json: print(try report.json())
            case .csv: print(report.csv(), terminator: "")
            case .table: print(report.table(), terminator: "")
            }
        }
    }
}
