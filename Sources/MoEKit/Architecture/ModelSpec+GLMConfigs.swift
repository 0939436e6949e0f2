//===--- ModelSpec+GLMConfigs.swift - GLM-4.5/4.6 and GLM-5.x config.json ===//
//
// Keys and defaults: the `zai-org/GLM-4.6` and `zai-org/GLM-5` Hugging Face config.json files and
// the transformers configuration classes `Glm4MoeConfig` (`models/glm4_moe/`) and
// `GlmMoeDsaConfig` (`models/glm_moe_dsa/configuration_glm_moe_dsa.py`).
//
//===----------------------------------------------------------------------===//

extension ModelSpec {
    /// The model types loaded by ``glmMiniMaxLlama4Model(_:family:quantization:)``.
    static let glmMiniMaxLlama4ModelTypes = ["glm4_moe", "glm_moe_dsa", "minimax_m2", "llama4"]

    /// GLM-4.x, GLM-5.x, MiniMax-M2 and Llama 4 models; `family` is the `model_type`.
    static func glmMiniMaxLlama4Model(_ r: ConfigReader, family: String, quantization: ConfigReader?) throws(ModelSpecError) -> ModelSpec {
        switch family {
        case "glm4_moe": return try glm4MoeModel(r, quantization: quantization)
        case "glm_moe_dsa": return try glmSparseModel(r, quantization: quantization)
        case "minimax_m2": return try miniMaxM2Model(r, quantization: quantization)
        default: return try llama4Model(r, quantization: quantization)
        }
    }

    /// KV heads and head dimension of a GQA config: `num_key_value_heads` (dividing the query
    /// heads) and `head_dim` (default `hidden_size / num_attention_heads` when that divides).
    static func groupedHeads(_ r: ConfigReader, _ c: Common) throws(ModelSpecError) -> (kvHeads: Int, headDim: Int) {
        let kvHeads = try r.int("num_key_value_heads", default: c.heads, minimum: 1)
        guard c.heads % kvHeads == 0 else {
            throw .contradictoryKeys([r.name("num_attention_heads"), r.name("num_key_value_heads")],
                                     reason: "\(kvHeads) KV heads do not divide \(c.heads) query heads")
        }
        guard c.hidden % c.heads == 0 || r.has("head_dim") else { throw .missingKey(r.name("head_dim"), modelType: r.modelType) }
        return (kvHeads, try r.int("head_dim", default: c.hidden / c.heads, minimum: 1))
    }

    /// Dense for the first `firstDense` layers, MoE after (DeepSeek-style `first_k_dense_replace`).
    static func leadingDenseLayers(_ r: ConfigReader, layers: Int, default defaultValue: Int) throws(ModelSpecError) -> [FeedForwardSpec.LayerKind] {
        let firstDense = try r.int("first_k_dense_replace", default: defaultValue)
        guard firstDense <= layers else {
            throw .contradictoryKeys([r.name("first_k_dense_replace"), r.name("num_hidden_layers")],
                                     reason: "\(firstDense) dense layers but only \(layers) layers")
        }
        return (0..<layers).map { $0 < firstDense ? .dense : .moe }
    }

    // MARK: - GLM-4.5 / GLM-4.6

    /// GLM-4.5/4.6 (`glm4_moe`): GQA with biased Q/K/V projections (`attention_bias`), optional
    /// per-head QK norm (`use_qk_norm`), DeepSeek-V3-style MoE (`n_routed_experts`,
    /// `n_shared_experts` of width `moe_intermediate_size`, the first `first_k_dense_replace`
    /// layers dense, default 1) with a sigmoid router and score-correction bias, and
    /// `num_nextn_predict_layers` MTP layers. Partial RoPE (`partial_rotary_factor`) has no cost
    /// here. The output projection has no bias (transformers `Glm4MoeAttention`); the `h` bias
    /// parameters counted per layer by ``GroupedQueryAttention/hasBias`` are under 10⁻⁵ of the
    /// total.
    static func glm4MoeModel(_ r: ConfigReader, quantization: ConfigReader?) throws(ModelSpecError) -> ModelSpec {
        let c = try Common(r)
        let (kvHeads, headDim) = try groupedHeads(r, c)
        let attention = GroupedQueryAttention(
            hiddenSize: c.hidden, queryHeads: c.heads, kvHeads: kvHeads, headDim: headDim,
            layerKinds: Array(repeating: .full, count: c.layers),
            hasBias: try r.bool("attention_bias", default: false), hasQKNorm: try r.bool("use_qk_norm", default: false))
        let kinds = try leadingDenseLayers(r, layers: c.layers, default: 1)
        let moe = MixtureOfExperts(router: try RouterConfiguration(reading: r, modelType: "glm4_moe"),
                                   sharedExperts: try r.int("n_shared_experts", default: 1),
                                   expertIntermediateSize: try r.positiveInt("moe_intermediate_size"))
        let dense = kinds.contains(.dense) ? try r.positiveInt("intermediate_size") : 0
        return try groupedSpec(c, attention: attention, mtpLayers: try r.int("num_nextn_predict_layers", default: 0),
                               denseWidth: dense, moe: moe, ffnKinds: kinds, quantization: quantization)
    }

    // MARK: - GLM-5.x

    /// GLM-5.x (`glm_moe_dsa`): DeepSeek-V3.2's MLA + DSA (same keys: `q_lora_rank`,
    /// `kv_lora_rank`, `qk_nope_head_dim`, `qk_rope_head_dim`, `v_head_dim`, `index_n_heads`,
    /// `index_head_dim`, `index_topk`), with a per-layer indexer schedule and FFN schedule:
    /// - `indexer_types`: one `"full"` (own indexer) or `"shared"` (reuses the previous full
    ///   layer's top-k) per layer; without it, `index_topk_pattern` (`"FSSS…"`), else the
    ///   `index_topk_freq` / `index_skip_topk_offset` rule of `GlmMoeDsaConfig`: layer i is full
    ///   iff `max(i − offset + 1, 0) mod freq = 0` (defaults 1 and 2: every layer full).
    /// - `mlp_layer_types`: `"dense"` or `"sparse"` per layer; without it the first
    ///   `first_k_dense_replace` (default 3) layers are dense.
    ///
    /// - Throws: ``ModelSpecError`` naming `indexer_types` when it does not have one entry per
    ///   layer, has an entry other than `"full"` / `"shared"`, or starts with `"shared"` (no
    ///   earlier top-k to reuse); likewise for `mlp_layer_types`.
    static func glmSparseModel(_ r: ConfigReader, quantization: ConfigReader?) throws(ModelSpecError) -> ModelSpec {
        var spec = try latentModel(r, family: "glm_moe_dsa", quantization: quantization)
        let layers = spec.layerCount
        let indexerKinds = try indexerSchedule(r, layers: layers)
        if case .sparse(var dsa) = spec.attention {
            dsa.layerKinds = indexerKinds
            spec.attention = .sparse(dsa)
        }
        let listed = try r.perLayerNames("mlp_layer_types", count: layers, countKey: "num_hidden_layers", what: "MLP layer types",
                                         values: [("dense", FeedForwardSpec.LayerKind.dense), ("sparse", .moe)])
        let ffnKinds = if let listed { listed } else { try leadingDenseLayers(r, layers: layers, default: 3) }
        if ffnKinds.contains(.moe) && spec.feedForward.moe == nil {
            throw .missingKey(r.name("n_routed_experts"), modelType: r.modelType)
        }
        let dense = ffnKinds.contains(.dense) ? try r.positiveInt("intermediate_size") : try r.int("intermediate_size", default: 0)
        spec.feedForward = FeedForwardSpec(hiddenSize: spec.hiddenSize, denseIntermediateSize: dense,
                                           moe: spec.feedForward.moe, layerKinds: ffnKinds)
        return spec
    }

    /// The indexer kind of each layer: `.full` or `.sharedIndex` (see ``glmSparseModel(_:quantization:)``).
    static func indexerSchedule(_ r: ConfigReader, layers: Int) throws(ModelSpecError) -> [AttentionLayerKind] {
        let key: String
        var types: [String]
        if let listed = try r.stringArray("indexer_types") {
            key = "indexer_types"
            types = listed
        } else if case .string(let pattern)? = r.value("index_topk_pattern") {
            key = "index_topk_pattern"
            types = pattern.map { $0 == "F" ? "full" : ($0 == "S" ? "shared" : String($0)) }
        } else if let listed = try r.stringArray("index_topk_pattern") {
            key = "index_topk_pattern"
            types = listed
        } else {
            let freq = try r.int("index_topk_freq", default: 1, minimum: 1)
            let offset = try r.int("index_skip_topk_offset", default: 2)
            return (0..<layers).map { Swift.max($0 - offset + 1, 0) % freq == 0 ? .full : .sharedIndex }
        }
        guard types.count == layers else {
            throw .contradictoryKeys([r.name(key), r.name("num_hidden_layers")],
                                     reason: "\(types.count) indexer types for \(layers) layers")
        }
        var kinds: [AttentionLayerKind] = []
        kinds.reserveCapacity(layers)
        var sawFull = false
        for (i, t) in types.enumerated() {
            switch t {
            case "full":
                kinds.append(.full)
                sawFull = true
            case "shared":
                guard sawFull else {
                    throw .invalidValue(key: r.name(key) + "[\(i)]", value: "'shared'",
                                        reason: "a shared layer reuses the top-k of an earlier 'full' layer, and there is none")
                }
                kinds.append(.sharedIndex)
            default:
                throw .invalidValue(key: r.name(key) + "[\(i)]", value: "'\(t)'", reason: "expected 'full' or 'shared'")
            }
        }
        return kinds
    }
}
