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
/// The router is one `E × h` matrix: `2·E·h` FLOPs per token.
public struct MixtureOfExperts: Hashable, Sendable {
    /// Routed experts `E`.
    public var routedExperts: Int
    /// Routed experts active per token, `k`.
    public var activeExperts: Int
    /// Shared experts `s` (always active).
    public var sharedExperts: Int
    /// Width `d_ff` of a routed expert.
    public var expertIntermediateSize: Int
    /// Width of one shared expert (DeepSeek and Kimi: the routed width).
    public var sharedIntermediateSize: Int
    /// Whether expert matrices have biases (gpt-oss: `2·d_ff + h` per expert).
    public var expertBias: Bool
    /// Whether the router has a bias (gpt-oss; DeepSeek's `e_score_correction_bias`).
    public var routerBias: Bool

    /// An MoE layer; `sharedIntermediateSize` defaults to the routed expert width.
    public init(routedExperts: Int, activeExperts: Int, sharedExperts: Int, expertIntermediateSize: Int,
                sharedIntermediateSize: Int? = nil, expertBias: Bool = false, routerBias: Bool = false) {
        self.routedExperts = routedExperts
        self.activeExperts = activeExperts
        self.sharedExperts = sharedExperts
        self.expertIntermediateSize = expertIntermediateSize
        self.sharedIntermediateSize = sharedIntermediateSize ?? expertIntermediateSize
        self.expertBias = expertBias
        self.routerBias = routerBias
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
