//===--- ModelSpec+Llama4Configs.swift - Llama 4 config.json --------------===//
//
// Keys and defaults: the `meta-llama/Llama-4-Maverick-17B-128E-Instruct` Hugging Face
// config.json (text model under `text_config`) and transformers `Llama4TextConfig`
// (`models/llama4/configuration_llama4.py`); the chunked mask and the NoPE layers in
// `models/llama4/modeling_llama4.py`.
//
//===----------------------------------------------------------------------===//

extension ModelSpec {
    /// Llama 4 Scout / Maverick (`llama4`; the text model under `text_config`, `llama4_text`).
    ///
    /// - Attention: GQA. A layer with RoPE (`no_rope_layers[i]` = 1) attends in chunks of
    ///   `attention_chunk_size` tokens (``AttentionLayerKind/chunked(_:)``); a NoPE layer
    ///   (entry 0) attends fully. An empty or absent `no_rope_layers` means every
    ///   `no_rope_layer_interval`-th layer (older configs: `nope_layer_interval`; default 4) is
    ///   NoPE, as `Llama4TextConfig` derives it. `layer_types` (`"chunked_attention"` /
    ///   `"full_attention"`), where present, takes precedence. A null `attention_chunk_size`
    ///   makes every layer full.
    /// - FFN: the layers in `moe_layers`, else every `interleave_moe_layer_step`-th layer
    ///   (layers step − 1, 2·step − 1, …), are MoE: `num_local_experts` routed experts of width
    ///   `intermediate_size`, top `num_experts_per_tok` (1), plus one shared expert of the same
    ///   width (transformers `Llama4TextMoe`); the other layers are dense SwiGLU blocks of width
    ///   `intermediate_size_mlp`.
    ///
    /// - Throws: ``ModelSpecError`` naming `text_config.attention_chunk_size` when it is ≤ 0, and
    ///   `no_rope_layers`, `layer_types` or `moe_layers` when they do not match the layer count
    ///   or hold an unknown entry.
    static func llama4Model(_ top: ConfigReader, quantization: ConfigReader?) throws(ModelSpecError) -> ModelSpec {
        guard let r = try top.nested("text_config") else { throw .missingKey("text_config", modelType: top.modelType) }
        if let type = try r.string("model_type"), type != "llama4_text" {
            throw .invalidValue(key: r.name("model_type"), value: "'\(type)'", reason: "expected 'llama4_text'")
        }
        let c = try Common(r)
        let (kvHeads, headDim) = try groupedHeads(r, c)
        let chunk = try r.optionalInt("attention_chunk_size")
        if let chunk, chunk <= 0 {
            throw .invalidValue(key: r.name("attention_chunk_size"), value: "\(chunk)", reason: "must be positive or null")
        }
        let kinds = try llama4AttentionKinds(r, layers: c.layers, chunk: chunk)

        var ffnKinds = [FeedForwardSpec.LayerKind](repeating: .dense, count: c.layers)
        if let listed = try r.intArray("moe_layers") {
            for i in listed {
                guard (0..<c.layers).contains(i) else {
                    throw .contradictoryKeys([r.name("moe_layers"), r.name("num_hidden_layers")],
                                             reason: "layer \(i) is not in 0..<\(c.layers)")
                }
                ffnKinds[i] = .moe
            }
        } else {
            let step = try r.int("interleave_moe_layer_step", default: 1, minimum: 1)
            for i in stride(from: step - 1, to: c.layers, by: step) { ffnKinds[i] = .moe }
        }
        var moe: MixtureOfExperts?
        if ffnKinds.contains(.moe) {
            moe = MixtureOfExperts(router: try RouterConfiguration(reading: r, modelType: "llama4"), sharedExperts: 1,
                                   expertIntermediateSize: try r.positiveInt("intermediate_size"))
        }
        let dense = ffnKinds.contains(.dense) ? try r.positiveInt("intermediate_size_mlp") : 0
        let attention = GroupedQueryAttention(hiddenSize: c.hidden, queryHeads: c.heads, kvHeads: kvHeads,
                                              headDim: headDim, layerKinds: kinds,
                                              hasBias: try r.bool("attention_bias", default: false))
        return try groupedSpec(c, attention: attention, mtpLayers: 0, denseWidth: dense, moe: moe, ffnKinds: ffnKinds,
                               quantization: quantization)
    }

    /// `.chunked(C)` for RoPE layers and `.full` for NoPE layers (see ``llama4Model(_:quantization:)``).
    static func llama4AttentionKinds(_ r: ConfigReader, layers: Int, chunk: Int?) throws(ModelSpecError) -> [AttentionLayerKind] {
        let local: AttentionLayerKind = chunk.map { .chunked($0) } ?? .full
        if let kinds = try r.perLayerNames("layer_types", count: layers, countKey: "num_hidden_layers", what: "layer types",
                                           values: [("chunked_attention", local), ("full_attention", .full)]) {
            return kinds
        }
        if let flags = try r.intArray("no_rope_layers"), !flags.isEmpty {
            guard flags.count == layers else {
                throw .contradictoryKeys([r.name("no_rope_layers"), r.name("num_hidden_layers")],
                                         reason: "\(flags.count) entries for \(layers) layers")
            }
            var kinds: [AttentionLayerKind] = []
            for (i, f) in flags.enumerated() {
                switch f {
                case 1: kinds.append(local)
                case 0: kinds.append(.full)
                default:
                    throw .invalidValue(key: r.name("no_rope_layers") + "[\(i)]", value: "\(f)",
                                        reason: "expected 1 (RoPE, chunked) or 0 (NoPE, full)")
                }
            }
            return kinds
        }
        let intervalKey = r.has("no_rope_layer_interval") || !r.has("nope_layer_interval") ? "no_rope_layer_interval" : "nope_layer_interval"
        let interval = try r.int(intervalKey, default: 4, minimum: 1)
        return (0..<layers).map { ($0 + 1) % interval == 0 ? .full : local }
    }
}
