//===--- MixtureOfExperts.swift - Routed and shared experts of an MoE layer ===//
//
// Formulas: per-token cost and parameter counts of SwiGLU experts and the router, derived here
// (3·h·d_ff parameters per expert, E·h per router); per-model routing from each config.json.
//
//===----------------------------------------------------------------------===//

/// The experts of one MoE layer: `E` routed experts of which `k` are active per token, plus
/// `s` shared experts every token uses, and the router.
///
/// Shapes: `h` hidden size, `d_ff` expert width (`moe_intermediate_size`). Every expert is a
/// SwiGLU block of three `h × d_ff` matrices: `3·h·d_ff` parameters, `6·h·d_ff` FLOPs per token.
/// The router is one `E × h` matrix: `2·E·h` FLOPs per token; what it computes from its
/// logits is ``router``, read from the model's `config.json`.
public struct MixtureOfExperts: Hashable, Sendable {
    /// The router: what it computes, and the routed experts `E` and `k` (``routedExperts`` and
    /// ``activeExperts`` are its ``RouterConfiguration/experts`` and ``RouterConfiguration/topK``).
    public var router: RouterConfiguration
    /// Routed experts `E` (the router's ``RouterConfiguration/experts``).
    public var routedExperts: Int {
        get { router.experts }
        set { router.experts = newValue }
    }
    /// Routed experts active per token, `k` (the router's ``RouterConfiguration/topK``).
    public var activeExperts: Int {
        get { router.topK }
        set { router.topK = newValue }
    }
    /// Shared experts `s` (always active).
    public var sharedExperts: Int
    /// Width `d_ff` of a routed expert.
    public var expertIntermediateSize: Int
    /// Width of one shared expert (DeepSeek and Kimi: the routed width).
    public var sharedIntermediateSize: Int
    /// Whether expert matrices have biases (gpt-oss: `2·d_ff + h` per expert).
    public var expertBias: Bool
    /// Whether the router has a bias vector `[E]`: gpt-oss's linear bias, or the correction
    /// bias (`e_score_correction_bias`) of routers with ``RouterConfiguration/usesCorrectionBias``.
    public var routerBias: Bool

    /// An MoE layer with the given router; `sharedIntermediateSize` defaults to the routed
    /// expert width, `routerBias` to the router's ``RouterConfiguration/usesCorrectionBias``.
    public init(router: RouterConfiguration, sharedExperts: Int, expertIntermediateSize: Int,
                sharedIntermediateSize: Int? = nil, expertBias: Bool = false, routerBias: Bool? = nil) {
        self.router = router
        self.sharedExperts = sharedExperts
        self.expertIntermediateSize = expertIntermediateSize
        self.sharedIntermediateSize = sharedIntermediateSize ?? expertIntermediateSize
        self.expertBias = expertBias
        self.routerBias = routerBias ?? router.usesCorrectionBias
    }

    /// Parameters of one routed expert: `3·h·d_ff` (+ `2·d_ff + h` biases).
    public func expertParameters(hiddenSize h: Int) -> Int {
        3 * h * expertIntermediateSize + (expertBias ? 2 * expertIntermediateSize + h : 0)
    }

    /// Parameters of all shared experts of a layer: `s · 3·h·d_shared`.
    public func sharedParameters(hiddenSize h: Int) -> Int {
        sharedExperts * 3 * h * sharedIntermediateSize
    }

    /// Router parameters: `E·h` (+ `E`).
    public func routerParameters(hiddenSize h: Int) -> Int {
        routedExperts * h + (routerBias ? routedExperts : 0)
    }

    /// Expected number of distinct routed experts that `tokens` tokens touch in one layer, under
    /// `load` (uniform routing by default): `E·(1 − (1 − k/E)^B)`.
    ///
    /// - Complexity: O(1) for uniform routing, O(*E*) for a measured distribution.
    public func expectedDistinctExperts(tokens: Int, load: ExpertLoad = .uniform) -> Double {
        load.expectedDistinctExperts(tokens: tokens, experts: routedExperts, topK: activeExperts)
    }
}
