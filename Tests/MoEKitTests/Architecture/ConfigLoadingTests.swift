//===--- ConfigLoadingTests.swift - Real config.json files and presets -----===//

import Foundation
import Testing
@testable import MoEKit

@Suite("Config loading")
struct ConfigLoadingTests {
    /// Vendored config file (Architecture/Fixtures) → (matching preset, published total, active, convention). Published
    /// figures: models.md §5.1; Qwen3-30B-A3B from its model card; Llama from the model pages.
    static let configs: [(file: String, preset: String, total: Double, active: Double, convention: ActiveParameterConvention)] = [
        ("deepseek-ai--DeepSeek-V3.json", "deepseek-v3", 671e9, 37e9, .excludingEmbedding),
        ("deepseek-ai--DeepSeek-V3.2.json", "deepseek-v3.2", 671e9, 37e9, .excludingEmbedding),
        ("deepseek-ai--DeepSeek-V4-Pro.json", "deepseek-v4-pro", 1.6e12, 49e9, .excludingEmbedding),
        ("moonshotai--Kimi-K2-Instruct.json", "kimi-k2", 1.03e12, 32e9, .excludingEmbedding),
        ("moonshotai--Kimi-K2.5.json", "kimi-k2.5", 1.03e12, 32e9, .excludingEmbedding),
        ("nvidia--Kimi-K2.6-NVFP4.json", "kimi-k2.6", 1.03e12, 32e9, .excludingEmbedding),
        ("Qwen--Qwen3-235B-A22B.json", "qwen3-235b-a22b", 235e9, 22e9, .includingEmbedding),
        ("Qwen--Qwen3-30B-A3B.json", "qwen3-30b-a3b", 30.5e9, 3.3e9, .includingEmbedding),
        ("mistralai--Mixtral-8x7B-v0.1.json", "mixtral-8x7b", 46.7e9, 12.9e9, .includingEmbedding),
        ("openai--gpt-oss-120b.json", "gpt-oss-120b", 117e9, 5.1e9, .excludingEmbedding),
        ("meta-llama--Meta-Llama-3.1-70B.json", "llama-3.1-70b", 70.6e9, 70.6e9, .includingEmbedding),
        ("meta-llama--Meta-Llama-3.1-8B.json", "llama-3.1-8b", 8.03e9, 8.03e9, .includingEmbedding),
    ]

    @Test("real configs load and match published parameter counts", arguments: configs)
    func realConfig(_ row: (file: String, preset: String, total: Double, active: Double, convention: ActiveParameterConvention)) throws {
        let spec = try sharedConfig(row.file)
        let count = spec.parameterCount
        #expect(relativeError(Double(count.total.total), row.total) <= 0.02, "total \(count.total.total)")
        #expect(relativeError(Double(count.active(row.convention)), row.active) <= 0.02, "active \(count.active(row.convention))")
        // The preset carries the same architecture values as the real config.
        let p = try preset(row.preset)
        #expect(p.attention == spec.attention)
        #expect(p.feedForward == spec.feedForward)
        #expect(p.parameterCount.total == count.total)
        #expect(p.mtpLayerCount == spec.mtpLayerCount)
    }

    @Test func deepSeekV4FlashConfig() throws {
        let spec = try sharedConfig("deepseek-ai--DeepSeek-V4-Flash.json")
        #expect(relativeError(Double(spec.parameterCount.total.total), 284e9) <= 0.02)
        #expect(spec.attention == (try preset("deepseek-v4-flash")).attention)
        #expect(spec.serving.weights == WeightPrecision(dense: .fp8, experts: .mxfp4))
    }

    /// models.md §1.1: Flash has layers 0–1 window-only, even 2…42 CSA (21), odd 3…41 HCA (20);
    /// Pro has 30 CSA and 31 HCA. The MTP entry at the end of compress_ratios is not a layer.
    @Test func v4LayerTypesCountedFromCompressRatios() throws {
        func counts(_ spec: ModelSpec) -> (window: Int, csa: Int, hca: Int) {
            var c = (window: 0, csa: 0, hca: 0)
            for kind in spec.attentionModel.layerKinds {
                switch kind {
                case .slidingWindow: c.window += 1
                case .compressedSparse: c.csa += 1
                case .heavilyCompressed: c.hca += 1
                case .full, .chunked, .sharedIndex, .linear: break
                }
            }
            return c
        }
        let flash = try sharedConfig("deepseek-ai--DeepSeek-V4-Flash.json")
        #expect(try preset("deepseek-v4-flash").attentionModel.layerKinds == flash.attentionModel.layerKinds)
        let f = counts(flash)
        #expect(f.window == 2 && f.csa == 21 && f.hca == 20)
        #expect(flash.attentionModel.layerKinds[0] == .slidingWindow(128))
        #expect(flash.attentionModel.layerKinds[2] == .compressedSparse(ratio: 4))
        #expect(flash.attentionModel.layerKinds[3] == .heavilyCompressed(ratio: 128))
        #expect(flash.attentionModel.layerKinds.count == 43)
        let pro = try sharedConfig("deepseek-ai--DeepSeek-V4-Pro.json")
        #expect(try preset("deepseek-v4-pro").attentionModel.layerKinds == pro.attentionModel.layerKinds)
        let p = counts(pro)
        #expect(p.window == 0 && p.csa == 30 && p.hca == 31)
    }

    @Test func kimiTextConfigAndQuantization() throws {
        let k25 = try preset("kimi-k2.5")
        #expect(k25.modelType == "kimi_k25")
        #expect(k25.hiddenSize == 7168 && k25.layerCount == 61)
        #expect(k25.serving.weights == WeightPrecision(dense: .bf16, experts: .int4(groupSize: 32)))
        #expect(k25.feedForward.denseLayerCount == 1)
        // Top-level modelopt NVFP4 config, FP8 KV-cache scheme.
        let nvfp4 = try sharedConfig("nvidia--Kimi-K2.6-NVFP4.json")
        #expect(nvfp4.serving.weights.experts == .nvfp4)
        #expect(nvfp4.serving.kvStorage.kv == .fp8)
    }

    @Test func denseLayersFollowTheConfig() throws {
        #expect(try preset("deepseek-v3").feedForward.denseLayerCount == 3)
        #expect(try preset("kimi-k2").feedForward.denseLayerCount == 1)
        #expect(try preset("deepseek-v4-pro").feedForward.denseLayerCount == 0)
        #expect(try preset("qwen3-235b-a22b").feedForward.denseLayerCount == 0)
        #expect(try preset("llama-3.1-8b").feedForward.moeLayerCount == 0)
        // mlp_only_layers and decoder_sparse_step (Qwen3-MoE).
        let qwen = try spec(fromJSON: Self.qwenLike(extra: #""mlp_only_layers": [0, 3], "decoder_sparse_step": 2"#))
        #expect(qwen.feedForward.layerKinds == [.dense, .moe, .dense, .dense])
    }

    @Test func gptOssSlidingLayersAndSinks() throws {
        let g = try preset("gpt-oss-120b")
        guard case .grouped(let a) = g.attention else { Issue.record("gpt-oss is not GQA"); return }
        #expect(a.layerKinds.filter { $0 == .slidingWindow(128) }.count == 18)
        #expect(a.layerKinds[0] == .slidingWindow(128) && a.layerKinds[1] == .full)
        #expect(a.hasSinks && a.hasBias)
    }

    // MARK: - Bad input

    static func qwenLike(extra: String = "") -> String {
        """
        {"model_type": "qwen3_moe", "hidden_size": 64, "num_hidden_layers": 4, "vocab_size": 100,
         "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 4096,
         "num_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 32,
         "intermediate_size": 128, "some_unknown_key": {"nested": [1, 2]}\(extra.isEmpty ? "" : ", " + extra)}
        """
    }

    @Test func unknownKeysAreIgnored() throws {
        let s = try spec(fromJSON: Self.qwenLike())
        #expect(s.layerCount == 4)
    }

    @Test func missingKeyIsNamed() {
        #expect(throws: ModelSpecError.missingKey("kv_lora_rank", modelType: "deepseek_v3")) {
            try spec(fromJSON: #"{"model_type": "deepseek_v3", "hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 10, "num_attention_heads": 2, "max_position_embeddings": 100}"#)
        }
        #expect(throws: ModelSpecError.missingKey("text_config", modelType: "kimi_k25")) {
            try spec(fromJSON: #"{"model_type": "kimi_k25"}"#)
        }
        #expect(throws: ModelSpecError.missingKey("model_type", modelType: "?")) {
            try spec(fromJSON: #"{"hidden_size": 64}"#)
        }
    }

    @Test func nestedKeysAreNamedWithTheirPrefix() {
        #expect(throws: ModelSpecError.missingKey("text_config.hidden_size", modelType: "kimi_k25")) {
            try spec(fromJSON: #"{"model_type": "kimi_k25", "text_config": {"model_type": "kimi_k2"}}"#)
        }
    }

    @Test func wrongTypesAndValuesAreNamed() {
        #expect(throws: ModelSpecError.wrongType(key: "hidden_size", expected: "an integer")) {
            try spec(fromJSON: Self.qwenLike().replacingOccurrences(of: #""hidden_size": 64"#, with: #""hidden_size": "64""#))
        }
        #expect(throws: ModelSpecError.wrongType(key: "hidden_size", expected: "an integer")) {
            try spec(fromJSON: Self.qwenLike().replacingOccurrences(of: #""hidden_size": 64"#, with: #""hidden_size": 64.5"#))
        }
        #expect(throws: ModelSpecError.invalidValue(key: "num_hidden_layers", value: "0", reason: "must be at least 1")) {
            try spec(fromJSON: Self.qwenLike().replacingOccurrences(of: #""num_hidden_layers": 4"#, with: #""num_hidden_layers": 0"#))
        }
    }

    /// Absurd sizes are refused by name instead of overflowing the parameter arithmetic.
    @Test func absurdSizesAreRefused() throws {
        #expect(throws: ModelSpecError.invalidValue(key: "hidden_size", value: "1000000000000", reason: "must be at most 131072")) {
            try spec(fromJSON: Self.qwenLike().replacingOccurrences(of: #""hidden_size": 64"#, with: #""hidden_size": 1000000000000"#))
        }
        #expect(throws: ModelSpecError.self) {
            try spec(fromJSON: Self.qwenLike().replacingOccurrences(of: #""num_experts": 8"#, with: #""num_experts": 1e14"#))
        }
        // The largest accepted sizes still count without overflow.
        let big = try spec(fromJSON: Self.qwenLike()
            .replacingOccurrences(of: #""hidden_size": 64"#, with: #""hidden_size": 131072"#)
            .replacingOccurrences(of: #""num_hidden_layers": 4"#, with: #""num_hidden_layers": 2048"#)
            .replacingOccurrences(of: #""num_experts": 8"#, with: #""num_experts": 8192"#)
            .replacingOccurrences(of: #""moe_intermediate_size": 32"#, with: #""moe_intermediate_size": 524288"#))
        #expect(big.parameterCount.total.total > 0)
    }

    @Test func contradictionsNameBothKeys() {
        #expect(throws: ModelSpecError.contradictoryKeys(["num_experts_per_tok", "num_experts"], reason: "top-k 9 is larger than the 8 routed experts")) {
            try spec(fromJSON: Self.qwenLike().replacingOccurrences(of: #""num_experts_per_tok": 2"#, with: #""num_experts_per_tok": 9"#))
        }
        #expect(throws: ModelSpecError.self) {
            try spec(fromJSON: Self.qwenLike().replacingOccurrences(of: #""num_key_value_heads": 2"#, with: #""num_key_value_heads": 3"#))
        }
        do {
            _ = try spec(fromJSON: Self.qwenLike(extra: #""mlp_only_layers": [7]"#))
            Issue.record("mlp_only_layers out of range was accepted")
        } catch let error as ModelSpecError {
            #expect(error.description.contains("mlp_only_layers") && error.description.contains("num_hidden_layers"))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func v4CompressRatiosAreChecked() throws {
        let text = try String(contentsOf: configFixtures.appendingPathComponent("deepseek-ai--DeepSeek-V4-Flash.json"), encoding: .utf8)
        // A ratio of 8 is not a V4 layer type.
        let bad = text.replacingOccurrences(of: "\"compress_ratios\": [\n    0,\n    0,\n    4,", with: "\"compress_ratios\": [\n    0,\n    0,\n    8,")
        #expect(bad != text)
        #expect(throws: ModelSpecError.self) { try spec(fromJSON: bad) }
        do { _ = try spec(fromJSON: bad) } catch let e as ModelSpecError {
            #expect(e.description.contains("compress_ratios[2]"))
        }
    }

    @Test func unsupportedModelTypeSuggestsTheClosest() {
        #expect(throws: ModelSpecError.unsupportedModelType("mixtrall", suggestion: "mixtral")) {
            try spec(fromJSON: #"{"model_type": "mixtrall"}"#)
        }
    }

    @Test func malformedJSONIsAnError() {
        #expect(throws: ModelSpecError.self) { try spec(fromJSON: #"{"model_type": "llama", "#) }
        #expect(throws: ModelSpecError.self) { try spec(fromJSON: "[1, 2]") }
        #expect(throws: ModelSpecError.self) { try spec(fromJSON: "") }
    }

    @Test func unreadableFileIsNamed() {
        do {
            _ = try ModelSpec(configFile: URL(fileURLWithPath: "/nonexistent/config.json"))
            Issue.record("no error")
        } catch {
            #expect(error.description.contains("/nonexistent/config.json"))
        }
    }

    @Test func unknownPresetSuggestsTheClosest() {
        do {
            _ = try ModelSpec.preset(named: "deepseek-v3.1")
            Issue.record("no error")
        } catch {
            guard case .unknownPreset(_, let suggestion, let known) = error else { Issue.record("\(error)"); return }
            #expect(suggestion == "deepseek-v3" || suggestion == "deepseek-v3.2")
            #expect(known == ModelSpec.presetNames)
        }
    }

    @Test func presetNames() {
        #expect(ModelSpec.presetNames == [
            "deepseek-v2", "deepseek-v3", "deepseek-v3.2", "deepseek-v4-flash", "deepseek-v4-pro",
            "glm-4.6", "glm-5", "gpt-oss-120b", "kimi-k2", "kimi-k2.5", "kimi-k2.6", "kimi-k3",
            "kimi-linear-48b-a3b", "llama-3.1-70b", "llama-3.1-8b", "llama-4-maverick", "minimax-m2",
            "mixtral-8x7b", "qwen3-235b-a22b", "qwen3-30b-a3b", "qwen3-next-80b-a3b", "qwen3.5-397b-a17b",
        ])
    }
}
