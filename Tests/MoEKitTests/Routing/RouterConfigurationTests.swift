//===--- RouterConfigurationTests.swift - Presets and bad configurations --===//

import Foundation
import Testing
@testable import MoEKit

@Suite("Router configurations")
struct RouterConfigurationTests {
    @Test("Presets carry the published routing values (routing.md §2, models.md §4.1)")
    func presetValues() throws {
        // (name, E, k, scoring, bias, groups, kept, normalise, scale), written out from the
        // published config.json files and reference routers.
        let table: [(String, Int, Int, RouterConfiguration.Scoring, Bool, Int?, Int?, Bool, Float)] = [
            ("deepseek-v3", 256, 8, .sigmoid, true, 8, 4, true, 2.5),
            ("kimi-k2", 384, 8, .sigmoid, true, nil, nil, true, 2.827),
            ("deepseek-v2", 160, 6, .softmax, false, 8, 3, false, 16),
            ("deepseek-v4-flash", 256, 6, .sqrtSoftplus, true, nil, nil, true, 1.5),
            ("deepseek-v4-pro", 384, 6, .sqrtSoftplus, true, nil, nil, true, 2.5),
            ("qwen3-moe", 128, 8, .softmax, false, nil, nil, true, 1),
            ("mixtral", 8, 2, .softmax, false, nil, nil, true, 1),
            ("gpt-oss", 128, 4, .logits, false, nil, nil, false, 1),
        ]
        // The 2025–2026 families, from their config.json files (Resources/Models, sources in each
        // preset) and reference routers: Qwen3-Next / Qwen3.5 (transformers Qwen3NextSparseMoeBlock:
        // softmax, top-10 of 512, renormalised), GLM-4.6 / GLM-5 (Glm4MoeTopkRouter: sigmoid +
        // e_score_correction_bias, n_group 1, × 2.5, + 1e-20), MiniMax-M2 (sigmoid + routing bias,
        // renormalised without epsilon), Kimi Linear / K3 (KimiMoEGate: sigmoid + bias, one group,
        // × 2.446 / × 1.0, + 1e-20), Llama 4 (top-1 of 128 logits, weighted by its sigmoid).
        // (name, E, k, scoring, bias, normalise, epsilon, scale)
        let newer: [(String, Int, Int, RouterConfiguration.Scoring, Bool, Bool, Float, Float)] = [
            ("qwen3-next", 512, 10, .softmax, false, true, 0, 1),
            ("qwen3.5-moe", 512, 10, .softmax, false, true, 0, 1),
            ("glm-4.6", 160, 8, .sigmoid, true, true, 1e-20, 2.5),
            ("glm-5", 256, 8, .sigmoid, true, true, 1e-20, 2.5),
            ("minimax-m2", 256, 8, .sigmoid, true, true, 0, 1),
            ("kimi-linear", 256, 8, .sigmoid, true, true, 1e-20, 2.446),
            ("kimi-k3", 896, 16, .sigmoid, true, true, 1e-20, 1),
            ("llama-4", 128, 1, .logits, false, false, 0, 1),
        ]
        #expect(table.map(\.0) + newer.map(\.0) == RouterConfiguration.presetNames)
        for row in newer {
            let c = try RouterConfiguration.preset(named: row.0)
            #expect(c.experts == row.1 && c.topK == row.2 && c.scoring == row.3, "\(row.0)")
            #expect(c.usesCorrectionBias == row.4 && c.groupLimit == nil, "\(row.0)")
            #expect(c.normalizesWeights == row.5 && c.normalizationEpsilon == row.6 && c.scalingFactor == row.7, "\(row.0)")
            try c.validate()
        }
        #expect(try RouterConfiguration.preset(named: "llama-4").weighting == .sigmoidOfChosen)
        for row in table {
            let c = try RouterConfiguration.preset(named: row.0)
            #expect(c.experts == row.1 && c.topK == row.2 && c.scoring == row.3, "\(row.0)")
            #expect(c.usesCorrectionBias == row.4 && c.groupLimit?.groups == row.5 && c.groupLimit?.keptGroups == row.6, "\(row.0)")
            #expect(c.normalizesWeights == row.7 && c.scalingFactor == row.8, "\(row.0)")
            // DeepSeek-V3's reference code adds 1e-20 to the sum (routing.md §2.1); the softmax
            // routers of Qwen3 and Mixtral add nothing.
            #expect(c.normalizationEpsilon == (row.4 ? 1e-20 : 0), "\(row.0)")
            try c.validate()
        }
        #expect(try RouterConfiguration.deepSeekV3.groupLimit?.score == .topTwoSum)
        #expect(try RouterConfiguration.deepSeekV2.groupLimit?.score == .max)
        #expect(try RouterConfiguration.gptOSS.weighting == .softmaxOverChosen)
        #expect(try RouterConfiguration.preset(named: "Kimi-K2") == (try RouterConfiguration.kimiK2))
    }

    @Test("A router preset is its model preset's router: one source of truth")
    func presetsAreModelRouters() throws {
        for (alias, model) in RouterConfiguration.presetAliases {
            let router = try RouterConfiguration.preset(named: alias)
            #expect(router == (try ModelSpec.preset(named: model).router), "\(alias) → \(model)")
            #expect(RouterConfiguration.modelPresetName(forRouter: alias.uppercased()) == model)
        }
        // Every MoE model preset name works as a router name too.
        for spec in try ModelSpec.presets() {
            if let router = spec.router {
                #expect(try RouterConfiguration.preset(named: spec.name) == router, "\(spec.name)")
            } else {
                #expect(throws: RoutingError.noRouter(model: spec.name, reason: "it is a dense model")) {
                    try RouterConfiguration.preset(named: spec.name)
                }
            }
        }
        // Kimi K2.6 is a Kimi K2 text model under text_config: the same router.
        #expect(try ModelSpec.preset(named: "kimi-k2.6").router == (try RouterConfiguration.kimiK2))
        #expect(try ModelSpec.preset(named: "llama-3.1-8b").router == nil)
    }

    @Test("Presets agree with the models' own config.json files (vendored in Architecture/Fixtures)")
    func presetsMatchConfigs() throws {
        let dir = configFixtures
        let pairs = [
            ("deepseek-v3", "deepseek-ai--DeepSeek-V3.json"), ("kimi-k2", "moonshotai--Kimi-K2-Instruct.json"),
            ("kimi-k2", "moonshotai--Kimi-K2.5.json"), ("kimi-k2", "nvidia--Kimi-K2.6-NVFP4.json"),
            ("deepseek-v4-flash", "deepseek-ai--DeepSeek-V4-Flash.json"), ("deepseek-v4-pro", "deepseek-ai--DeepSeek-V4-Pro.json"),
            ("qwen3-moe", "Qwen--Qwen3-235B-A22B.json"), ("mixtral", "mistralai--Mixtral-8x7B-v0.1.json"),
            ("gpt-oss", "openai--gpt-oss-120b.json"),
        ]
        for (name, file) in pairs {
            let url = dir.appendingPathComponent(file)
            let c = try RouterConfiguration.preset(named: name)
            // The router the loader reads from the published file is the preset's.
            #expect(try ModelSpec(configFile: url).router == c, "\(file)")
            var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            if let text = json["text_config"] as? [String: Any] { json = text }
            let experts = (json["n_routed_experts"] ?? json["num_local_experts"] ?? json["num_experts"]) as? Int
            #expect(experts == c.experts, "\(name) experts")
            #expect(json["num_experts_per_tok"] as? Int ?? json["experts_per_token"] as? Int == c.topK, "\(name) k")
            if let rsf = json["routed_scaling_factor"] as? Double { #expect(Float(rsf) == c.scalingFactor, "\(name) rsf") }
            if let g = json["n_group"] as? Int, g > 1 { #expect(c.groupLimit?.groups == g, "\(name) n_group") }
            if let kg = json["topk_group"] as? Int, kg > 1 { #expect(c.groupLimit?.keptGroups == kg, "\(name) topk_group") }
            if let f = json["scoring_func"] as? String { #expect(f == c.scoring.rawValue, "\(name) scoring") }
            if let n = json["norm_topk_prob"] as? Bool { #expect(n == c.normalizesWeights, "\(name) norm") }
        }
    }

    @Test("Bad configurations throw errors that name the problem")
    func badConfigurations() throws {
        func error(_ c: RouterConfiguration) -> RoutingError? {
            do { try c.validate(); return nil } catch { return error }
        }
        #expect(error(.init(experts: 0, topK: 1, scoring: .softmax)) == .invalidExpertCount(0))
        #expect(error(.init(experts: 8, topK: 0, scoring: .softmax)) == .invalidTopK(0, experts: 8))
        #expect(error(.init(experts: 8, topK: 9, scoring: .softmax)) == .invalidTopK(9, experts: 8))
        let g = { (groups: Int, kept: Int, k: Int) in
            RouterConfiguration(experts: 256, topK: k, scoring: .sigmoid,
                                groupLimit: .init(groups: groups, keptGroups: kept, score: .topTwoSum))
        }
        #expect(error(g(7, 3, 8)) == .groupsDoNotDivideExperts(groups: 7, experts: 256))
        #expect(error(g(0, 0, 8)) == .groupsDoNotDivideExperts(groups: 0, experts: 256))
        #expect(error(g(8, 9, 8)) == .invalidKeptGroups(9, groups: 8))
        #expect(error(g(8, 0, 8)) == .invalidKeptGroups(0, groups: 8))
        #expect(error(g(8, 1, 33)) == .topKExceedsKeptExperts(33, keptExperts: 32))
        #expect(error(g(8, 1, 32)) == nil)
        var c = try RouterConfiguration.kimiK2
        c.scalingFactor = .nan
        guard case .invalidParameter("scaling factor", let v)? = error(c) else {
            Issue.record("a NaN scaling factor must be rejected")
            return
        }
        #expect(v.isNaN)
        c = try .kimiK2
        c.normalizationEpsilon = -1
        #expect(error(c) == .invalidParameter("normalization epsilon", -1))
        #expect("\(RoutingError.groupsDoNotDivideExperts(groups: 7, experts: 256))" == "n_group 7 does not divide the 256 experts")
    }

    @Test("Unknown presets suggest the closest name")
    func unknownPreset() {
        #expect(throws: RoutingError.unknownPreset("kimi-k9", suggestion: "kimi-k2")) {
            try RouterConfiguration.preset(named: "kimi-k9")
        }
        #expect(throws: RoutingError.unknownPreset("zzzzzzzzzzzz", suggestion: nil)) {
            try RouterConfiguration.preset(named: "zzzzzzzzzzzz")
        }
    }

    @Test("Bad buffers and values throw")
    func badInput() throws {
        #expect(throws: RoutingError.bufferSizeMismatch(buffer: "correction bias", expected: 384, actual: 3)) {
            try Router(.kimiK2, correctionBias: [0, 0, 0])
        }
        var bias = [Float](repeating: 0, count: 384)
        bias[17] = .infinity
        #expect(throws: RoutingError.nonFiniteBias(expert: 17, value: .infinity)) {
            try Router(.kimiK2, correctionBias: bias)
        }
        let router = try Router(.mixtral)
        #expect(throws: RoutingError.raggedBuffer(buffer: "logits", count: 12, rowLength: 8)) {
            try router.route(logits: [Float](repeating: 0, count: 12))
        }
        for bad in [Float.nan, .infinity, -.infinity] {
            for scoring in RouterConfiguration.Scoring.allCases {
                for experts in [8, 64, 100] {
                    var logits = [Float](repeating: 0.5, count: 3 * experts)
                    logits[experts + 5] = bad
                    let config = RouterConfiguration(experts: experts, topK: 2, scoring: scoring,
                                                     weighting: scoring == .logits ? .softmaxOverChosen : .chosenScores)
                    #expect(throws: RoutingError.self) { try Router(config).route(logits: logits) }
                    do {
                        _ = try Router(config).route(logits: logits)
                    } catch {
                        if case .nonFiniteLogit(let t, let e, _) = error { #expect(t == 1 && e == 5) }
                        else { Issue.record("unexpected \(error)") }
                    }
                }
            }
        }
        var indices = [Int32](repeating: 0, count: 3), weights = [Float](repeating: 0, count: 4)
        let logits = [Float](repeating: 0, count: 16)
        #expect(throws: RoutingError.bufferSizeMismatch(buffer: "indices", expected: 4, actual: 3)) {
            try logits.withUnsafeBufferPointer { l in
                try indices.withUnsafeMutableBufferPointer { i in
                    try weights.withUnsafeMutableBufferPointer { w in try router.route(logits: l, indices: i, weights: w) }
                }
            }
        }
    }
}
