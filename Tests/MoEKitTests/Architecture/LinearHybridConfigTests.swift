//===--- LinearHybridConfigTests.swift - Qwen3-Next, Qwen3.5, Kimi Linear, K3 configs ===//

import Foundation
import Testing
@testable import MoEKit

@Suite("Linear-hybrid configs")
struct LinearHybridConfigTests {
    // MARK: - Real configs and published counts

    /// The vendored config files load to the same models as the presets.
    @Test(arguments: [("Qwen--Qwen3-Next-80B-A3B-Instruct.json", "qwen3-next-80b-a3b"),
                      ("Qwen--Qwen3.5-397B-A17B.json", "qwen3.5-397b-a17b"),
                      ("moonshotai--Kimi-Linear-48B-A3B-Instruct.json", "kimi-linear-48b-a3b"),
                      ("moonshotai--Kimi-K3.json", "kimi-k3")])
    func configMatchesPreset(file: String, name: String) throws {
        let fromFile = try sharedConfig(file), fromPreset = try preset(name)
        #expect(fromFile.attention == fromPreset.attention)
        #expect(fromFile.feedForward == fromPreset.feedForward)
        #expect(fromFile.parameterCount == fromPreset.parameterCount)
        #expect(fromFile.serving.kvStorage.state == .fp32)
    }

    /// Qwen3-Next: "80B total, 3B activated" (model card via secondary summaries). The total fits
    /// (79.67B without the MTP block); "3B" is a rounded headline, matched only as the interval
    /// [2.5B, 3.5B) by the count without either embedding matrix (3.25B).
    @Test func qwenNextCounts() throws {
        let count = try preset("qwen3-next-80b-a3b").parameterCount
        #expect(relativeError(Double(count.total.total), 80e9) <= 0.02)
        let active = Double(count.active(.excludingEmbedding) - count.active.outputHead)
        #expect(active >= 2.5e9 && active < 3.5e9, "active \(active)")
        // Every layer is MoE: 48 × 512 experts of 3·2,048·512 and one shared expert of the same size.
        #expect(count.total.routedExperts == 48 * 512 * 3_145_728)
        #expect(count.total.sharedExperts == 48 * 3_145_728)
    }

    /// Qwen3.5-397B-A17B: "397B total, 17B activated" (SGLang cookbook). The text model without
    /// MTP is within 2% of 397B; 17.35B with both embedding matrices rounds to 17B (2.1% above it).
    @Test func qwen35Counts() throws {
        let spec = try preset("qwen3.5-397b-a17b")
        let count = spec.parameterCount
        #expect(relativeError(Double(count.total.total), 397e9) <= 0.02)
        let active = Double(count.active(.includingEmbedding))
        #expect(active >= 16.5e9 && active < 17.5e9, "active \(active)")
        #expect(spec.mtpLayerCount == 1 && spec.layerCount == 60 && spec.vocabularySize == 248_320)
        guard case .linearHybrid(let a) = spec.attention, case .gatedDeltaNet(let g) = a.linear else { Issue.record("not GDN"); return }
        #expect(g.valueHeads == 64 && g.keyHeads == 16)
        #expect(a.layerKinds.count { $0 == .full } == 15)
    }

    /// Kimi Linear: the checkpoint holds 49,122,681,728 parameters (safetensors listing in a
    /// third-party inspection report); MoEKit leaves out the RMSNorm weights, here 2 per layer and
    /// one final, of 2,304 each. "48B / 3B" (MoonshotAI/Kimi-Linear README) fits without the input
    /// embedding: 48.75B (+1.6%) and 3.11B (rounds to 3B).
    @Test func kimiLinearCounts() throws {
        let count = try preset("kimi-linear-48b-a3b").parameterCount
        #expect(count.total.total + (2 * 27 + 1) * 2_304 == 49_122_681_728)
        #expect(relativeError(Double(count.total.total - count.total.embedding), 48e9) <= 0.02)
        let active = Double(count.active(.excludingEmbedding))
        #expect(active >= 2.5e9 && active < 3.5e9, "active \(active)")
    }

    /// Kimi K3's latent MoE by hand: experts 3·3,584·3,072 = 33,030,144 in the latent; per MoE
    /// layer the projections 2·7,168·3,584 = 51,380,224 and two shared experts 2·3·7,168·3,072 =
    /// 132,120,576 at full width; the router sees the full hidden state (896·7,168 + 896 bias).
    @Test func kimiK3LatentMoEByHand() throws {
        let spec = try preset("kimi-k3")
        let moe = try #require(spec.feedForward.moe)
        #expect(moe.latentSize == 3_584 && moe.expertWidth(hiddenSize: 7_168) == 3_584)
        #expect(moe.expertParameters(hiddenSize: 7_168) == 33_030_144)
        #expect(moe.latentProjectionParameters(hiddenSize: 7_168) == 51_380_224)
        let count = spec.parameterCount
        #expect(spec.feedForward.moeLayerCount == 92)
        #expect(count.total.routedExperts == 92 * 896 * 33_030_144)
        #expect(count.active.routedExperts == 92 * 16 * 33_030_144)
        #expect(count.total.sharedExperts == 92 * (132_120_576 + 51_380_224))
        #expect(count.total.router == 92 * (896 * 7_168 + 896))
        #expect(count.total.denseFFN == 3 * 7_168 * 33_792)
        #expect(spec.serving.weights.experts == .mxfp4)
        // Expert bytes a decode step reads follow the latent width: 16 experts × 92 layers at batch 1.
        let e = CostEstimator(model: spec)
        #expect(abs(e.weightBytes(tokens: 1).routedExperts - 92 * 16 * 33_030_144 * WeightFormat.mxfp4.bytesPerParameter) <= 1e3)
    }

    // MARK: - Bad input

    static func kimiLike(kda: String = "[1, 2, 3]", full: String = "[4]", extra: String = "") -> String {
        """
        {"model_type": "kimi_linear", "hidden_size": 64, "num_hidden_layers": 4, "vocab_size": 100,
         "num_attention_heads": 4, "model_max_length": 4096, "q_lora_rank": null, "kv_lora_rank": 16,
         "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8, "num_experts": 8,
         "num_experts_per_token": 2, "moe_intermediate_size": 32, "intermediate_size": 128,
         "first_k_dense_replace": 1, "num_shared_experts": 1,
         "linear_attn_config": {"kda_layers": \(kda), "full_attn_layers": \(full), "num_heads": 2,
                                "head_dim": 8, "short_conv_kernel_size": 4}\(extra.isEmpty ? "" : ", " + extra)}
        """
    }

    static func qwenLike(_ extra: String) -> String {
        """
        {"model_type": "qwen3_next", "hidden_size": 64, "num_hidden_layers": 4, "vocab_size": 100,
         "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "max_position_embeddings": 4096,
         "linear_num_key_heads": 2, "linear_num_value_heads": 4, "linear_key_head_dim": 8,
         "linear_value_head_dim": 8, "linear_conv_kernel_dim": 4, "num_experts": 8,
         "num_experts_per_tok": 2, "moe_intermediate_size": 32, "shared_expert_intermediate_size": 32, \(extra)}
        """
    }

    @Test func smallConfigsLoad() throws {
        let k = try spec(fromJSON: Self.kimiLike())
        #expect(k.attentionModel.layerKinds == [.linear, .linear, .linear, .full])
        #expect(k.feedForward.layerKinds == [.dense, .moe, .moe, .moe])
        // Without full_attn_layers, the layers not in kda_layers are full.
        let complement = try spec(fromJSON: Self.kimiLike(kda: "[1, 3]", full: "null"))
        #expect(complement.attentionModel.layerKinds == [.linear, .full, .linear, .full])
        let q = try spec(fromJSON: Self.qwenLike(#""full_attention_interval": 2"#))
        #expect(q.attentionModel.layerKinds == [.linear, .full, .linear, .full])
        let types = try spec(fromJSON: Self.qwenLike(#""layer_types": ["full_attention", "linear_attention", "linear_attention", "linear_attention"], "mamba_ssm_dtype": "bfloat16""#))
        #expect(types.attentionModel.layerKinds == [.full, .linear, .linear, .linear])
        #expect(types.serving.kvStorage.state == .bf16)
        // Qwen3.5 nests the text model; a state dtype at the root applies when the text config has none.
        let nested = #"{"model_type": "qwen3_5_moe", "mamba_ssm_dtype": "torch.float16", "text_config": "#
            + Self.qwenLike(#""full_attention_interval": 4"#) + "}"
        let wrapped = try spec(fromJSON: nested)
        #expect(wrapped.serving.kvStorage.state == .fp16 && wrapped.modelType == "qwen3_5_moe")
        #expect(wrapped.attentionModel.layerKinds == [.linear, .linear, .linear, .full])
    }

    @Test func scheduleMustCoverEveryLayerOnce() {
        #expect(throws: ModelSpecError.contradictoryKeys(["linear_attn_config.kda_layers", "linear_attn_config.full_attn_layers", "num_hidden_layers"],
                                                         reason: "layer 3 of 4 is in neither list")) {
            try spec(fromJSON: Self.kimiLike(kda: "[1, 2]", full: "[4]"))
        }
        #expect(throws: ModelSpecError.contradictoryKeys(["linear_attn_config.kda_layers", "linear_attn_config.full_attn_layers"],
                                                         reason: "layer 3 is in both lists")) {
            try spec(fromJSON: Self.kimiLike(kda: "[1, 2, 3]", full: "[3, 4]"))
        }
        // One-based: layer 0 does not exist.
        #expect(throws: ModelSpecError.invalidValue(key: "linear_attn_config.kda_layers[0]", value: "0",
                                                    reason: "layers are numbered 1...4 (one-based)")) {
            try spec(fromJSON: Self.kimiLike(kda: "[0, 1, 2]", full: "[4]"))
        }
        #expect(throws: ModelSpecError.invalidValue(key: "linear_attn_config.kda_layers[1]", value: "1", reason: "layer 1 is listed twice")) {
            try spec(fromJSON: Self.kimiLike(kda: "[1, 1, 2, 3]", full: "[4]"))
        }
        #expect(throws: ModelSpecError.contradictoryKeys(["layer_types", "num_hidden_layers"], reason: "3 layer types for 4 layers")) {
            try spec(fromJSON: Self.qwenLike(#""layer_types": ["linear_attention", "linear_attention", "full_attention"]"#))
        }
    }

    @Test func unknownLayerTypeIsNamed() {
        #expect(throws: ModelSpecError.invalidValue(key: "layer_types[1]", value: "'sliding_attention'",
                                                    reason: "expected 'linear_attention' or 'full_attention'")) {
            try spec(fromJSON: Self.qwenLike(#""layer_types": ["linear_attention", "sliding_attention", "linear_attention", "full_attention"]"#))
        }
    }

    @Test func zeroHeadsAndDimsAreNamed() {
        #expect(throws: ModelSpecError.invalidValue(key: "linear_attn_config.num_heads", value: "0", reason: "must be at least 1")) {
            try spec(fromJSON: Self.kimiLike().replacingOccurrences(of: #""num_heads": 2"#, with: #""num_heads": 0"#))
        }
        #expect(throws: ModelSpecError.invalidValue(key: "linear_value_head_dim", value: "0", reason: "must be at least 1")) {
            try spec(fromJSON: Self.qwenLike(#""full_attention_interval": 4"#).replacingOccurrences(of: #""linear_value_head_dim": 8"#, with: #""linear_value_head_dim": 0"#))
        }
        #expect(throws: ModelSpecError.invalidValue(key: "linear_num_value_heads", value: "100000", reason: "must be at most 4096")) {
            try spec(fromJSON: Self.qwenLike(#""full_attention_interval": 4"#).replacingOccurrences(of: #""linear_num_value_heads": 4"#, with: #""linear_num_value_heads": 100000"#))
        }
        #expect(throws: ModelSpecError.contradictoryKeys(["linear_num_key_heads", "linear_num_value_heads"], reason: "3 key heads do not divide 4 value heads")) {
            try spec(fromJSON: Self.qwenLike(#""full_attention_interval": 4"#).replacingOccurrences(of: #""linear_num_key_heads": 2"#, with: #""linear_num_key_heads": 3"#))
        }
        #expect(throws: ModelSpecError.invalidValue(key: "mamba_ssm_dtype", value: "'int8'", reason: "expected float32, bfloat16 or float16")) {
            try spec(fromJSON: Self.qwenLike(#""mamba_ssm_dtype": "int8""#))
        }
    }

    @Test func latentWiderThanHiddenIsRefused() throws {
        #expect(throws: ModelSpecError.contradictoryKeys(["routed_expert_hidden_size", "hidden_size"],
                                                         reason: "the latent width 65 exceeds the hidden size 64")) {
            try spec(fromJSON: Self.kimiLike(extra: #""routed_expert_hidden_size": 65"#))
        }
        // Nested under text_config (kimi_k3), the key carries its prefix.
        let k3 = #"{"model_type": "kimi_k3", "text_config": "# + Self.kimiLike(extra: #""routed_expert_hidden_size": 65"#) + "}"
        #expect(throws: ModelSpecError.contradictoryKeys(["text_config.routed_expert_hidden_size", "text_config.hidden_size"],
                                                         reason: "the latent width 65 exceeds the hidden size 64")) {
            try spec(fromJSON: k3)
        }
        #expect(throws: ModelSpecError.missingKey("text_config", modelType: "kimi_k3")) {
            try spec(fromJSON: #"{"model_type": "kimi_k3"}"#)
        }
        let ok = try spec(fromJSON: Self.kimiLike(extra: #""routed_expert_hidden_size": 32"#))
        #expect(ok.feedForward.moe?.expertParameters(hiddenSize: 64) == 3 * 32 * 32)
    }
}
