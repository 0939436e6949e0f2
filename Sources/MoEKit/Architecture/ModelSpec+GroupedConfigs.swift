//===--- ModelSpec+GroupedConfigs.swift - Qwen3-MoE, Mixtral, gpt-oss, Llama ===//
//
// GQA model configs: Qwen3-MoE (Qwen/Qwen3-235B-A22B config.json, transformers `qwen3_moe`),
// Mixtral (mistralai/Mixtral-8x7B-v0.1 config.json, transformers `MixtralConfig`), gpt-oss
// (openai/gpt-oss-120b config.json, `openai/gpt-oss:gpt_oss/torch/model.py`); Llama 3.1 as a
// dense reference.
//
//===----------------------------------------------------------------------===//

extension ModelSpec {
    /// GQA models. `family` is the `model_type`.
    static func groupedModel(_ r: ConfigReader, family: String, quantization: ConfigReader?) throws(ModelSpecError) -> ModelSpec {
        let c = try Common(r)
        let kvHeads = try r.int("num_key_value_heads", default: c.heads, minimum: 1)
        guard c.heads % kvHeads == 0 else {
            throw .contradictoryKeys([r.name("num_attention_heads"), r.name("num_key_value_heads")],
                                     reason: "\(kvHeads) KV heads do not divide \(c.heads) query heads")
        }
        guard c.hidden % c.heads == 0 || r.has("head_dim") else { throw .missingKey(r.name("head_dim"), modelType: r.modelType) }
        let headDim = try r.int("head_dim", default: c.hidden / c.heads, minimum: 1)

        var attentionKinds = [AttentionLayerKind](repeating: .full, count: c.layers)
        var ffnKinds = [FeedForwardSpec.LayerKind](repeating: .moe, count: c.layers)
        var moe: MixtureOfExperts?
        var bias = try r.bool("attention_bias", default: false)
        var sinks = false

        switch family {
        case "qwen3_moe":
            // Sliding window only with use_sliding_window; layers from max_window_layers on slide
            // (transformers Qwen3-MoE). Layer i is MoE iff i ∉ mlp_only_layers and
            // (i + 1) % decoder_sparse_step == 0 (transformers `Qwen3MoeDecoderLayer`).
            if try r.bool("use_sliding_window", default: false) {
                let w = try r.positiveInt("sliding_window")
                let full = try r.int("max_window_layers", default: c.layers)
                for i in 0..<c.layers where i >= full { attentionKinds[i] = .slidingWindow(w) }
            }
            let router = try RouterConfiguration(reading: r, modelType: family)
            let step = try r.int("decoder_sparse_step", default: 1, minimum: 1)
            let mlpOnly = try r.intArray("mlp_only_layers") ?? []
            for i in mlpOnly {
                guard (0..<c.layers).contains(i) else {
                    throw .contradictoryKeys([r.name("mlp_only_layers"), r.name("num_hidden_layers")],
                                             reason: "layer \(i) is not in 0..<\(c.layers)")
                }
            }
            for i in 0..<c.layers where mlpOnly.contains(i) || (i + 1) % step != 0 { ffnKinds[i] = .dense }
            moe = MixtureOfExperts(router: router, sharedExperts: 0,
                                   expertIntermediateSize: try r.positiveInt("moe_intermediate_size"))
        case "mixtral":
            if let w = try r.optionalInt("sliding_window") {
                guard w > 0 else { throw .invalidValue(key: r.name("sliding_window"), value: "\(w)", reason: "must be positive or null") }
                attentionKinds = Array(repeating: .slidingWindow(w), count: c.layers)
            }
            moe = MixtureOfExperts(router: try RouterConfiguration(reading: r, modelType: family), sharedExperts: 0,
                                   expertIntermediateSize: try r.positiveInt("intermediate_size"))
        case "gpt_oss":
            // Even layers slide over 128 tokens, odd layers attend fully, unless `layer_types`
            // says otherwise; every head has a sink; biases on attention, experts and router
            // (`openai/gpt-oss:gpt_oss/torch/model.py`; transformers `gpt_oss` configuration).
            let w = try r.positiveInt("sliding_window")
            if let types = try r.stringArray("layer_types") {
                guard types.count == c.layers else {
                    throw .contradictoryKeys([r.name("layer_types"), r.name("num_hidden_layers")],
                                             reason: "\(types.count) layer types for \(c.layers) layers")
                }
                for (i, t) in types.enumerated() {
                    switch t {
                    case "sliding_attention": attentionKinds[i] = .slidingWindow(w)
                    case "full_attention": attentionKinds[i] = .full
                    default:
                        throw .invalidValue(key: r.name("layer_types") + "[\(i)]", value: "'\(t)'",
                                            reason: "expected 'sliding_attention' or 'full_attention'")
                    }
                }
            } else {
                for i in stride(from: 0, to: c.layers, by: 2) { attentionKinds[i] = .slidingWindow(w) }
            }
            moe = MixtureOfExperts(router: try RouterConfiguration(reading: r, modelType: family), sharedExperts: 0,
                                   expertIntermediateSize: try r.positiveInt("intermediate_size"),
                                   expertBias: true, routerBias: true)
            bias = try r.bool("attention_bias", default: true)
            sinks = true
        default: // llama
            ffnKinds = Array(repeating: .dense, count: c.layers)
        }
        let dense = ffnKinds.contains(.dense) ? try r.positiveInt("intermediate_size") : 0
        let attention = GroupedQueryAttention(hiddenSize: c.hidden, queryHeads: c.heads, kvHeads: kvHeads,
                                              headDim: headDim, layerKinds: attentionKinds, hasBias: bias,
                                              hasSinks: sinks, hasQKNorm: family == "qwen3_moe")
        return try groupedSpec(c, attention: attention, mtpLayers: 0, denseWidth: dense, moe: moe, ffnKinds: ffnKinds,
                               quantization: quantization)
    }

    /// A GQA model from its config's common keys and parts, its weight and KV formats derived
    /// from `quantization_config` (the GQA families: Qwen3, Mixtral, gpt-oss, GLM-4.x,
    /// MiniMax-M2, Llama 4).
    static func groupedSpec(_ c: Common, attention: GroupedQueryAttention, mtpLayers: Int, denseWidth: Int,
                            moe: MixtureOfExperts?, ffnKinds: [FeedForwardSpec.LayerKind],
                            quantization: ConfigReader?) throws(ModelSpecError) -> ModelSpec {
        try ModelSpec(
            name: "", modelType: "", hiddenSize: c.hidden, layerCount: c.layers, vocabularySize: c.vocab,
            tiesWordEmbeddings: c.tied, mtpLayerCount: mtpLayers, maxContext: c.maxContext,
            attention: .grouped(attention),
            feedForward: FeedForwardSpec(hiddenSize: c.hidden, denseIntermediateSize: denseWidth, moe: moe, layerKinds: ffnKinds),
            serving: ServingDefaults(weights: try weightPrecision(quantization, expertDType: nil),
                                     kvStorage: try kvStorage(quantization, default: KVStorage()),
                                     source: "derived from quantization_config"))
    }
}
