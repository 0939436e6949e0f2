//===--- ServeCommand.swift - `moebench serve` ----------------------------===//

import ArgumentParser
import Foundation
import MoEKit

extension MoEBench {
    /// Serving projection: time per token, throughput, memory and dollars per million tokens.
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Project decode and prefill time, throughput, memory and cost of serving a model on accelerators.",
            discussion: """
                Attention runs data-parallel over devices/tp groups and routed experts expert-parallel \
                over --ep ranks (DeepSeek / SGLang layout). Batch per device: --batch-per-device N, or \
                the largest that meets --tpot-slo-ms, or by default the largest that fits in memory \
                (at most 1024). Defaults: 8 devices, tp 1, ep = devices, context 4096, prefill chunk \
                16384, overlap on, uniform expert load, formats and price as the model and accelerator \
                presets give them; every default is echoed in the output. Accelerators: \
                'moebench accelerators'. Output files are written whole or not at all.
                """)

        @Option(name: .customLong("model"), help: "Model presets, comma-separated (see 'moebench models').")
        var model: String?

        @Option(name: .customLong("config"), help: "A Hugging Face config.json file instead of a preset.")
        var config: String?

        @OptionGroup var hardware: AcceleratorOptions

        @Option(name: .customLong("devices"), parsing: .unconditional, help: "Devices serving one model replica, 1...1048576.",
                transform: wholeNumber(in: 1...Bounds.devices))
        var devices = 8

        @Option(name: .customLong("tp"), parsing: .unconditional, help: "Tensor-parallel size of each attention group, 1...devices, dividing them.",
                transform: wholeNumber(in: 1...Bounds.devices))
        var tensorParallel = 1

        @Option(name: .customLong("ep"), parsing: .unconditional, help: "Expert-parallel ranks, 1...devices, dividing them (default: every device).",
                transform: wholeNumber(in: 1...Bounds.devices))
        var expertParallel: Int?

        @Option(name: .customLong("redundant-experts"), parsing: .unconditional,
                help: "Extra expert replicas placed on the hottest experts (EPLB); at most 16 × the routed experts.",
                transform: wholeNumber(in: 0...Bounds.experts))
        var redundantExperts = 0

        @OptionGroup var storage: StorageOptions

        @Option(name: .customLong("context"), parsing: .unconditional,
                help: "Average KV length of a decoding sequence and the prompt length of prefill, 1...2^40 (4096, 64K, 1M).")
        var context = "4096"

        @Option(name: .customLong("batch-per-device"), parsing: .unconditional, help: "Decode sequences per device, 1...1048576 (fixes the batch).",
                transform: wholeNumber(in: 1...Bounds.batch))
        var batchPerDevice: Int?

        @Option(name: .customLong("tpot-slo-ms"), parsing: .unconditional,
                help: "Largest batch whose time per output token is at most this many ms, in (0, 1e9].",
                transform: finiteNumber("of milliseconds in (0, 1e9]", { $0 > 0 && $0 <= 1e9 }))
        var tpotSLO: Double?

        @Option(name: .customLong("prefill-chunk"), parsing: .unconditional,
                help: "Cache-miss prompt tokens per device per prefill forward, 1...16777216.", transform: wholeNumber(in: 1...(1 << 24)))
        var prefillChunk = 16_384

        @Option(name: .customLong("mtp-tokens"), parsing: .unconditional,
                help: "Draft tokens per step, 1...16 (default 1 when --mtp-acceptance is given).", transform: wholeNumber(in: 1...16))
        var mtpTokens: Int?

        @Option(name: .customLong("mtp-acceptance"), parsing: .unconditional, help: "Probability a draft token is accepted, in [0, 1).",
                transform: finiteNumber("in [0, 1)", { $0 >= 0 && $0 < 1 }))
        var mtpAcceptance: Double?

        @Option(name: .customLong("cache-hit-rate"), parsing: .unconditional, help: "Share of input tokens served from the prefix cache, in [0, 1).",
                transform: finiteNumber("in [0, 1)", { $0 >= 0 && $0 < 1 }))
        var cacheHitRate = 0.0

        @Flag(name: .customLong("no-overlap"), help: "Turn off two-micro-batch overlap of communication with compute.")
        var noOverlap = false

        @Option(name: .customLong("skew"), parsing: .unconditional, help: "Zipf exponent of expert popularity, 0...100 (0 = uniform).",
                transform: finiteNumber("in 0...100", { (0...SyntheticLogits.maximumSkew).contains($0) }))
        var skew: Double?

        @Option(name: .customLong("expert-load"), help: "Measured expert counts: a 'moebench balance --format json' file.")
        var expertLoad: String?

        @Option(name: .customLong("phase"), help: "decode, prefill or both.")
        var phase: PhaseOption = .both

        @Option(name: .customLong("format"), help: "Output: table, json or csv.")
        var format: OutputFormat = .table

        @Option(name: .customLong("plot"), help: "Also write the throughput-interactivity frontier as an SVG chart.")
        var plot: String?

        @Option(name: .customLong("frontier-points"), parsing: .unconditional,
                help: "Batches on the frontier, 2...10000 (log-spaced, 1 to the largest that fits).", transform: wholeNumber(in: 2...10_000))
        var frontierPoints = 32

        enum PhaseOption: String, ExpressibleByArgument, CaseIterable { case decode, prefill, both }

        static let defaultAccelerators = ["h200"]

        func run() throws {
            let request = try projections()
            warnIfBeyondMaximumContext(try parseContext(context), of: request.map(\.0))
            var reports: [ServeReport] = []
            for (spec, device) in request {
                let report = try ServeReport(projection: try makeProjection(spec, device), phase: phase,
                                             rule: batchRule, frontierPoints: plot != nil || format != .table ? frontierPoints : 0)
                try report.checkFinite()
                reports.append(report)
            }
            let files = FileCommit()
            let modelFiles = (model ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasSuffix(".json") }
            files.protect(inputs: [config, expertLoad, hardware.acceleratorFile].compactMap { $0 } + modelFiles)
            if let plot {
                try files.stage(ServeReport.frontierChart(reports), at: URL(fileURLWithPath: plot))
            }
            let text: String
            switch format {
            case .json: text = try ServeReport.json(reports)
            case .csv: text = ServeReport.csv(reports)
            case .table: text = reports.map { $0.table() }.joined(separator: "\n")
            }
            try files.commit()
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        }

        /// The decode batch rule the flags ask for.
        var batchRule: BatchRule {
            if let b = batchPerDevice { return .fixed(b) }
            if let slo = tpotSLO { return .timePerOutputToken(seconds: slo / 1000) }
            return .largestFitting(limit: 1024)
        }

        /// Every (model, accelerator) pair, models outermost.
        func projections() throws -> [(ModelSpec, Accelerator)] {
            if batchPerDevice != nil && tpotSLO != nil { throw UsageError("give --batch-per-device or --tpot-slo-ms, not both") }
            if plot != nil && phase == .prefill { throw UsageError("--plot draws the decode frontier; use it with --phase decode or both") }
            if skew != nil && expertLoad != nil { throw UsageError("give --skew or --expert-load, not both") }
            if mtpTokens != nil && mtpAcceptance == nil { throw UsageError("--mtp-tokens needs --mtp-acceptance") }
            if let slo = tpotSLO, !(slo.isFinite && slo > 0) { throw UsageError("--tpot-slo-ms must be a positive number of milliseconds, got \(slo)") }
            if let b = batchPerDevice, !(1...(1 << 20)).contains(b) { throw UsageError("--batch-per-device must be in 1...1048576, got \(b)") }
            guard (2...10_000).contains(frontierPoints) else { throw UsageError("--frontier-points must be in 2...10000, got \(frontierPoints)") }
            let specs: [ModelSpec]
            if let config { specs = [try loadModel(name: model, config: config)] }
            else if let model { specs = try loadModels(model, option: "--model") }
            else { throw UsageError("give a model with --model NAME or --config PATH (see 'moebench models')") }
            let devices = try hardware.accelerators(default: Self.defaultAccelerators)
            return specs.flatMap { s in devices.map { (s, $0) } }
        }

        func makeProjection(_ spec: ModelSpec, _ device: Accelerator) throws -> ServingProjection {
            let estimator = try storage.estimator(for: spec, strict: false)
            let n = try parseContext(context)
            var load = ExpertLoadModel.uniform
            if let skew { load = .zipf(skew: skew) }
            if let expertLoad { load = .measured(try ExpertLoad.measured(balanceReport: URL(fileURLWithPath: expertLoad))) }
            let speculation = mtpAcceptance.map { Speculation(draftTokens: mtpTokens ?? 1, acceptance: $0) }
            let d = Deployment(devices: devices, tensorParallel: tensorParallel, expertParallel: expertParallel ?? devices,
                               redundantExperts: redundantExperts, weights: estimator.weights, kvStorage: estimator.kvStorage,
                               context: n, prefillChunk: prefillChunk, speculation: speculation, cacheHitRate: cacheHitRate,
                               overlap: !noOverlap, expertLoad: load)
            return try ServingProjection(model: estimator.model, accelerator: device, deployment: d)
        }
    }
}
