//===--- ModelSpec+MiniMaxConfigs.swift - MiniMax-M2 config.json ----------===//
//
// Keys: the `MiniMaxAI/MiniMax-M2` Hugging Face config.json and transformers `MiniMaxM2Config`
// (`models/minimax_m2/`); per-layer QK norm (`qk_norm_type: per_layer`) as in vLLM's
// `model_executor/models/minimax_m2.py`.
//
//===----------------------------------------------------------------------===//

extension ModelSpec {
    /// MiniMax-M2 (`minimax_m2`): GQA on every layer (`attn_type_list` entries 1), an MoE FFN on
    /// every layer with `num_local_experts` experts of width `intermediate_size`, top
    /// `num_experts_per_tok`, a sigmoid router with bias (`use_routing_bias`, default true as in
    /// the router's reading; the MoE counts the bias whenever the router selects with it), an optional shared
    /// expert of width `shared_intermediate_size` (0 in M2), and `num_mtp_modules` MTP modules
    /// when `use_mtp` (reported apart from the main model, as for DeepSeek).
    ///
    /// M2's QK norm spans all heads (`n_h·d_h + n_kv·d_h` weights); it is counted as
    /// ``GroupedQueryAttention/hasQKNorm``'s `2·d_h`, 7K parameters per layer short (10⁻⁵ of
    /// the total).
    ///
    /// - Throws: ``ModelSpecError`` naming `attn_type_list` when an entry is not 1 (MiniMax-01's
    ///   lightning attention, entry 0, is not modelled) or the list does not cover every layer.
    static func miniMaxM2Model(_ r: ConfigReader, quantization: ConfigReader?) throws(ModelSpecError) -> ModelSpec {
        let c = try Common(r)
        let (kvHeads, headDim) = try groupedHeads(r, c)
        if let types = try r.intArray("attn_type_list") {
            guard types.count == c.layers else {
                throw .contradictoryKeys([r.name("attn_type_list"), r.name("num_hidden_layers")],
                                         reason: "\(types.count) attention types for \(c.layers) layers")
            }
            if let i = types.firstIndex(where: { $0 != 1 }) {
                throw .invalidValue(key: r.name("attn_type_list") + "[\(i)]", value: "\(types[i])",
                                    reason: "only softmax attention (1) is modelled for minimax_m2")
            }
        }
        let attention = GroupedQueryAttention(
            hiddenSize: c.hidden, queryHeads: c.heads, kvHeads: kvHeads, headDim: headDim,
            layerKinds: Array(repeating: .full, count: c.layers),
            hasBias: try r.bool("attention_bias", default: false), hasQKNorm: try r.bool("use_qk_norm", default: false))
        let shared = try r.int("shared_intermediate_size", default: 0)
        let moe = MixtureOfExperts(router: try RouterConfiguration(reading: r, modelType: "minimax_m2"), sharedExperts: shared > 0 ? 1 : 0,
                                   expertIntermediateSize: try r.positiveInt("intermediate_size"),
                                   sharedIntermediateSize: shared > 0 ? shared : nil)
        var mtp = 0
        if try r.bool("use_mtp", default: false) {
            mtp = try r.int("num_mtp_modules", default: 0) * r.int("mtp_transformer_layers", default: 1, minimum: 1)
            guard mtp <= 64 else {
                throw .invalidValue(key: r.name("num_mtp_modules"), value: "\(mtp) MTP layers", reason: "must be at most 64")
            }
        }
        return try groupedSpec(c, attention: attention, mtpLayers: mtp, denseWidth: 0, moe: moe,
                               ffnKinds: Array(repeating: .moe, count: c.layers), quantization: quantization)
    }
}
