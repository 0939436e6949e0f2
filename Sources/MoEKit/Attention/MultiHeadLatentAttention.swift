//===--- MultiHeadLatentAttention.swift - MLA cost model ------------------===//
//
// Formulas: cache per the DeepSeek-V2 paper (arXiv 2405.04434); naive ("MHA mode") vs absorbed
// ("MQA mode") FLOPs derived here from the einsums of `deepseek-ai/DeepSeek-V3:inference/model.py`
// (`attn_impl` "naive" / "absorb"); parameters derived here from the projection shapes.
// Dimensions: DeepSeek-V2 paper §2.1, V3 config_671B.json.
//
//===----------------------------------------------------------------------===//

/// Multi-head latent attention (DeepSeek-V2/V3/R1, Kimi K2 family).
///
/// Shapes, per layer:
/// - `h`: hidden size; `n_h`: heads; `d_c` (`kv_lora_rank`): KV latent; `d_c'` (`q_lora_rank`):
///   query latent (absent in V2-Lite); `d_h` (`qk_nope_head_dim`), `d_h^R` (`qk_rope_head_dim`),
///   `d_v` (`v_head_dim`).
/// - The cache holds the latent and the decoupled RoPE key: `d_c + d_h^R` elements per token
///   (576 for V3 and K2: 1,152 B in BF16, 656 B in FlashMLA's FP8 layout).
/// - **Naive ("MHA mode")**: keys and values are up-projected from the latent; a query attending
///   to n keys costs `2·n_h·(d_h + d_h^R + d_v)·n` FLOPs (V3: 81,920·n). In decode the n − 1
///   cached latents must be up-projected again each step: `2·d_c·n_h·(d_h + d_v)·(n − 1)` more.
/// - **Absorbed ("MQA mode")**: `W^UK` is folded into the query and `W^UV` into the output, so
///   every head attends directly to the 576-wide latent: `2·n_h·(2·d_c + d_h^R)·n` FLOPs
///   (V3: 278,528·n), 3.4× the naive FLOPs per key but only the latent is read.
///
/// DeepSeek serves V3 with the naive form for prefill and the absorbed form for decode (V3.2
/// paper, Appendix A); those are the defaults of ``prefillMode`` and ``decodeMode``.
///
/// - Complexity: every cost is O(1) in the context length.
public struct MultiHeadLatentAttention: AttentionCostModel, Hashable {
    /// How attention is computed from the latent cache.
    public enum Mode: String, Hashable, Sendable, CaseIterable {
        /// Up-project keys and values, then attend per head ("MHA mode").
        case naive
        /// Fold the up-projections into query and output; attend to the latent ("MQA mode").
        case absorbed
    }

    /// Hidden size `h`.
    public var hiddenSize: Int
    /// Attention heads `n_h`.
    public var heads: Int
    /// Query latent `d_c'`, or `nil` when queries are projected directly (V2-Lite).
    public var queryLatentRank: Int?
    /// KV latent `d_c`.
    public var kvLatentRank: Int
    /// Non-RoPE query/key head dimension `d_h`.
    public var nopeHeadDim: Int
    /// Decoupled RoPE key dimension `d_h^R`.
    public var ropeHeadDim: Int
    /// Value head dimension `d_v`.
    public var valueHeadDim: Int
    /// Number of layers (all use MLA).
    public var layers: Int
    /// Mode used for prefill (default `.naive`).
    public var prefillMode: Mode
    /// Mode used for decode (default `.absorbed`).
    public var decodeMode: Mode

    /// An MLA stack of `layers` layers; modes default to naive prefill and absorbed decode.
    public init(hiddenSize: Int, heads: Int, queryLatentRank: Int?, kvLatentRank: Int,
                nopeHeadDim: Int, ropeHeadDim: Int, valueHeadDim: Int, layers: Int,
                prefillMode: Mode = .naive, decodeMode: Mode = .absorbed) {
        self.hiddenSize = hiddenSize
        self.heads = heads
        self.queryLatentRank = queryLatentRank
        self.kvLatentRank = kvLatentRank
        self.nopeHeadDim = nopeHeadDim
        self.ropeHeadDim = ropeHeadDim
        self.valueHeadDim = valueHeadDim
        self.layers = layers
        self.prefillMode = prefillMode
        self.decodeMode = decodeMode
    }

    public var design: AttentionDesign { .multiHeadLatent }
    /// `layers` entries of `.full` (none for a negative count, which ``ModelSpec`` then refuses).
    public var layerKinds: [AttentionLayerKind] { Array(repeating: .full, count: Swift.max(layers, 0)) }
    public var hasIndexer: Bool { false }

    /// Elements cached per token per layer: `d_c + d_h^R`.
    public var cachedElementsPerToken: Int { kvLatentRank + ropeHeadDim }

    /// Bytes of one cached token in one layer (``KVEntryLayout/latentEntryBytes(latent:rope:format:)``).
    public func bytesPerToken(_ format: KVCacheFormat) -> Int {
        KVEntryLayout.latentEntryBytes(latent: kvLatentRank, rope: ropeHeadDim, format: format)
    }

    /// `h·d_c' + d_c' + d_c'·n_h·(d_h + d_h^R)` (query; `h·n_h·(d_h + d_h^R)` without a query
    /// latent) + `h·(d_c + d_h^R) + d_c` (KV down-projection and norm) + `d_c·n_h·(d_h + d_v)`
    /// (KV up-projection) + `n_h·d_v·h` (output), derived here from the projection shapes.
    public func parameters(for kind: AttentionLayerKind) -> Int {
        let qk = nopeHeadDim + ropeHeadDim
        let query: Int
        if let r = queryLatentRank { query = hiddenSize * r + r + r * heads * qk }
        else { query = hiddenSize * heads * qk }
        let kvDown = hiddenSize * (kvLatentRank + ropeHeadDim) + kvLatentRank
        let kvUp = kvLatentRank * heads * (nopeHeadDim + valueHeadDim)
        return query + kvDown + kvUp + heads * valueHeadDim * hiddenSize
    }

    /// FLOPs per key attended in `mode`: `2·n_h·(d_h + d_h^R + d_v)` naive,
    /// `2·n_h·(2·d_c + d_h^R)` absorbed.
    public func flopsPerKey(_ mode: Mode) -> Double {
        switch mode {
        case .naive: return 2 * Double(heads) * Double(nopeHeadDim + ropeHeadDim + valueHeadDim)
        case .absorbed: return 2 * Double(heads) * Double(2 * kvLatentRank + ropeHeadDim)
        }
    }

    /// FLOPs to up-project one cached latent to keys and values: `2·d_c·n_h·(d_h + d_v)`.
    public var upProjectionFlopsPerToken: Double {
        2 * Double(kvLatentRank) * Double(heads) * Double(nopeHeadDim + valueHeadDim)
    }

    /// `n · (d_c + d_h^R) · e`: V3 in BF16 holds 1,152 B per token per layer.
    public func kvCacheBytes(for kind: AttentionLayerKind, context: Int, storage: KVStorage) -> Double {
        Double(context) * Double(bytesPerToken(storage.kv))
    }

    /// `flopsPerKey(decodeMode) · n` (+ re-expansion of n − 1 latents when naive); reads the
    /// `n` cached latents; writes one.
    public func decodeCost(for kind: AttentionLayerKind, context: Int, storage: KVStorage) -> AttentionCost {
        let n = Double(context)
        var flops = flopsPerKey(decodeMode) * n
        if decodeMode == .naive { flops += upProjectionFlopsPerToken * (n - 1) }
        let entry = Double(bytesPerToken(storage.kv))
        return AttentionCost(flops: flops, kvBytesRead: n * entry, bytesWritten: entry)
    }

    /// Core FLOPs `flopsPerKey(prefillMode) · n(n+1)/2`. In naive prefill each token's latent is
    /// up-projected once, which is part of the weight FLOPs (2 × parameters per token).
    public func prefillCost(for kind: AttentionLayerKind, tokens: Int, storage: KVStorage) -> AttentionCost {
        let cache = kvCacheBytes(for: kind, context: tokens, storage: storage)
        return AttentionCost(flops: flopsPerKey(prefillMode) * PositionSums.triangle(tokens),
                             kvBytesRead: cache, bytesWritten: cache)
    }
}
