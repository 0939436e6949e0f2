//===--- RouterConfiguration.swift - What a top-k router computes ---------===//

/// The exact computation of a Mixture-of-Experts top-k router, for every router family
/// MoEKit knows: softmax routers (Mixtral, Qwen3-MoE, Qwen3-Next, Qwen3.5, DeepSeek-V2),
/// sigmoid routers with a selection-only correction bias and group-limited selection
/// (DeepSeek-V3, Kimi K2, GLM-4.5+/GLM-5, MiniMax-M2, Kimi Linear/K3),
/// square-root-softplus routers (DeepSeek-V4), top-k-then-softmax routers (gpt-oss) and
/// top-k-then-sigmoid routers (Llama 4).
///
/// For each token the router computes, from its logits `[E]`:
///
/// 1. `scores = scoring(logits)`, each expert's affinity (``Scoring``);
/// 2. `keys = scores + bias`, where `bias` is the optional correction bias `[E]`: it only
///    chooses experts and never weights them;
/// 3. with a ``GroupLimit``, a score per group of `E / groups` consecutive experts, the
///    `keptGroups` groups with the largest group scores, and every other expert excluded;
/// 4. the `topK` experts with the largest keys;
/// 5. their weights (``Weighting``), optionally divided by their sum plus
///    ``normalizationEpsilon``, then multiplied by ``scalingFactor``.
///
/// **Ties.** Everywhere a choice is made between equal values (experts with equal keys,
/// groups with equal group scores), the lower index wins. Each output row lists the chosen
/// experts in descending key order, equal keys by ascending expert index.
///
/// Use a named preset for a real model:
///
///     let kimi = try RouterConfiguration.preset(named: "kimi-k2")
///     // experts 384, topK 8, sigmoid + bias, renormalised, × 2.827
///
/// A preset is the router of a model preset (``ModelSpec/router``), read from the routing
/// keys of its `config.json`; ``presetAliases`` maps the short router names to model presets.
public struct RouterConfiguration: Hashable, Sendable {
    /// How logits become expert scores.
    public enum Scoring: String, CaseIterable, Hashable, Sendable {
        /// `softmax(logits)` over all experts, in float32 (Mixtral, Qwen3-MoE, DeepSeek-V2).
        case softmax
        /// `1 / (1 + e^-logit)` per expert (DeepSeek-V3, Kimi K2, GLM, MiniMax-M2, Kimi Linear).
        case sigmoid
        /// `sqrt(softplus(logit))` per expert (DeepSeek-V4).
        case sqrtSoftplus = "sqrtsoftplus"
        /// The logits themselves (gpt-oss and Llama 4 select on the raw logits).
        case logits
    }

    /// How a group of experts is scored for group-limited selection.
    public enum GroupScore: String, CaseIterable, Hashable, Sendable {
        /// The sum of the group's two largest keys; a value that occurs twice counts twice
        /// (DeepSeek-V3 `noaux_tc`). A group of one expert scores that expert's key.
        case topTwoSum = "top2-sum"
        /// The group's largest key (DeepSeek-V2 `group_limited_greedy`).
        case max
    }

    /// Group-limited ("node-limited") selection: experts are split into `groups` groups of
    /// consecutive indices and only the `keptGroups` best groups may be chosen.
    public struct GroupLimit: Hashable, Sendable {
        /// Number of groups, `n_group`; must divide the number of experts.
        public var groups: Int
        /// Groups kept per token, `topk_group`; in `1...groups`.
        public var keptGroups: Int
        /// How a group is scored.
        public var score: GroupScore

        public init(groups: Int, keptGroups: Int, score: GroupScore) {
            self.groups = groups
            self.keptGroups = keptGroups
            self.score = score
        }
    }

    /// How the chosen experts are weighted.
    public enum Weighting: String, CaseIterable, Hashable, Sendable {
        /// The chosen experts' unbiased scores (optionally renormalised).
        case chosenScores = "chosen"
        /// A softmax over the chosen experts' unbiased scores (gpt-oss: a softmax over the
        /// top-k logits). Mathematically the renormalised top-k of a full softmax.
        case softmaxOverChosen = "softmax-chosen"
        /// `1 / (1 + e^-s)` of each chosen expert's unbiased score `s`, then optionally
        /// renormalised (Llama 4: the sigmoid of the chosen logits; transformers
        /// `models/llama4/modeling_llama4.py`, `Llama4Router.forward`).
        case sigmoidOfChosen = "sigmoid-chosen"
    }

    /// Number of routed experts, `E`.
    public var experts: Int
    /// Experts chosen per token, `k`.
    public var topK: Int
    /// How logits become scores.
    public var scoring: Scoring
    /// Whether the model has a selection-only correction bias (`e_score_correction_bias`).
    /// Informational: a ``Router`` uses a bias exactly when one is given to it.
    public var usesCorrectionBias: Bool
    /// Optional group-limited selection.
    public var groupLimit: GroupLimit?
    /// How the chosen experts are weighted.
    public var weighting: Weighting
    /// Whether ``Weighting/chosenScores`` and ``Weighting/sigmoidOfChosen`` weights are
    /// divided by their sum.
    public var normalizesWeights: Bool
    /// Added to the sum before dividing (`1e-20` in DeepSeek-V3's reference code, `0` for
    /// Mixtral and Qwen3-MoE). It only matters when every chosen score underflows to 0.
    public var normalizationEpsilon: Float
    /// Multiplies every weight after normalisation (`routed_scaling_factor`).
    public var scalingFactor: Float

    /// Creates a router configuration; call ``validate()`` (or build a ``Router``) to check it.
    public init(
        experts: Int,
        topK: Int,
        scoring: Scoring,
        usesCorrectionBias: Bool = false,
        groupLimit: GroupLimit? = nil,
        weighting: Weighting = .chosenScores,
        normalizesWeights: Bool = true,
        normalizationEpsilon: Float = 0,
        scalingFactor: Float = 1
    ) {
        self.experts = experts
        self.topK = topK
        self.scoring = scoring
        self.usesCorrectionBias = usesCorrectionBias
        self.groupLimit = groupLimit
        self.weighting = weighting
        self.normalizesWeights = normalizesWeights
        self.normalizationEpsilon = normalizationEpsilon
        self.scalingFactor = scalingFactor
    }

    /// Number of experts that can still be chosen after group limiting: `E` without groups,
    /// `keptGroups * E / groups` with them.
    public var selectableExperts: Int {
        guard let limit = groupLimit, limit.groups > 0 else { return experts }
        return limit.keptGroups * (experts / limit.groups)
    }

    /// The most experts any MoEKit type accepts, 2^24: far above any model (Kimi K2 has 384)
    /// and low enough that per-expert arrays always fit in memory and expert indices in Int32.
    public static let maximumExperts = 1 << 24

    /// Checks that the configuration describes a router that can run.
    ///
    /// - Throws: ``RoutingError`` naming the first problem: experts outside `1...maximumExperts`, top-k outside
    ///   `1...experts`, groups that do not divide the experts, kept groups outside
    ///   `1...groups`, top-k above the experts in the kept groups, a non-finite or negative
    ///   epsilon or scaling factor, or renormalised raw logits as weights.
    public func validate() throws(RoutingError) {
        guard (1...Self.maximumExperts).contains(experts) else { throw .invalidExpertCount(experts) }
        guard (1...experts).contains(topK) else {
            throw .invalidTopK(topK, experts: experts)
        }
        if let limit = groupLimit {
            guard limit.groups >= 1, experts % limit.groups == 0 else {
                throw .groupsDoNotDivideExperts(groups: limit.groups, experts: experts)
            }
            guard (1...limit.groups).contains(limit.keptGroups) else {
                throw .invalidKeptGroups(limit.keptGroups, groups: limit.groups)
            }
            guard topK <= selectableExperts else {
                throw .topKExceedsKeptExperts(topK, keptExperts: selectableExperts)
            }
        }
        guard normalizationEpsilon.isFinite, normalizationEpsilon >= 0 else {
            throw .invalidParameter("normalization epsilon", Double(normalizationEpsilon))
        }
        guard scalingFactor.isFinite, scalingFactor >= 0 else {
            throw .invalidParameter("scaling factor", Double(scalingFactor))
        }
        if scoring == .logits && weighting == .chosenScores && normalizesWeights {
            throw .invalidWeighting("renormalising raw logits is undefined (they can be negative or sum to 0); use softmax-chosen weights or no renormalisation")
        }
    }
}
