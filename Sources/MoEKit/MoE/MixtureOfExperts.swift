//===--- MixtureOfExperts.swift - Routed and shared experts of an MoE layer ===//
//
// Formulas: per-token cost and parameter counts of SwiGLU experts and the router, derived here
// (3·h·d_ff parameters per expert, E·h per router); per-model routing from each config.json.
// Latent MoE: NVIDIA, "Nemotron 3: Efficient and Open Intelligence" (white paper, 2025, §LatentMoE)
// and Kimi K3's `routed_expert_hidden_size` (`routed_expert_down_proj` / `_up_proj` around the
// routed experts; the router and the shared experts see the full hidden state, as vLLM's and
// mlx-lm's Kimi K3 support compute it).
//
//===----------------------------------------------------------------------===//

/// The experts of one MoE layer: `E` routed experts of which `k` are active per token, plus
/// `s` shared experts every token uses, and the router.
///
/// Shapes: `h` hidden size, `d_ff` expert width (`moe_intermediate_size`). Every expert is a
/// SwiGLU block of three `h × d_ff` matrices: `3·h·d_ff` parameters, `6·h·d_ff` FLOPs per token.
/// The router is one `E × h` matrix: `2·E·h` FLOPs per token; what it computes from its
/// logits is ``router``, read from the model's `config.json`.
///
/// **Latent MoE** (``latentSize`` `ℓ` < `h`): the routed experts work in a smaller width. Each
/// token is projected down once (`h → ℓ`), the `k` experts (`3·ℓ·d_ff` parameters each) run on
/// the latent, and their weighted sum is projected back up (`ℓ → h`): `2·h·ℓ` parameters per
/// layer that every token uses, counted with the shared experts
/// (``latentProjectionParameters(hiddenSize:)``). Expert-parallel dispatch and combine move
/// `ℓ`-wide activations. Kimi K3: `h` = 7,168, `ℓ` = 3,584.
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
    /// Width `ℓ` the routed experts work in (`routed_expert_hidden_size`), or `nil` when they work
    /// in the hidden size.
    public var latentSize: Int?

    /// An MoE layer with the given router; `sharedIntermediateSize` defaults to the routed
    /// expert width, `routerBias` to the router's ``RouterConfiguration/usesCorrectionBias``,
    /// `latentSize` to `nil` (experts in the hidden size).
    public init(router: RouterConfiguration, sharedExperts: Int, expertIntermediateSize: Int,
                sharedIntermediateSize: Int? = nil, expertBias: Bool = false, routerBias: Bool? = nil,
                latentSize: Int? = nil) {
        self.router = router
        self.latentSize = latentSize
        self.sharedExperts = sharedExperts
        self.expertIntermediateSize = expertIntermediateSize
        self.sharedIntermediateSize = sharedIntermediateSize ?? expertIntermediateSize
        self.expertBias = expertBias
        self.routerBias = routerBias ?? router.usesCorrectionBias
    }

    /// Width the routed experts work in: ``latentSize`` or the hidden size `h`.
    public func expertWidth(hiddenSize h: Int) -> Int { latentSize ?? h }

    /// Parameters of one routed expert: `3·w·d_ff` (+ `2·d_ff + w` biases), `w` the
    /// ``expertWidth(hiddenSize:)``.
    public func expertParameters(hiddenSize h: Int) -> Int {
        let w = expertWidth(hiddenSize: h)
        return 3 * w * expertIntermediateSize + (expertBias ? 2 * expertIntermediateSize + w : 0)
    }

    /// Latent MoE down- and up-projections of one layer: `2·h·ℓ` (0 without a latent).
    public func latentProjectionParameters(hiddenSize h: Int) -> Int {
        latentSize.map { 2 * h * $0 } ?? 0
    }

    /// Parameters every token of a layer uses besides the router: the shared experts,
    /// `s · 3·h·d_shared`, plus the latent projections (``latentProjectionParameters(hiddenSize:)``).
    public func sharedParameters(hiddenSize h: Int) -> Int {
        sharedExperts * 3 * h * sharedIntermediateSize + latentProjectionParameters(hiddenSize: h)
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
