//===--- GLMMiniMaxLlama4ConfigTests.swift - glm4_moe, glm_moe_dsa, minimax_m2, llama4 ===//

import Foundation
import Testing
@testable import MoEKit

/// Loads `config` after `edit`.
private func load(_ config: [String: Any], _ edit: (inout [String: Any]) -> Void = { _ in }) throws -> ModelSpec {
    var c = config
    edit(&c)
    return try ModelSpec(configJSON: JSONSerialization.data(withJSONObject: c))
}

/// The key (or keys) an error names.
private func keys(_ error: ModelSpecError) -> [String] {
    switch error {
    case .missingKey(let key, _): return [key]
    case .wrongType(let key, _), .invalidValue(let key, _, _): return [key]
    case .contradictoryKeys(let keys, _): return keys
    case .inFile(_, let inner): return keys(inner)
    default: return []
    }
}

/// Expects loading `config` after `edit` to fail naming `key`.
private func expectRefused(_ config: [String: Any], naming key: String, _ edit: (inout [String: Any]) -> Void,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try load(config, edit)
        Issue.record("accepted a config that should name '\(key)'", sourceLocation: sourceLocation)
    } catch let error as ModelSpecError {
        #expect(keys(error).contains(key), "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("\(error)", sourceLocation: sourceLocation)
    }
}

@Suite("GLM, MiniMax and Llama 4 configs")
struct GLMMiniMaxLlama4ConfigTests {
    /// GLM-5.3: layers 0–2 and 6, 10, …, 74 run an indexer (21); the other 57 share one
    /// (the zai-org/GLM-5.3 config.json list). Layers 0–2 dense, 3–77 MoE.
    @Test func glm5Schedules() throws {
        let spec = try preset("glm-5")
        guard case .sparse(let dsa) = spec.attention else { Issue.record("not DSA"); return }
        let expected: [AttentionLayerKind] = (0..<78).map { $0 < 3 || ($0 - 2) % 4 == 0 ? .full : .sharedIndex }
        #expect(dsa.layerKinds == expected)
        #expect(spec.feedForward.layerKinds == (0..<78).map { $0 < 3 ? .dense : .moe })
        #expect(dsa.latent.kvLatentRank == 512 && dsa.latent.ropeHeadDim == 64 && dsa.latent.heads == 64)
        #expect(dsa.indexHeads == 32 && dsa.indexHeadDim == 128 && dsa.indexTopK == 2_048)
        #expect(spec.feedForward.moe?.routedExperts == 256 && spec.feedForward.moe?.sharedExperts == 1)
        #expect(spec.mtpLayerCount == 1)
        #expect(spec.maxContext == 1_048_576)
    }

    /// Without `indexer_types`, the freq/offset rule of `GlmMoeDsaConfig` gives the same list
    /// (freq 4, offset 3); with neither, every layer has an indexer (freq 1).
    @Test func glm5DerivedSchedule() throws {
        let base = try presetConfig("glm-5")
        let listed = try load(base)
        let derived = try load(base) { $0["indexer_types"] = nil }
        #expect(derived.attention == listed.attention)
        let pattern = try load(base) {
            $0["indexer_types"] = nil
            $0["index_topk_pattern"] = String((0..<78).map { $0 < 3 || ($0 - 2) % 4 == 0 ? Character("F") : Character("S") })
        }
        #expect(pattern.attention == listed.attention)
        let everyLayer = try load(base) {
            $0["indexer_types"] = nil
            $0["index_topk_freq"] = nil
            $0["index_skip_topk_offset"] = nil
        }
        #expect(everyLayer.attentionModel.layerKinds == Array(repeating: .full, count: 78))
    }

    /// GLM-4.6: 96 query and 8 KV heads of 128 with Q/K/V biases and QK norm; layers 0–2 dense
    /// (12,288), 89 MoE layers of 160 experts (top 8) plus one shared expert of 1,536; one MTP layer.
    @Test func glm46() throws {
        let spec = try preset("glm-4.6")
        guard case .grouped(let a) = spec.attention else { Issue.record("not GQA"); return }
        #expect(a.queryHeads == 96 && a.kvHeads == 8 && a.headDim == 128 && a.hasBias && a.hasQKNorm)
        #expect(a.layerKinds == Array(repeating: .full, count: 92))
        #expect(spec.feedForward.denseLayerCount == 3 && spec.feedForward.moeLayerCount == 89)
        #expect(spec.feedForward.denseIntermediateSize == 12_288)
        let moe = try #require(spec.feedForward.moe)
        #expect(moe.routedExperts == 160 && moe.activeExperts == 8 && moe.sharedExperts == 1)
        #expect(moe.expertIntermediateSize == 1_536 && moe.sharedIntermediateSize == 1_536)
        #expect(spec.mtpLayerCount == 1)
    }

    /// MiniMax-M2: full GQA on all 62 layers (48/8 heads of 128); 256 experts of 1,536, top 8,
    /// no shared expert, router bias; three MTP modules.
    @Test func miniMaxM2() throws {
        let spec = try preset("minimax-m2")
        guard case .grouped(let a) = spec.attention else { Issue.record("not GQA"); return }
        #expect(a.queryHeads == 48 && a.kvHeads == 8 && a.headDim == 128 && !a.hasBias)
        #expect(a.layerKinds == Array(repeating: .full, count: 62))
        #expect(spec.feedForward.moeLayerCount == 62)
        let moe = try #require(spec.feedForward.moe)
        #expect(moe.routedExperts == 256 && moe.activeExperts == 8 && moe.sharedExperts == 0)
        #expect(moe.expertIntermediateSize == 1_536 && moe.routerBias)
        #expect(spec.mtpLayerCount == 3)
        #expect(spec.serving.weights == WeightPrecision(.fp8))
    }

    /// `use_routing_bias` absent: the router selects with the correction bias (its default,
    /// transformers `MiniMaxM2SparseMoeBlock` always holds `e_score_correction_bias`), so the
    /// MoE counts the 256 bias values too. The MoE once read the key with the opposite default
    /// and such a config was refused as inconsistent. `false` drops both.
    @Test func miniMaxRoutingBiasDefault() throws {
        let m2 = try presetConfig("minimax-m2")
        let absent = try load(m2) { $0["use_routing_bias"] = nil }
        let moe = try #require(absent.feedForward.moe)
        #expect(moe.router.usesCorrectionBias && moe.routerBias)
        #expect(moe.routerParameters(hiddenSize: 3_072) == 256 * 3_072 + 256)
        let off = try #require(try load(m2) { $0["use_routing_bias"] = false }.feedForward.moe)
        #expect(!off.router.usesCorrectionBias && !off.routerBias)
        #expect(off.routerParameters(hiddenSize: 3_072) == 256 * 3_072)
    }

    /// Llama 4 Maverick: every fourth layer (3, 7, …, 47) full attention without RoPE, the
    /// other 36 chunked over 8,192 tokens; odd layers MoE (128 experts of 8,192, top 1, one shared
    /// expert of 8,192), even layers dense of 16,384.
    @Test func llama4Maverick() throws {
        let spec = try preset("llama-4-maverick")
        #expect(spec.attentionModel.layerKinds == (0..<48).map { $0 % 4 == 3 ? .full : .chunked(8_192) })
        #expect(spec.feedForward.layerKinds == (0..<48).map { $0 % 2 == 1 ? .moe : .dense })
        #expect(spec.feedForward.denseIntermediateSize == 16_384)
        let moe = try #require(spec.feedForward.moe)
        #expect(moe.routedExperts == 128 && moe.activeExperts == 1 && moe.sharedExperts == 1)
        #expect(moe.expertIntermediateSize == 8_192 && moe.sharedIntermediateSize == 8_192)
        #expect(spec.maxContext == 1_048_576)
        #expect(spec.modelType == "llama4")
    }

    /// Scout-style explicit lists give the same schedule; `layer_types` takes precedence; a null
    /// chunk size makes every layer full.
    @Test func llama4ExplicitLists() throws {
        let base = try presetConfig("llama-4-maverick")
        func text(_ edit: @escaping (inout [String: Any]) -> Void) -> (inout [String: Any]) -> Void {
            { c in var t = c["text_config"] as! [String: Any]; edit(&t); c["text_config"] = t }
        }
        let listed = try load(base, text {
            $0["no_rope_layers"] = (0..<48).map { $0 % 4 == 3 ? 0 : 1 }
            $0["moe_layers"] = Array(stride(from: 1, to: 48, by: 2))
        })
        let maverick = try preset("llama-4-maverick")
        #expect(listed.attention == maverick.attention && listed.feedForward == maverick.feedForward)
        let typed = try load(base, text { $0["layer_types"] = (0..<48).map { $0 % 2 == 0 ? "chunked_attention" : "full_attention" } })
        #expect(typed.attentionModel.layerKinds == (0..<48).map { $0 % 2 == 0 ? .chunked(8_192) : .full })
        let interval = try load(base, text { $0["nope_layer_interval"] = 2 })
        #expect(interval.attentionModel.layerKinds == (0..<48).map { $0 % 2 == 1 ? .full : .chunked(8_192) })
        let unchunked = try load(base, text { $0["attention_chunk_size"] = NSNull() })
        #expect(unchunked.attentionModel.layerKinds == Array(repeating: .full, count: 48))
    }

    @Test func glm5BadSchedules() throws {
        let base = try presetConfig("glm-5")
        expectRefused(base, naming: "indexer_types") { $0["indexer_types"] = Array(repeating: "full", count: 77) }
        expectRefused(base, naming: "indexer_types[3]") {
            var t = $0["indexer_types"] as! [String]; t[3] = "half"; $0["indexer_types"] = t
        }
        expectRefused(base, naming: "indexer_types[0]") {
            var t = $0["indexer_types"] as! [String]; t[0] = "shared"; $0["indexer_types"] = t
        }
        expectRefused(base, naming: "indexer_types") { $0["indexer_types"] = "full" }
        expectRefused(base, naming: "index_topk_pattern[2]") {
            $0["indexer_types"] = nil
            $0["index_topk_pattern"] = "FFX" + String(repeating: "S", count: 75)
        }
        expectRefused(base, naming: "mlp_layer_types[0]") {
            var t = $0["mlp_layer_types"] as! [String]; t[0] = "moe"; $0["mlp_layer_types"] = t
        }
        expectRefused(base, naming: "mlp_layer_types") { $0["mlp_layer_types"] = ["dense"] }
        expectRefused(base, naming: "index_topk_freq") { $0["indexer_types"] = nil; $0["index_topk_freq"] = 0 }
        for key in ["num_attention_heads", "kv_lora_rank", "qk_nope_head_dim", "v_head_dim", "index_n_heads", "index_head_dim", "index_topk"] {
            expectRefused(base, naming: key) { $0[key] = 0 }
        }
    }

    @Test func llama4BadInput() throws {
        let base = try presetConfig("llama-4-maverick")
        func text(_ key: String, _ value: Any) -> (inout [String: Any]) -> Void {
            { c in var t = c["text_config"] as! [String: Any]; t[key] = value; c["text_config"] = t }
        }
        expectRefused(base, naming: "text_config.attention_chunk_size", text("attention_chunk_size", 0))
        expectRefused(base, naming: "text_config.attention_chunk_size", text("attention_chunk_size", -8_192))
        expectRefused(base, naming: "text_config.no_rope_layers[1]", text("no_rope_layers", [1, 2] + Array(repeating: 1, count: 46)))
        expectRefused(base, naming: "text_config.no_rope_layers", text("no_rope_layers", [1, 0, 1]))
        expectRefused(base, naming: "text_config.layer_types[0]", text("layer_types", Array(repeating: "sliding_attention", count: 48)))
        expectRefused(base, naming: "text_config.moe_layers", text("moe_layers", [48]))
        expectRefused(base, naming: "text_config.interleave_moe_layer_step", text("interleave_moe_layer_step", 0))
        for key in ["num_attention_heads", "num_key_value_heads", "head_dim", "hidden_size", "intermediate_size", "intermediate_size_mlp"] {
            expectRefused(base, naming: "text_config.\(key)", text(key, 0))
        }
        expectRefused(base, naming: "text_config") { $0["text_config"] = nil }
        expectRefused(base, naming: "text_config.model_type", text("model_type", "llama"))
    }

    @Test func glm46AndMiniMaxBadInput() throws {
        let glm = try presetConfig("glm-4.6")
        for key in ["num_attention_heads", "num_key_value_heads", "head_dim", "moe_intermediate_size", "n_routed_experts"] {
            expectRefused(glm, naming: key) { $0[key] = 0 }
        }
        expectRefused(glm, naming: "first_k_dense_replace") { $0["first_k_dense_replace"] = 93 }
        let m2 = try presetConfig("minimax-m2")
        for key in ["num_attention_heads", "head_dim", "intermediate_size", "num_local_experts"] {
            expectRefused(m2, naming: key) { $0[key] = 0 }
        }
        expectRefused(m2, naming: "attn_type_list[5]") { $0["attn_type_list"] = (0..<62).map { $0 == 5 ? 0 : 1 } }
        expectRefused(m2, naming: "attn_type_list") { $0["attn_type_list"] = [1, 1] }
        expectRefused(m2, naming: "num_mtp_modules") { $0["num_mtp_modules"] = 1_000 }
    }
}
