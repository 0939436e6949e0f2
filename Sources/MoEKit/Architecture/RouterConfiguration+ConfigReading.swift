//===--- RouterConfiguration+ConfigReading.swift - A model's router from its config.json ===//
//
// The router keys of each family and what they mean, from the family's reference modeling code
// (transformers 5.x unless noted):
//   deepseek_v2          DeepseekV2TopkRouter: softmax; topk_method greedy / group_limited_greedy
//                        (group score = max); × routed_scaling_factor, never renormalised
//   deepseek_v3, kimi_k2, DeepseekV3TopkRouter: scoring_func sigmoid + e_score_correction_bias
//   deepseek_v32         (topk_method noaux_tc), n_group/topk_group with the sum of the top 2 keys
//                        per group, norm_topk_prob with + 1e-20, × routed_scaling_factor
//   deepseek_v4          DeepseekV4TopKRouter: sqrtsoftplus + bias, no groups (its first
//                        num_hash_layers MoE layers route by a token-id table instead)
//   glm4_moe, glm_moe_dsa Glm4MoeTopkRouter / GlmMoeDsa: the DeepSeek-V3 router (sigmoid + bias)
//   kimi_linear, kimi_k3 moonshotai/Kimi-Linear-48B-A3B-Instruct modeling_kimi.py KimiMoEGate:
//                        moe_router_activation_func sigmoid|softmax + bias, num_expert_group /
//                        topk_group (top-2 sum), moe_renormalize (+ 1e-20, only when top-k > 1),
//                        × routed_scaling_factor; keys as transformers KimiLinearConfig maps them
//   minimax_m2           MiniMaxM2SparseMoeBlock.route_tokens_to_experts: sigmoid + bias
//                        (scoring_func, use_routing_bias), always divided by the sum, no scaling
//   qwen3_moe            Qwen3MoeTopKRouter: softmax, norm_topk_prob (default false)
//   qwen3_next           Qwen3NextSparseMoeBlock: softmax, norm_topk_prob (default true)
//   qwen3_5_moe          Qwen3_5MoeTopKRouter: softmax, always renormalised
//   mixtral              MixtralTopKRouter: softmax, always renormalised
//   gpt_oss              GptOssTopKRouter: top-k of the logits, softmax over the k
//   llama4               Llama4Router: top-k of the logits, sigmoid of each chosen logit
//
//===----------------------------------------------------------------------===//

extension RouterConfiguration {
    /// The router of a model, read from its `config.json` object (the `text_config` object
    /// for nested configs).
    ///
    /// `modelType` is the family whose keys and semantics apply (the text model's own type:
    /// `kimi_k2` for Kimi K2.5/K2.6). Absent optional keys take the family's defaults (no group
    /// limit, scale 1); an unknown scoring function or top-k method is an error.
    ///
    /// A loader for a new family builds its MoE from this router:
    ///
    ///     let router = try RouterConfiguration(reading: r, modelType: family)
    ///     let moe = MixtureOfExperts(router: router, sharedExperts: s, expertIntermediateSize: d)
    ///
    /// - Throws: ``ModelSpecError`` naming the key: ``ModelSpecError/missingKey(_:modelType:)``,
    ///   ``ModelSpecError/invalidValue(key:value:reason:)`` (an unknown `scoring_func`,
    ///   `topk_method` or `moe_router_activation_func`, a negative scaling factor),
    ///   ``ModelSpecError/contradictoryKeys(_:reason:)`` (top-k above the experts, groups that
    ///   do not divide the experts, kept groups above the groups), or
    ///   ``ModelSpecError/unsupportedModelType(_:suggestion:)``.
    init(reading r: ConfigReader, modelType: String) throws(ModelSpecError) {
        switch modelType {
        case "deepseek_v2", "deepseek_v3", "kimi_k2", "deepseek_v32", "deepseek_v4":
            let v2 = modelType == "deepseek_v2"
            let defaultScoring: Scoring = v2 ? .softmax : modelType == "deepseek_v4" ? .sqrtSoftplus : .sigmoid
            try self.init(deepSeekStyle: r, expertsKey: "n_routed_experts", topKKey: "num_experts_per_tok",
                          scoring: try Self.scoring(r, key: "scoring_func", default: defaultScoring),
                          method: try Self.topKMethod(r, default: v2 ? "greedy" : "noaux_tc"),
                          groupsKey: "n_group",
                          // transformers' V2 router never renormalises (the V2 configs set false).
                          normalizes: v2 ? false : try r.bool("norm_topk_prob", default: true))
        case "glm4_moe", "glm_moe_dsa":
            // The published configs say n_routed_experts; transformers 5's GLM configurations
            // call the attribute num_local_experts. Either is read; both must agree.
            try self.init(deepSeekStyle: r, expertsKey: try Self.presentKey(r, "n_routed_experts", "num_local_experts"),
                          topKKey: "num_experts_per_tok",
                          scoring: .sigmoid, method: "noaux_tc", groupsKey: "n_group",
                          normalizes: try r.bool("norm_topk_prob", default: true))
        case "kimi_linear", "kimi_k3":
            let k = try r.positiveInt("num_experts_per_token")
            try self.init(deepSeekStyle: r, expertsKey: "num_experts", topKKey: "num_experts_per_token",
                          scoring: try Self.scoring(r, key: "moe_router_activation_func", default: .sigmoid,
                                                    allowed: [.sigmoid, .softmax]),
                          method: "noaux_tc", groupsKey: "num_expert_group",
                          normalizes: try r.bool("moe_renormalize", default: true) && k > 1)
        case "minimax_m2":
            let (e, k) = try ModelSpec.experts(r, expertsKey: "num_local_experts", topKKey: "num_experts_per_tok")
            self.init(experts: e, topK: k,
                      scoring: try Self.scoring(r, key: "scoring_func", default: .sigmoid, allowed: [.sigmoid, .softmax]),
                      usesCorrectionBias: try r.bool("use_routing_bias", default: true), normalizesWeights: true)
        case "qwen3_moe", "qwen3_next", "qwen3_5_moe", "mixtral":
            let (e, k) = try ModelSpec.experts(r, expertsKey: modelType == "mixtral" ? "num_local_experts" : "num_experts",
                                               topKKey: "num_experts_per_tok")
            let normalizes: Bool
            switch modelType {
            case "qwen3_moe": normalizes = try r.bool("norm_topk_prob", default: false)
            case "qwen3_next": normalizes = try r.bool("norm_topk_prob", default: true)
            default: normalizes = true
            }
            self.init(experts: e, topK: k, scoring: .softmax, normalizesWeights: normalizes)
        case "gpt_oss":
            let k = try r.optionalInt("num_experts_per_tok"), k2 = try r.optionalInt("experts_per_token")
            if let k, let k2, k != k2 {
                throw .contradictoryKeys([r.name("num_experts_per_tok"), r.name("experts_per_token")], reason: "\(k) ≠ \(k2)")
            }
            let (e, topK) = try ModelSpec.experts(r, expertsKey: "num_local_experts",
                                                  topKKey: k != nil ? "num_experts_per_tok" : "experts_per_token")
            self.init(experts: e, topK: topK, scoring: .logits, weighting: .softmaxOverChosen, normalizesWeights: false)
        case "llama4":
            let (e, k) = try ModelSpec.experts(r, expertsKey: "num_local_experts", topKKey: "num_experts_per_tok")
            self.init(experts: e, topK: k, scoring: .logits, weighting: .sigmoidOfChosen, normalizesWeights: false)
        default:
            throw .unsupportedModelType(modelType, suggestion: closestMatch(to: modelType, in: Self.familiesRead))
        }
    }

    /// The `model_type`s `init(reading:modelType:)` reads.
    static let familiesRead = [
        "deepseek_v2", "deepseek_v3", "kimi_k2", "deepseek_v32", "deepseek_v4", "glm4_moe", "glm_moe_dsa",
        "kimi_linear", "kimi_k3", "minimax_m2", "qwen3_moe", "qwen3_next", "qwen3_5_moe", "mixtral", "gpt_oss", "llama4",
    ]

    /// A DeepSeek-V3-style router: optional correction bias (`noaux_tc`), optional group limit,
    /// renormalisation with `+ 1e-20`, `routed_scaling_factor`.
    private init(deepSeekStyle r: ConfigReader, expertsKey: String, topKKey: String, scoring: Scoring,
                 method: String, groupsKey: String, normalizes: Bool) throws(ModelSpecError) {
        let (e, k) = try ModelSpec.experts(r, expertsKey: expertsKey, topKKey: topKKey)
        var limit: GroupLimit?
        let groups = try r.int(groupsKey, default: 1, minimum: 1)
        if method != "greedy" && groups > 1 {
            guard e % groups == 0 else {
                throw .contradictoryKeys([r.name(groupsKey), r.name(expertsKey)], reason: "\(groups) groups do not divide \(e) experts")
            }
            let kept = try r.int("topk_group", default: groups, minimum: 1)
            guard kept <= groups else {
                throw .contradictoryKeys([r.name("topk_group"), r.name(groupsKey)], reason: "\(kept) kept groups of \(groups)")
            }
            guard k <= kept * (e / groups) else {
                throw .contradictoryKeys([r.name(topKKey), r.name("topk_group")],
                                         reason: "top-k \(k) is larger than the \(kept * (e / groups)) experts in \(kept) kept groups")
            }
            limit = GroupLimit(groups: groups, keptGroups: kept, score: method == "noaux_tc" ? .topTwoSum : .max)
        }
        self.init(experts: e, topK: k, scoring: scoring, usesCorrectionBias: method == "noaux_tc", groupLimit: limit,
                  normalizesWeights: normalizes, normalizationEpsilon: normalizes ? 1e-20 : 0,
                  scalingFactor: try r.scalingFactor("routed_scaling_factor"))
    }

    /// Whichever of two synonymous keys the config holds (`first` when neither).
    ///
    /// - Throws: ``ModelSpecError/contradictoryKeys(_:reason:)`` when both hold different values.
    private static func presentKey(_ r: ConfigReader, _ first: String, _ second: String) throws(ModelSpecError) -> String {
        let a = try r.optionalInt(first), b = try r.optionalInt(second)
        if let a, let b, a != b { throw .contradictoryKeys([r.name(first), r.name(second)], reason: "\(a) ≠ \(b)") }
        return a == nil && b != nil ? second : first
    }

    /// `scoring_func` (or the family's key) as a ``Scoring``.
    private static func scoring(_ r: ConfigReader, key: String, default fallback: Scoring,
                                allowed: [Scoring] = [.softmax, .sigmoid, .sqrtSoftplus]) throws(ModelSpecError) -> Scoring {
        guard let text = try r.string(key) else { return fallback }
        guard let s = Scoring(rawValue: text), allowed.contains(s) else {
            throw .invalidValue(key: r.name(key), value: "'\(text)'",
                                reason: "expected \(allowed.map { "'\($0.rawValue)'" }.joined(separator: ", "))")
        }
        return s
    }

    /// `topk_method`: `greedy`, `group_limited_greedy` or `noaux_tc`.
    private static func topKMethod(_ r: ConfigReader, default fallback: String) throws(ModelSpecError) -> String {
        let method = try r.string("topk_method") ?? fallback
        let known = ["greedy", "group_limited_greedy", "noaux_tc"]
        guard known.contains(method) else {
            throw .invalidValue(key: r.name("topk_method"), value: "'\(method)'",
                                reason: "expected \(known.map { "'\($0)'" }.joined(separator: ", "))")
        }
        return method
    }
}

extension ConfigReader {
    /// A finite scaling factor in `0...1e6`, 1 when absent.
    func scalingFactor(_ key: String) throws(ModelSpecError) -> Float {
        guard let v = value(key) else { return 1 }
        guard case .number(let d) = v else { throw .wrongType(key: name(key), expected: "a number") }
        guard d.isFinite, (0...1e6).contains(d) else {
            throw .invalidValue(key: name(key), value: "\(d)", reason: "must be in 0...1e6")
        }
        return Float(d)
    }
}
