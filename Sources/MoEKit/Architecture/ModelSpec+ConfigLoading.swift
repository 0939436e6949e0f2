//===--- ModelSpec+ConfigLoading.swift - Hugging Face config.json → ModelSpec ===//
//
// Keys per model type: the models' published Hugging Face config.json files and the
// transformers configuration class of each family. Missing or contradictory keys throw
// ModelSpecError naming the key; unknown keys are ignored.
//
//===----------------------------------------------------------------------===//

import Foundation

extension ModelSpec {
    /// Loads a model from the contents of a Hugging Face `config.json`.
    ///
    /// Supported `model_type`s: `deepseek_v2`, `deepseek_v3`, `kimi_k2`, `deepseek_v32`,
    /// `deepseek_v4`, `qwen3_moe`, `mixtral`, `gpt_oss`, `llama`, `glm4_moe`, `glm_moe_dsa`,
    /// `minimax_m2`, `kimi_k25` and `llama4` (whose text model sits under `text_config`), and the
    /// linear-attention hybrids `qwen3_next`, `qwen3_5_moe`, `kimi_linear` and `kimi_k3` (the
    /// last two wrappers nest under `text_config`).
    ///
    /// - Parameters:
    ///   - configJSON: The file's bytes.
    ///   - name: The name to give the model (default: the `model_type`).
    /// - Throws: ``ModelSpecError`` naming the missing, mistyped or contradictory key.
    public init(configJSON: Data, name: String? = nil) throws(ModelSpecError) {
        let root = try JSONValue.parseObject(configJSON)
        try self.init(root: root, name: name)
    }

    /// The largest config file read, bytes (real ones are under 20 KB).
    public static let maximumConfigBytes = 16 << 20

    /// Loads a model from a `config.json` file.
    ///
    /// Files over ``maximumConfigBytes`` are refused before they are read; a special file (a
    /// FIFO) is read up to that limit.
    ///
    /// - Throws: ``ModelSpecError/unreadableFile(path:reason:)`` if the file cannot be read,
    ///   ``ModelSpecError/fileTooLarge(path:bytes:limit:)``, and the errors of
    ///   ``init(configJSON:name:)`` wrapped in ``ModelSpecError/inFile(path:_:)`` so that they
    ///   name the file (`url.relativePath`).
    public init(configFile url: URL, name: String? = nil) throws(ModelSpecError) {
        let path = url.relativePath
        let bytes: [UInt8]
        do { bytes = try InputFile.contents(of: url.path, limit: Self.maximumConfigBytes) }
        catch {
            switch error {
            case .unreadable(let reason): throw .unreadableFile(path: path, reason: reason)
            case .tooLarge(let size, let limit): throw .fileTooLarge(path: path, bytes: size, limit: limit)
            }
        }
        do throws(ModelSpecError) {
            try self.init(root: try JSONValue.parseObject(bytes), name: name)
        } catch {
            throw .inFile(path: path, error)
        }
    }

    init(root: [String: JSONValue], name: String?) throws(ModelSpecError) {
        let top = ConfigReader(object: root, modelType: "?", prefix: "")
        guard let type = try top.string("model_type") else { throw .missingKey("model_type", modelType: "?") }
        var reader = ConfigReader(object: root, modelType: type, prefix: "")
        var textType = type
        if type == "kimi_k25" {
            // Kimi K2.5/K2.6: a DeepSeek-V3 text model under `text_config`, whose own model_type is
            // `kimi_k2` or `deepseek_v3` (transformers `kimi_k25/configuration_kimi_k25.py`).
            guard let text = try reader.nested("text_config") else { throw .missingKey("text_config", modelType: type) }
            reader = ConfigReader(object: text.object, modelType: type, prefix: "text_config.")
            textType = try reader.string("model_type") ?? "deepseek_v3"
            guard ["kimi_k2", "deepseek_v3"].contains(textType) else {
                throw .invalidValue(key: "text_config.model_type", value: "'\(textType)'",
                                    reason: "expected 'kimi_k2' or 'deepseek_v3'")
            }
        }
        var quantization = try reader.nested("quantization_config")
        if quantization == nil { quantization = try top.nested("quantization_config") }
        // The family loaders build the spec before it has a name: a failed consistency check
        // names the model as the caller will know it.
        do throws(ModelSpecError) {
            switch textType {
            case "deepseek_v2", "deepseek_v3", "kimi_k2", "deepseek_v32":
                self = try Self.latentModel(reader, family: textType, quantization: quantization)
            case "deepseek_v4":
                self = try Self.compressedHybridModel(reader, quantization: quantization)
            case "qwen3_moe", "mixtral", "gpt_oss", "llama":
                self = try Self.groupedModel(reader, family: textType, quantization: quantization)
            case _ where Self.glmMiniMaxLlama4ModelTypes.contains(textType):
                self = try Self.glmMiniMaxLlama4Model(reader, family: textType, quantization: quantization)
            case "qwen3_next", "qwen3_5_moe", "kimi_linear", "kimi_k3":
                self = try Self.linearHybridModel(reader, family: textType, quantization: quantization)
            default:
                throw .unsupportedModelType(type, suggestion: closestMatch(to: type, in: ModelSpecError.supportedModelTypes))
            }
        } catch .inconsistentSpec(model: "", let reason) {
            throw .inconsistentSpec(model: name ?? type, reason)
        }
        self.modelType = type
        self.name = name ?? type
    }

    // MARK: - Shared pieces

    /// `hidden_size`, `num_hidden_layers`, `vocab_size`, `tie_word_embeddings`,
    /// `max_position_embeddings`.
    struct Common {
        var hidden: Int, layers: Int, vocab: Int, tied: Bool, maxContext: Int, heads: Int

        init(_ r: ConfigReader) throws(ModelSpecError) {
            hidden = try r.positiveInt("hidden_size")
            layers = try r.positiveInt("num_hidden_layers")
            vocab = try r.positiveInt("vocab_size")
            heads = try r.positiveInt("num_attention_heads")
            tied = try r.bool("tie_word_embeddings", default: false)
            maxContext = try r.positiveInt("max_position_embeddings")
        }
    }

    /// Routed experts and top-k, checked against each other.
    static func experts(_ r: ConfigReader, expertsKey: String, topKKey: String) throws(ModelSpecError) -> (experts: Int, topK: Int) {
        let e = try r.positiveInt(expertsKey)
        let k = try r.positiveInt(topKKey)
        guard k <= e else {
            throw .contradictoryKeys([r.name(topKKey), r.name(expertsKey)],
                                     reason: "top-k \(k) is larger than the \(e) routed experts")
        }
        return (e, k)
    }

    // MARK: - DeepSeek-V2/V3, Kimi K2, DeepSeek-V3.2

    /// MLA models (DeepSeek-V2/V3/V3.2, Kimi K2 family). Keys as in their Hugging Face config.json
    /// and DeepSeek's `deepseek-ai/DeepSeek-V3:inference/configs/config_671B.json` / `config_236B.json`
    /// and `deepseek-ai/DeepSeek-V3.2-Exp:inference/config_671B_v3.2.json`; the latent cache as in
    /// the DeepSeek-V2 paper (arXiv 2405.04434) §2.1.
    static func latentModel(_ r: ConfigReader, family: String, quantization: ConfigReader?) throws(ModelSpecError) -> ModelSpec {
        let sparse = family == "deepseek_v32" || family == "glm_moe_dsa"
        let c = try Common(r)
        let queryRank = try r.optionalInt("q_lora_rank")
        if let q = queryRank, q <= 0 {
            throw .invalidValue(key: r.name("q_lora_rank"), value: "\(q)", reason: "must be positive or null")
        }
        let latent = MultiHeadLatentAttention(
            hiddenSize: c.hidden, heads: c.heads,
            queryLatentRank: queryRank,
            kvLatentRank: try r.positiveInt("kv_lora_rank"),
            nopeHeadDim: try r.positiveInt("qk_nope_head_dim"),
            ropeHeadDim: try r.int("qk_rope_head_dim", default: 0),
            valueHeadDim: try r.positiveInt("v_head_dim"),
            layers: c.layers)
        let attention: AttentionArchitecture
        var kv = KVStorage(kv: .bf16, indexer: .bf16)
        if sparse {
            let topK = try r.positiveInt("index_topk")
            attention = .sparse(DeepSeekSparseAttention(
                latent: latent, indexHeads: try r.positiveInt("index_n_heads"),
                indexHeadDim: try r.positiveInt("index_head_dim"), indexTopK: topK))
            // V3.2 is served with FlashMLA's FP8 sparse kernels and FP8 indexer keys
            // (`deepseek-ai/FlashMLA:README.md`; vLLM's DeepSeek-V3.2 blog post of 2025-09-29).
            kv = KVStorage(kv: .fp8, indexer: .fp8)
        } else {
            attention = .latent(latent)
        }
        // MoE layout: layer i is MoE iff i >= first_k_dense_replace and i % moe_layer_freq == 0
        // (DeepSeek-V3 `modeling_deepseek.py`); without n_routed_experts every layer is dense.
        var kinds = [FeedForwardSpec.LayerKind](repeating: .dense, count: c.layers)
        var moe: MixtureOfExperts?
        if r.has("n_routed_experts") {
            let router = try RouterConfiguration(reading: r, modelType: family)
            let firstDense = try r.int("first_k_dense_replace", default: 0)
            guard firstDense <= c.layers else {
                throw .contradictoryKeys([r.name("first_k_dense_replace"), r.name("num_hidden_layers")],
                                         reason: "\(firstDense) dense layers but only \(c.layers) layers")
            }
            let freq = try r.int("moe_layer_freq", default: 1, minimum: 1)
            for i in 0..<c.layers where i >= firstDense && i % freq == 0 { kinds[i] = .moe }
            moe = MixtureOfExperts(
                router: router, sharedExperts: try r.int("n_shared_experts", default: 0),
                expertIntermediateSize: try r.positiveInt("moe_intermediate_size"))
        }
        let dense = kinds.contains(.dense) ? try r.positiveInt("intermediate_size") : try r.int("intermediate_size", default: 0)
        let weights = try Self.weightPrecision(quantization, expertDType: nil)
        return try ModelSpec(
            name: "", modelType: "", hiddenSize: c.hidden, layerCount: c.layers, vocabularySize: c.vocab,
            tiesWordEmbeddings: c.tied, mtpLayerCount: try r.int("num_nextn_predict_layers", default: 0),
            maxContext: c.maxContext, attention: attention,
            feedForward: FeedForwardSpec(hiddenSize: c.hidden, denseIntermediateSize: dense, moe: moe, layerKinds: kinds),
            serving: ServingDefaults(weights: weights, kvStorage: try Self.kvStorage(quantization, default: kv),
                                     source: sparse
                                        ? "weights from quantization_config; FP8 KV and FP8 indexer keys as FlashMLA's sparse FP8 kernels serve V3.2 (deepseek-ai/FlashMLA README.md; vLLM's DeepSeek-V3.2 blog post)"
                                        : "weights from quantization_config; BF16 KV unless kv_cache_scheme says 8 bits"))
    }

    // MARK: - DeepSeek-V4

    /// DeepSeek-V4 Flash/Pro. Keys as in the `deepseek-ai/DeepSeek-V4-Flash` / `-Pro` config.json and
    /// transformers `DeepseekV4Config` (`models/deepseek_v4/configuration_deepseek_v4.py`), whose
    /// `_COMPRESS_RATIO_TO_LAYER_TYPE` maps `compress_ratios` 0 / 4 / 128 to window-only / CSA / HCA.
    static func compressedHybridModel(_ r: ConfigReader, quantization: ConfigReader?) throws(ModelSpecError) -> ModelSpec {
        let c = try Common(r)
        let headDim = try r.positiveInt("head_dim")
        let rope = try r.int("qk_rope_head_dim", default: 0)
        guard rope <= headDim else {
            throw .contradictoryKeys([r.name("qk_rope_head_dim"), r.name("head_dim")], reason: "RoPE dims \(rope) exceed the head's \(headDim)")
        }
        let groups = try r.positiveInt("o_groups")
        guard c.heads % groups == 0 else {
            throw .contradictoryKeys([r.name("o_groups"), r.name("num_attention_heads")],
                                     reason: "\(groups) output groups do not divide \(c.heads) heads")
        }
        let window = try r.positiveInt("sliding_window")
        let mtp = try r.int("num_nextn_predict_layers", default: 0)
        guard let ratios = try r.intArray("compress_ratios") else { throw .missingKey(r.name("compress_ratios"), modelType: r.modelType) }
        // One entry per layer; the published configs add one for each MTP layer (DeepSeek-V4-Flash
        // config.json: 44 entries for 43 layers and 1 MTP layer).
        guard ratios.count == c.layers || ratios.count == c.layers + mtp else {
            throw .contradictoryKeys([r.name("compress_ratios"), r.name("num_hidden_layers")],
                                     reason: "\(ratios.count) compress ratios for \(c.layers) layers (+\(mtp) MTP)")
        }
        var kinds: [AttentionLayerKind] = []
        for (i, ratio) in ratios.prefix(c.layers).enumerated() {
            guard let kind = HybridCompressedAttention.layerKind(compressRatio: ratio, window: window) else {
                throw .invalidValue(key: r.name("compress_ratios") + "[\(i)]", value: "\(ratio)",
                                    reason: "supported compress ratios are 0 (window only), 4 (CSA) and 128 (HCA)")
            }
            kinds.append(kind)
        }
        let needsIndexer = kinds.contains { $0.isCompressedSparse }
        let attention = HybridCompressedAttention(
            hiddenSize: c.hidden, heads: c.heads, headDim: headDim, ropeHeadDim: rope,
            queryLatentRank: try r.positiveInt("q_lora_rank"), outputGroups: groups,
            outputRank: try r.positiveInt("o_lora_rank"), window: window,
            indexHeads: needsIndexer ? try r.positiveInt("index_n_heads") : try r.int("index_n_heads", default: 0),
            indexHeadDim: needsIndexer ? try r.positiveInt("index_head_dim") : try r.int("index_head_dim", default: 0),
            indexTopK: needsIndexer ? try r.positiveInt("index_topk") : try r.int("index_topk", default: 0),
            layerKinds: kinds)
        let router = try RouterConfiguration(reading: r, modelType: "deepseek_v4")
        // Every V4 layer is MoE (the V4 config.json has no first_k_dense_replace).
        let firstDense = try r.int("first_k_dense_replace", default: 0)
        var ffnKinds = [FeedForwardSpec.LayerKind](repeating: .moe, count: c.layers)
        for i in 0..<Swift.min(firstDense, c.layers) { ffnKinds[i] = .dense }
        let moe = MixtureOfExperts(
            router: router, sharedExperts: try r.int("n_shared_experts", default: 0),
            expertIntermediateSize: try r.positiveInt("moe_intermediate_size"))
        let dense = firstDense > 0 ? try r.positiveInt("intermediate_size") : 0
        let weights = try Self.weightPrecision(quantization, expertDType: try r.string("expert_dtype"))
        // vLLM V4 serving defaults: FP8 KV cache, FP4 indexer cache (vLLM's DeepSeek-V4 blog post,
        // 2026-04-24: `--kv-cache-dtype fp8`, `use_fp4_indexer_cache=True`).
        return try ModelSpec(
            name: "", modelType: "", hiddenSize: c.hidden, layerCount: c.layers, vocabularySize: c.vocab,
            tiesWordEmbeddings: c.tied, mtpLayerCount: mtp, maxContext: c.maxContext,
            hyperConnectionStreams: try r.int("hc_mult", default: 1, minimum: 1),
            attention: .compressedHybrid(attention),
            feedForward: FeedForwardSpec(hiddenSize: c.hidden, denseIntermediateSize: dense, moe: moe, layerKinds: ffnKinds),
            serving: ServingDefaults(weights: weights, kvStorage: KVStorage(kv: .fp8, indexer: .fp4),
                                     source: "weights from quantization_config and expert_dtype; FP8 KV and FP4 indexer cache as vLLM serves V4 (vLLM's DeepSeek-V4 blog post, 2026-04-24)"))
    }
}
