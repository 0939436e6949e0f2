//===--- ModelSpec+LinearHybridConfigs.swift - Qwen3-Next, Qwen3.5, Kimi Linear, K3 ===//
//
// Linear-attention hybrids from their config.json. Keys: Qwen/Qwen3-Next-80B-A3B-Instruct and
// Qwen/Qwen3.5-397B-A17B config.json, transformers `Qwen3NextConfig` (`layer_types` from
// `full_attention_interval`: layer i is full iff (i + 1) % interval == 0) and `Qwen3NextSparseMoeBlock`;
// moonshotai/Kimi-Linear-48B-A3B-Instruct config.json and its `configuration_kimi.py`
// (`linear_attn_config.kda_layers` / `full_attn_layers`, one-based); Kimi K3's config.json
// (a `kimi_linear` text model under `text_config`; third-party copies only, see the preset).
//
//===----------------------------------------------------------------------===//

extension ModelSpec {
    /// The text model of a config: `text_config` for the multimodal wrappers (`qwen3_5_moe`,
    /// `kimi_k3`), the root otherwise.
    static func textReader(_ r: ConfigReader, family: String) throws(ModelSpecError) -> ConfigReader {
        guard family == "qwen3_5_moe" || family == "kimi_k3" else { return r }
        guard let text = try r.nested("text_config") else { throw .missingKey("text_config", modelType: family) }
        return text
    }

    /// `qwen3_next`, `qwen3_5_moe`, `kimi_linear` and `kimi_k3` models.
    static func linearHybridModel(_ root: ConfigReader, family: String, quantization: ConfigReader?) throws(ModelSpecError) -> ModelSpec {
        let r = try textReader(root, family: family)
        var q = quantization
        if q == nil { q = try r.nested("quantization_config") }
        let qwen = family.hasPrefix("qwen")
        var spec = qwen ? try qwenNextModel(r, family: family) : try kimiLinearModel(r, family: family)
        // The state dtype as sglang reads it: `mamba_ssm_dtype` in the text config, else at the root.
        let key = "mamba_ssm_dtype"
        let stateReader = r.has(key) || !root.has(key) ? r : root
        let state = try stateFormat(stateReader, key: key)
        spec.serving = ServingDefaults(
            weights: try weightPrecision(q, expertDType: nil),
            kvStorage: try kvStorage(q, default: KVStorage(state: state)),
            source: "weights from quantization_config; BF16 KV unless kv_cache_scheme says 8 bits; recurrent state "
                + (stateReader.has(key) ? "\(state) from \(stateReader.name(key))" : "fp32 (no \(key); fla's kernels and sglang keep it in fp32)"))
        return spec
    }

    // MARK: - Qwen3-Next, Qwen3.5

    /// Gated DeltaNet + gated GQA, MoE with one gated shared expert
    /// (`shared_expert_intermediate_size`; its `h → 1` gate is not counted).
    static func qwenNextModel(_ r: ConfigReader, family: String) throws(ModelSpecError) -> ModelSpec {
        let c = try Common(r)
        let kvHeads = try r.int("num_key_value_heads", default: c.heads, minimum: 1)
        guard c.heads % kvHeads == 0 else {
            throw .contradictoryKeys([r.name("num_attention_heads"), r.name("num_key_value_heads")],
                                     reason: "\(kvHeads) KV heads do not divide \(c.heads) query heads")
        }
        let headDim = try r.positiveInt("head_dim")
        let keyHeads = try r.positiveInt("linear_num_key_heads"), valueHeads = try r.positiveInt("linear_num_value_heads")
        guard valueHeads % keyHeads == 0 else {
            throw .contradictoryKeys([r.name("linear_num_key_heads"), r.name("linear_num_value_heads")],
                                     reason: "\(keyHeads) key heads do not divide \(valueHeads) value heads")
        }
        let linear = GatedDeltaNet(hiddenSize: c.hidden, keyHeads: keyHeads, valueHeads: valueHeads,
                                   keyHeadDim: try r.positiveInt("linear_key_head_dim"),
                                   valueHeadDim: try r.positiveInt("linear_value_head_dim"),
                                   convolutionKernel: try r.positiveInt("linear_conv_kernel_dim"), layers: 0)
        let kinds = try qwenSchedule(r, layers: c.layers)
        let hybrid = LinearHybridAttention(
            hiddenSize: c.hidden, linear: .gatedDeltaNet(linear),
            full: .grouped(GroupedQueryAttention(hiddenSize: c.hidden, queryHeads: c.heads, kvHeads: kvHeads, headDim: headDim,
                                                 layerKinds: [], hasBias: try r.bool("attention_bias", default: false), hasQKNorm: true)),
            fullOutputGate: try r.bool("attn_output_gate", default: true), layerKinds: kinds)

        // Layer i is MoE iff i ∉ mlp_only_layers and (i + 1) % decoder_sparse_step == 0
        // (transformers `Qwen3NextDecoderLayer`).
        let router = try RouterConfiguration(reading: r, modelType: family)
        let step = try r.int("decoder_sparse_step", default: 1, minimum: 1)
        let mlpOnly = try r.intArray("mlp_only_layers") ?? []
        for i in mlpOnly where !(0..<c.layers).contains(i) {
            throw .contradictoryKeys([r.name("mlp_only_layers"), r.name("num_hidden_layers")], reason: "layer \(i) is not in 0..<\(c.layers)")
        }
        var ffnKinds = [FeedForwardSpec.LayerKind](repeating: .moe, count: c.layers)
        // O(L + |list|) however long the (already range-checked) list is.
        for i in mlpOnly { ffnKinds[i] = .dense }
        for i in 0..<c.layers where (i + 1) % step != 0 { ffnKinds[i] = .dense }
        let sharedWidth = try r.int("shared_expert_intermediate_size", default: 0)
        let moe = MixtureOfExperts(router: router, sharedExperts: sharedWidth > 0 ? 1 : 0,
                                   expertIntermediateSize: try r.positiveInt("moe_intermediate_size"),
                                   sharedIntermediateSize: sharedWidth > 0 ? sharedWidth : nil)
        let dense = ffnKinds.contains(.dense) ? try r.positiveInt("intermediate_size") : try r.int("intermediate_size", default: 0)
        return try ModelSpec(
            name: "", modelType: "", hiddenSize: c.hidden, layerCount: c.layers, vocabularySize: c.vocab,
            tiesWordEmbeddings: c.tied, mtpLayerCount: try r.int("mtp_num_hidden_layers", default: 0),
            maxContext: c.maxContext, attention: .linearHybrid(hybrid),
            feedForward: FeedForwardSpec(hiddenSize: c.hidden, denseIntermediateSize: dense, moe: moe, layerKinds: ffnKinds),
            serving: ServingDefaults(weights: WeightPrecision(.bf16), kvStorage: KVStorage(), source: ""))
    }

    /// The schedule from `layer_types` (`linear_attention` / `full_attention`), else from
    /// `full_attention_interval` (default 4, as transformers `Qwen3NextConfig`).
    static func qwenSchedule(_ r: ConfigReader, layers: Int) throws(ModelSpecError) -> [AttentionLayerKind] {
        if let kinds = try r.perLayerNames("layer_types", count: layers, countKey: "num_hidden_layers", what: "layer types",
                                           values: [("linear_attention", AttentionLayerKind.linear), ("full_attention", .full)]) {
            return kinds
        }
        let interval = try r.int("full_attention_interval", default: 4, minimum: 1)
        return (0..<layers).map { ($0 + 1) % interval == 0 ? .full : .linear }
    }

    /// The recurrent-state format named by `key` (fp32 when absent).
    static func stateFormat(_ r: ConfigReader, key: String) throws(ModelSpecError) -> RecurrentStateFormat {
        guard let text = try r.string(key) else { return .fp32 }
        guard let format = RecurrentStateFormat(configDType: text) else {
            throw .invalidValue(key: r.name(key), value: "'\(text)'", reason: "expected float32, bfloat16 or float16")
        }
        return format
    }

    // MARK: - Kimi Linear, Kimi K3

    /// KDA + MLA (gated with `mla_use_output_gate`), DeepSeek-style MoE with shared experts and,
    /// with `routed_expert_hidden_size`, a latent MoE.
    static func kimiLinearModel(_ r: ConfigReader, family: String) throws(ModelSpecError) -> ModelSpec {
        let hidden = try r.positiveInt("hidden_size"), layers = try r.positiveInt("num_hidden_layers")
        let heads = try r.positiveInt("num_attention_heads")
        // Kimi Linear's config.json has `model_max_length` and no `max_position_embeddings`.
        let maxContext = r.has("max_position_embeddings") ? try r.positiveInt("max_position_embeddings") : try r.positiveInt("model_max_length")
        guard let la = try r.nested("linear_attn_config") else { throw .missingKey(r.name("linear_attn_config"), modelType: r.modelType) }
        let kda = KimiDeltaAttention(hiddenSize: hidden, heads: try la.positiveInt("num_heads"), headDim: try la.positiveInt("head_dim"),
                                     convolutionKernel: try la.positiveInt("short_conv_kernel_size"),
                                     fullRankOutputGate: try la.bool("use_full_rank_gate", default: false), layers: 0)
        let kinds = try kimiSchedule(la, layers: layers, layersKey: r.name("num_hidden_layers"))
        let queryRank = try r.optionalInt("q_lora_rank")
        if let q = queryRank, q <= 0 {
            throw .invalidValue(key: r.name("q_lora_rank"), value: "\(q)", reason: "must be positive or null")
        }
        let mla = MultiHeadLatentAttention(hiddenSize: hidden, heads: heads, queryLatentRank: queryRank,
                                           kvLatentRank: try r.positiveInt("kv_lora_rank"),
                                           nopeHeadDim: try r.positiveInt("qk_nope_head_dim"),
                                           ropeHeadDim: try r.int("qk_rope_head_dim", default: 0),
                                           valueHeadDim: try r.positiveInt("v_head_dim"), layers: 0)
        let hybrid = LinearHybridAttention(hiddenSize: hidden, linear: .kimiDelta(kda), full: .latent(mla),
                                           fullOutputGate: try r.bool("mla_use_output_gate", default: false),
                                           layerKinds: kinds)

        // Layer i is MoE iff i >= first_k_dense_replace and i % moe_layer_freq == 0 (Kimi
        // Linear `modeling_kimi.py`, as DeepSeek-V3).
        var ffnKinds = [FeedForwardSpec.LayerKind](repeating: .dense, count: layers)
        var moe: MixtureOfExperts?
        if r.has("num_experts") {
            let router = try RouterConfiguration(reading: r, modelType: family)
            let firstDense = try r.int("first_k_dense_replace", default: 0)
            guard firstDense <= layers else {
                throw .contradictoryKeys([r.name("first_k_dense_replace"), r.name("num_hidden_layers")],
                                         reason: "\(firstDense) dense layers but only \(layers) layers")
            }
            let freq = try r.int("moe_layer_freq", default: 1, minimum: 1)
            for i in 0..<layers where i >= firstDense && i % freq == 0 { ffnKinds[i] = .moe }
            var latent: Int?
            if r.has("routed_expert_hidden_size") {
                let l = try r.positiveInt("routed_expert_hidden_size")
                guard l <= hidden else {
                    throw .contradictoryKeys([r.name("routed_expert_hidden_size"), r.name("hidden_size")],
                                             reason: "the latent width \(l) exceeds the hidden size \(hidden)")
                }
                latent = l
            }
            let shared = try r.int("num_shared_experts", default: 0)
            moe = MixtureOfExperts(router: router, sharedExperts: shared,
                                   expertIntermediateSize: try r.positiveInt("moe_intermediate_size"),
                                   latentSize: latent)
        }
        let dense = ffnKinds.contains(.dense) ? try r.positiveInt("intermediate_size") : try r.int("intermediate_size", default: 0)
        return try ModelSpec(
            name: "", modelType: "", hiddenSize: hidden, layerCount: layers, vocabularySize: try r.positiveInt("vocab_size"),
            tiesWordEmbeddings: try r.bool("tie_word_embeddings", default: false),
            mtpLayerCount: try r.int("num_nextn_predict_layers", default: 0), maxContext: maxContext,
            attention: .linearHybrid(hybrid),
            feedForward: FeedForwardSpec(hiddenSize: hidden, denseIntermediateSize: dense, moe: moe, layerKinds: ffnKinds),
            serving: ServingDefaults(weights: WeightPrecision(.bf16), kvStorage: KVStorage(), source: ""))
    }

    /// The schedule from `kda_layers` and `full_attn_layers` (one-based): every layer in exactly
    /// one list. Without `full_attn_layers` the layers not in `kda_layers` are full.
    static func kimiSchedule(_ la: ConfigReader, layers: Int, layersKey: String) throws(ModelSpecError) -> [AttentionLayerKind] {
        guard let kdaList = try la.intArray("kda_layers") else { throw .missingKey(la.name("kda_layers"), modelType: la.modelType) }
        var kinds = [AttentionLayerKind?](repeating: nil, count: layers)
        func place(_ list: [Int], key: String, as kind: AttentionLayerKind) throws(ModelSpecError) {
            for (i, layer) in list.enumerated() {
                guard (1...layers).contains(layer) else {
                    throw .invalidValue(key: la.name(key) + "[\(i)]", value: "\(layer)",
                                        reason: "layers are numbered 1...\(layers) (one-based)")
                }
                if let existing = kinds[layer - 1] {
                    if existing == kind {
                        throw .invalidValue(key: la.name(key) + "[\(i)]", value: "\(layer)", reason: "layer \(layer) is listed twice")
                    }
                    throw .contradictoryKeys([la.name("kda_layers"), la.name("full_attn_layers")],
                                             reason: "layer \(layer) is in both lists")
                }
                kinds[layer - 1] = kind
            }
        }
        try place(kdaList, key: "kda_layers", as: .linear)
        if let fullList = try la.intArray("full_attn_layers") {
            try place(fullList, key: "full_attn_layers", as: .full)
            if let missing = kinds.firstIndex(where: { $0 == nil }) {
                throw .contradictoryKeys([la.name("kda_layers"), la.name("full_attn_layers"), layersKey],
                                         reason: "layer \(missing + 1) of \(layers) is in neither list")
            }
        }
        return kinds.map { $0 ?? .full }
    }
}
