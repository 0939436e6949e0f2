//===--- BalanceCommand.swift - moebench balance: expert and EP-rank load --===//

import ArgumentParser
import Foundation
import MoEKit

extension MoEBench {
    struct Balance: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure how evenly routing loads the experts and the expert-parallel ranks.",
            discussion: """
                Input: --logits L.npy (float32 [T, E], routed by the router flags as in 'route', \
                optionally with --bias B.npy), --indices I.npy (int32 [T, k]; E from --experts or \
                --preset), or, when no file is given, seeded synthetic logits whose top-1 \
                frequencies follow a Zipf law of exponent --skew (0 = uniform; popular experts \
                scattered by the seed, or expert 0 hottest with --hot-first). Synthetic runs can \
                route --batches independent batches and apply the aux-loss-free bias update \
                (DeepSeek-V3) with --bias-rate between them. The router defaults to kimi-k2. \
                Reports max/mean, MaxVio, CV, idle experts, per-batch max/mean, and the slots \
                and tokens received per expert-parallel rank (--ep, --placement).
                """)

        @Option(help: ArgumentHelp("Router logits, float32 [T, E].", valueName: "L.npy"))
        var logits: String?

        @Option(help: ArgumentHelp("Routing indices, int32 [T, k].", valueName: "I.npy"))
        var indices: String?

        @Option(help: ArgumentHelp("Initial selection-only correction bias, float32 [E].", valueName: "B.npy"))
        var bias: String?

        @OptionGroup var router: RouterOptions

        @Option(parsing: .unconditional, help: "Synthetic input: Zipf exponent of expert popularity, 0...100 (default 0, uniform).",
                transform: finiteNumber("in 0...100", { (0...SyntheticLogits.maximumSkew).contains($0) }))
        var skew: Double?

        @Option(parsing: .unconditional, help: "Synthetic input: tokens per batch, 1...16777216 (default 4096; 4k also works).",
                transform: parseTokenCount)
        var tokens: Int?

        @Option(parsing: .unconditional, help: "Synthetic input: number of batches, 1...1000000 (default 1; progress on a terminal).",
                transform: wholeNumber(in: 1...Bounds.batches))
        var batches: Int?

        @Option(parsing: .unconditional, help: "Synthetic input: seed of the popularity order and the noise, 0...2^64-1.",
                transform: seedNumber)
        var seed: UInt64?

        @Flag(name: .customLong("hot-first"), help: "Synthetic input: expert 0 most popular, then 1, … (default: shuffled).")
        var hotFirst = false

        @Option(name: .customLong("bias-rate"), parsing: .unconditional,
                help: "Synthetic input: aux-loss-free bias step between batches, 0...1 (DeepSeek-V3 uses 0.001); needs sigmoid or sqrtsoftplus scoring.",
                transform: finiteFloat("in 0...1", { (0...1).contains($0) }))
        var biasRate: Float?

        @Option(parsing: .unconditional, help: "Expert-parallel ranks, 1...E; must divide E.", transform: wholeNumber(in: 1...Bounds.experts))
        var ep = 8

        @Option(help: "Expert placement over the ranks: contiguous or round-robin.")
        var placement: PlacementKind = .contiguous

        @Option(parsing: .unconditional, help: "Number of hottest experts listed, 0...16777216.",
                transform: wholeNumber(in: 0...Bounds.experts))
        var hottest = 8

        @Option(help: "Output: table, json or csv.")
        var format: OutputFormat = .table

        static let defaultTokens = 4096
        static let defaultSeed: UInt64 = 0x4D6F_454B_6974
        /// The most logits one synthetic batch may hold (1 GiB of float32).
        static let logitLimit = 1 << 28

        func run() throws {
            guard hottest >= 0 else { throw UsageError("--hottest must not be negative, got \(hottest)") }
            let run: BalanceRun
            switch (logits, indices) {
            case (_?, _?): throw UsageError("give --logits or --indices, not both")
            case (let path?, nil): run = try fromLogits(path)
            case (nil, let path?): run = try fromIndices(path)
            case (nil, nil): run = try synthetic()
            }
            let report = BalanceReport(run: run, hottest: hottest)
            switch format {
            case .table: print(report.table(), terminator: "")
            case .json: print(try report.json())
            case .csv: print(report.csv(), terminator: "")
            }
        }

        // MARK: Sources

        private func refuseSyntheticOptions(_ source: String) throws {
            let given = [("--skew", skew != nil), ("--tokens", tokens != nil), ("--batches", batches != nil),
                         ("--seed", seed != nil), ("--hot-first", hotFirst), ("--bias-rate", biasRate != nil)]
            if let (name, _) = given.first(where: { $0.1 }) {
                throw UsageError("\(name) applies to synthetic input only, not to \(source)")
            }
        }

        private func fromLogits(_ path: String) throws -> BalanceRun {
            try refuseSyntheticOptions("--logits")
            let array = try NPY.read(Float.self, from: URL(fileURLWithPath: path))
            guard array.shape.count == 2, array.shape[1] >= 1 else {
                throw NPYError.shapeMismatch(path: path, expected: "[T, E]", actual: array.shape)
            }
            let experts = array.shape[1]
            let correction = try readBias(experts: experts)
            let config = try routerConfiguration(experts: experts, hasBias: correction != nil)
            router.warnIfBiasMissing(hasBias: correction != nil, defaultPreset: "kimi-k2")
            let result = try Router(config, correctionBias: correction).route(logits: array.values)
            var load = try accumulator(experts: experts, topK: config.topK)
            try load.add(indices: result.indices)
            return BalanceRun(router: config, preset: presetName(config), input: .logits(path: path),
                              load: load, tokensPerBatch: result.tokens, biasRate: nil, finalBias: nil, placementName: placement.rawValue)
        }

        private func fromIndices(_ path: String) throws -> BalanceRun {
            try refuseSyntheticOptions("--indices")
            if bias != nil { throw UsageError("--bias needs logits to route; it does not apply to --indices") }
            let array = try NPY.read(Int32.self, from: URL(fileURLWithPath: path))
            guard array.shape.count == 2, array.shape[1] >= 1 else {
                throw NPYError.shapeMismatch(path: path, expected: "[T, k]", actual: array.shape)
            }
            let k = array.shape[1]
            let presetConfig = try router.modelRouter()?.router
            guard let experts = router.experts ?? presetConfig?.experts else {
                throw UsageError("--indices needs the number of experts: give --experts E, --preset NAME or --config config.json")
            }
            if let topK = router.topK, topK != k {
                throw UsageError("--topk \(topK) does not match the \(k) experts per token in \(path)")
            }
            if let presetConfig, router.topK == nil, presetConfig.topK != k {
                throw UsageError("preset \(router.preset ?? "") chooses \(presetConfig.topK) experts per token but \(path) has \(k); pass --topk \(k) to override")
            }
            var load = try accumulator(experts: experts, topK: k)
            try load.add(indices: array.values)
            var config = presetConfig ?? RouterConfiguration(experts: experts, topK: k, scoring: router.scoring ?? .softmax)
            config.experts = experts
            config.topK = k
            return BalanceRun(router: config, preset: router.preset ?? router.configFile, input: .indices(path: path),
                              load: load, tokensPerBatch: array.shape[0], biasRate: nil, finalBias: nil, placementName: placement.rawValue)
        }

        private func synthetic() throws -> BalanceRun {
            let skew = self.skew ?? 0, tokens = self.tokens ?? Self.defaultTokens
            let batches = self.batches ?? 1, seed = self.seed ?? Self.defaultSeed
            guard tokens >= 1 else { throw UsageError("--tokens must be at least 1, got \(tokens)") }
            guard batches >= 1 else { throw UsageError("--batches must be at least 1, got \(batches)") }
            let config = try routerConfiguration(experts: nil, hasBias: bias != nil || biasRate != nil ? true : nil)
            guard tokens <= Self.logitLimit / config.experts else {
                throw UsageError("--tokens \(tokens) × \(config.experts) experts is more than \(Self.logitLimit) logits per batch")
            }
            if let biasRate {
                guard config.scoring == .sigmoid || config.scoring == .sqrtSoftplus else {
                    throw UsageError("--bias-rate needs a router with sigmoid or sqrtsoftplus scoring (aux-loss-free balancing of DeepSeek-V3, Kimi K2, V4); this router scores by \(config.scoring.rawValue)")
                }
                guard batches >= 2 else { throw UsageError("--bias-rate needs --batches 2 or more (the bias changes between batches)") }
                guard biasRate.isFinite, biasRate >= 0 else {
                    throw LoadBalanceError.invalidRate(biasRate)
                }
            }
            var correction = try readBias(experts: config.experts)
            if biasRate != nil && correction == nil { correction = [Float](repeating: 0, count: config.experts) }
            let order: SyntheticLogits.PopularityOrder = hotFirst ? .ascendingIndex : .shuffled
            var source = try SyntheticLogits(experts: config.experts, skew: skew, popularityOrder: order, seed: seed)
            var load = try accumulator(experts: config.experts, topK: config.topK)
            let progress = ProgressLine()
            defer { progress.clear() }
            for b in 0..<batches {
                if batches > 1 { progress.show(throttled: "[\(b + 1)/\(batches)] routing synthetic batches of \(tokens) tokens…") }
                let result = try Router(config, correctionBias: correction).route(logits: source.next(tokens: tokens))
                let batch = try load.add(indices: result.indices)
                if let biasRate, correction != nil {
                    try AuxLossFreeBalancing.update(bias: &correction!, counts: batch.counts, rate: biasRate)
                }
            }
            return BalanceRun(router: config, preset: presetName(config),
                              input: .synthetic(skew: skew, order: order, seed: seed),
                              load: load, tokensPerBatch: tokens, biasRate: biasRate,
                              finalBias: biasRate == nil ? nil : correction, placementName: placement.rawValue)
        }

        // MARK: Helpers

        private func routerConfiguration(experts: Int?, hasBias: Bool?) throws -> RouterConfiguration {
            let kimi = try RouterConfiguration.kimiK2
            if let experts, router.preset == nil, router.configFile == nil, router.scoring == nil, router.experts == nil,
               experts != kimi.experts {
                throw UsageError("the input has \(experts) experts but the default router kimi-k2 has \(kimi.experts); choose a router with --preset, --config or --scoring and --topk")
            }
            return try router.configuration(fallback: kimi, experts: experts, hasBias: hasBias)
        }

        private func readBias(experts: Int) throws -> [Float]? {
            guard let bias else { return nil }
            let b = try NPY.read(Float.self, from: URL(fileURLWithPath: bias))
            guard b.shape == [experts] else {
                throw NPYError.shapeMismatch(path: bias, expected: "[\(experts)] (one per expert)", actual: b.shape)
            }
            return b.values
        }

        private func accumulator(experts: Int, topK: Int) throws -> LoadAccumulator {
            let layout: ExpertPlacement = switch placement {
            case .contiguous: try .contiguous(experts: experts, ranks: ep)
            case .roundRobin: try .roundRobin(experts: experts, ranks: ep)
            }
            return try LoadAccumulator(experts: experts, topK: topK, placement: layout)
        }

        private func presetName(_ config: RouterConfiguration) -> String? {
            router.preset ?? router.configFile ?? (config == (try? RouterConfiguration.kimiK2) ? "kimi-k2" : nil)
        }
    }
}

/// `--placement`.
enum PlacementKind: String, ExpressibleByArgument, CaseIterable {
    case contiguous
    case roundRobin = "round-robin"
}
