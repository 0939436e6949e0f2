//===--- KimiDeltaAttention.swift - KDA linear-attention cost model -------===//
//
// Kimi Delta Attention: Kimi Linear technical report (Moonshot AI, arXiv 2510.26692, §3): the
// gated delta rule with a per-channel (diagonal) decay. Layer shapes: `KimiDeltaAttention` in
// moonshotai/Kimi-Linear-48B-A3B-Instruct `modeling_kimi.py` (`q_proj`, `k_proj`, `v_proj`, one
// short convolution each, decay gate `f_a_proj` (h → d) and `f_b_proj` (d → n·d), `b_proj`,
// output gate `g_a_proj`/`g_b_proj`, `A_log`, `dt_bias` (n·d), `o_norm`, `o_proj`); Kimi K3's
// full-rank output gate `g_proj` (h → n·d) under `linear_attn_config.use_full_rank_gate`, as
// vLLM's Kimi K3 support loads it. FLOPs: ``DeltaRule``.
//
//===----------------------------------------------------------------------===//

/// Kimi Delta Attention (Kimi Linear, Kimi K3): the gated delta rule with one decay per key
/// channel instead of one per head.
///
/// Shapes, per layer: `h` hidden size; `n` heads (`linear_attn_config.num_heads`) of `d` dims
/// (`linear_attn_config.head_dim`, keys and values alike); `K` convolution taps over the
/// `C = 3·n·d` channels of q, k and v.
///
/// - **State** per sequence and layer: `[n, d, d]` in the ``RecurrentStateFormat`` plus the
///   convolution state `2·C·(K − 1)` B (Kimi Linear in FP32: 32·128·128·4 + 2·12,288·3 =
///   2,170,880 B), whatever the context.
/// - **Decode**, per token: `n·7·d² + 2·K·C` FLOPs; the state is read and written once.
/// - **Prefill** of `n_t` tokens: `n·(⌊n_t/64⌋·F(64) + F(n_t mod 64)) + 2·K·C·n_t` FLOPs
///   (``DeltaRule``; fla's `chunk_kda` uses the same 64-token chunks).
///
/// The per-channel decay `α = f_b(f_a(x))` is a low-rank (rank `d`) projection to `n·d`
/// channels; the output gate is low-rank the same way, or a full `h × n·d` matrix with
/// ``fullRankOutputGate`` (Kimi K3).
///
/// - Complexity: every cost is O(1) in the context length.
public struct KimiDeltaAttention: AttentionCostModel, Hashable {
    /// Hidden size `h`.
    public var hiddenSize: Int
    /// Heads `n`.
    public var heads: Int
    /// Head dimension `d` (keys and values).
    public var headDim: Int
    /// Short-convolution taps `K`.
    public var convolutionKernel: Int
    /// Whether the output gate is one full-rank `h × n·d` projection (`use_full_rank_gate`)
    /// rather than the low-rank pair `h × d`, `d × n·d`.
    public var fullRankOutputGate: Bool
    /// Number of layers (all KDA).
    public var layers: Int

    /// A stack of `layers` KDA layers.
    public init(hiddenSize: Int, heads: Int, headDim: Int, convolutionKernel: Int,
                fullRankOutputGate: Bool = false, layers: Int) {
        self.hiddenSize = hiddenSize
        self.heads = heads
        self.headDim = headDim
        self.convolutionKernel = convolutionKernel
        self.fullRankOutputGate = fullRankOutputGate
        self.layers = layers
    }

    public var design: AttentionDesign { .kimiDelta }
    /// `layers` entries of `.linear` (none for a negative count, which ``ModelSpec`` then refuses).
    public var layerKinds: [AttentionLayerKind] { Array(repeating: .linear, count: Swift.max(layers, 0)) }
    public var hasIndexer: Bool { false }

    /// Convolution channels `C = 3·n·d` (q, k and v).
    public var convolutionChannels: Int { 3 * heads * headDim }

    /// `3·h·n·d` (q, k, v) + `C·K` (convolutions) + `h·d + d·n·d` (decay gate) + `n·d + n`
    /// (`dt_bias`, `A_log`) + `h·n` (β) + output gate (`h·n·d` full rank, else `h·d + d·n·d`) +
    /// `d` (gated norm) + `n·d·h` (output).
    public func parameters(for kind: AttentionLayerKind) -> Int {
        let h = hiddenSize, d = headDim, p = heads * headDim
        let lowRank = h * d + d * p
        return 3 * h * p + convolutionChannels * convolutionKernel + lowRank + p + heads + h * heads
            + (fullRankOutputGate ? h * p : lowRank) + d + p * h
    }

    /// The delta-rule heads: `n` heads, each with a `[d, d]` state.
    var deltaRule: DeltaRule.Layer {
        DeltaRule.Layer(heads: heads, keyDim: headDim, valueDim: headDim,
                        convolutionChannels: convolutionChannels, kernel: convolutionKernel)
    }

    /// `n·d²·s + 2·C·(K − 1)` bytes, constant in the context.
    public func stateBytes(for kind: AttentionLayerKind, storage: KVStorage) -> Double {
        deltaRule.stateBytes(storage)
    }

    /// The state: a linear layer holds nothing that grows with `context`.
    public func kvCacheBytes(for kind: AttentionLayerKind, context: Int, storage: KVStorage) -> Double {
        stateBytes(for: kind, storage: storage)
    }

    /// `n·7·d² + 2·K·C` FLOPs; the state read and written once, at any context.
    public func decodeCost(for kind: AttentionLayerKind, context: Int, storage: KVStorage) -> AttentionCost {
        deltaRule.decodeCost(storage)
    }

    /// `n·(⌊n_t/64⌋·F(64) + F(n_t mod 64)) + 2·K·C·n_t` FLOPs; state read and written once.
    public func prefillCost(for kind: AttentionLayerKind, tokens: Int, storage: KVStorage) -> AttentionCost {
        deltaRule.prefillCost(tokens: tokens, storage)
    }
}
