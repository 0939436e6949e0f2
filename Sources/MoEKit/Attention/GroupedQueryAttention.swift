//===--- GroupedQueryAttention.swift - MHA / GQA / MQA cost model ---------===//
//
// Formulas: standard attention FLOPs; KV per token `2·n_kv·d_h` elements per layer (DeepSeek-V2
// paper, Table 1); gpt-oss sliding layers and sinks from `openai/gpt-oss:gpt_oss/torch/model.py`.
//
//===----------------------------------------------------------------------===//

/// Multi-head, grouped-query and multi-query attention, with optional sliding-window layers
/// and attention sinks (as in gpt-oss).
///
/// Shapes, per layer:
/// - `h`: hidden size; `n_h`: query heads; `n_kv`: KV heads; `d_h`: head dimension.
/// - Each cached token stores K and V: `2 · n_kv · d_h` elements (2 B each in BF16, 1 B in FP8).
/// - A query attending to `a` keys costs `2·n_h·d_h·a` (QK^T) + `2·n_h·d_h·a` (PV) FLOPs; `a` is
///   the context n for full layers and `min(n, W)` for sliding-window layers. GQA reduces the
///   cache, not the FLOPs.
///
/// An attention sink adds one learned logit per head to the softmax: `n_h` parameters and O(n_h)
/// FLOPs per query, which are not counted.
///
/// **Chunked layers** (Llama 4, `attention_chunk_size` C; `.chunked(C)`): positions are cut
/// into blocks 1…C, C+1…2C, …, and a query at position t attends only to the tokens of its own
/// block up to itself, `a(t) = ((t − 1) mod C) + 1` keys (``PositionSums/chunkPosition(_:chunk:)``).
/// At context n the cache of such a layer **holds** the `a(n)` tokens of the current chunk:
/// `C` when n is a multiple of C (every power of two ≥ C), a single token right after a
/// boundary. A serving engine that frees the blocks of past chunks must still **reserve** a
/// whole chunk for a sequence that will grow through it (vLLM's `ChunkedLocalAttentionSpec`
/// admits a request with `min(C + max_num_batched_tokens, max_model_len)` tokens of blocks: one
/// chunk plus the tokens of the step in flight), so ``kvCacheBytes(for:context:storage:)``
/// reports that reservation without the in-flight part, `min(n, C)` tokens, and
/// ``heldTokens(_:context:)`` the content. Decode reads the `a(n)` held tokens; a prompt of n
/// tokens costs `flopsPerKey · Σ_{t≤n} a(t)` (``PositionSums/chunkedPositions(_:chunk:)``) and
/// writes (and reads once) all n tokens' K and V, since every chunk is filled before it is
/// dropped. Llama 4's every-fourth layer attends fully without RoPE (`no_rope_layers`); it is
/// an ordinary `.full` layer here (RoPE has no cost in this model).
/// Source: transformers `models/llama4/modeling_llama4.py` (`attention_chunk_size`, the chunked
/// causal mask) and `configuration_llama4.py`; vLLM `v1/kv_cache_interface.py`
/// (`ChunkedLocalAttentionSpec.max_admission_blocks_per_request`).
///
/// - Complexity: every cost is O(1) in the context length.
public struct GroupedQueryAttention: AttentionCostModel, Hashable {
    /// Hidden size `h`.
    public var hiddenSize: Int
    /// Query heads `n_h`.
    public var queryHeads: Int
    /// KV heads `n_kv` (`n_h` for MHA, 1 for MQA).
    public var kvHeads: Int
    /// Head dimension `d_h` (keys, queries and values).
    public var headDim: Int
    /// The kind of each layer: `.full`, `.slidingWindow(W)` or `.chunked(C)`.
    public var layerKinds: [AttentionLayerKind]
    /// Whether Q, K, V and O projections have biases (gpt-oss, `attention_bias`).
    public var hasBias: Bool
    /// Whether each head has a learned attention sink (gpt-oss).
    public var hasSinks: Bool
    /// Whether queries and keys have a per-head RMSNorm (Qwen3: `2·d_h` parameters).
    public var hasQKNorm: Bool

    /// A GQA model; `kvHeads` equal to `queryHeads` gives MHA, 1 gives MQA.
    public init(hiddenSize: Int, queryHeads: Int, kvHeads: Int, headDim: Int,
                layerKinds: [AttentionLayerKind], hasBias: Bool = false, hasSinks: Bool = false,
                hasQKNorm: Bool = false) {
        self.hiddenSize = hiddenSize
        self.queryHeads = queryHeads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.layerKinds = layerKinds
        self.hasBias = hasBias
        self.hasSinks = hasSinks
        self.hasQKNorm = hasQKNorm
    }

    public var design: AttentionDesign {
        kvHeads == queryHeads ? .multiHead : (kvHeads == 1 ? .multiQuery : .groupedQuery)
    }

    public var hasIndexer: Bool { false }

    /// `h·n_h·d_h` (Q) + `2·h·n_kv·d_h` (K, V) + `n_h·d_h·h` (O), plus biases, sinks and QK norms.
    public func parameters(for kind: AttentionLayerKind) -> Int {
        let q = queryHeads * headDim, kv = kvHeads * headDim
        var p = hiddenSize * q + 2 * hiddenSize * kv + q * hiddenSize
        if hasBias { p += q + 2 * kv + hiddenSize }
        if hasSinks { p += queryHeads }
        if hasQKNorm { p += 2 * headDim }
        return p
    }

    /// Bytes of one cached token in one layer: `2 · n_kv · d_h · bytes per element`
    /// (Mixtral in BF16: 2 · 8 · 128 · 2 = 4,096 B).
    public func bytesPerToken(_ format: KVCacheFormat) -> Int {
        2 * kvHeads * headDim * KVEntryLayout.groupedElementBytes(format)
    }

    /// Keys visible to a query at `context` in a layer of `kind`: n (full), `min(n, W)`
    /// (sliding), `((n − 1) mod C) + 1` (chunked).
    @inlinable
    func keys(_ kind: AttentionLayerKind, _ context: Int) -> Int {
        switch kind {
        case .slidingWindow(let w): return Swift.min(context, w)
        case .chunked(let c): return PositionSums.chunkPosition(context, chunk: c)
        default: return context
        }
    }

    /// Tokens a layer of `kind` holds in its cache at `context`: the visible keys (for a
    /// chunked layer, the tokens of the current chunk).
    public func heldTokens(_ kind: AttentionLayerKind, context: Int) -> Int { keys(kind, context) }

    /// Tokens a serving engine must reserve for a sequence at `context`: `min(n, W)` (sliding),
    /// `min(n, C)` (chunked: one whole chunk once the sequence reaches it; a chunk size ≤ 0,
    /// which no config loads, means no chunking), n otherwise.
    public func reservedTokens(_ kind: AttentionLayerKind, context: Int) -> Int {
        switch kind {
        case .slidingWindow(let w): return Swift.min(context, w)
        case .chunked(let c): return c > 0 ? Swift.min(context, c) : context
        default: return context
        }
    }

    /// `reservedTokens · 2 · n_kv · d_h · e`: a sliding-window layer keeps only its window, a
    /// chunked layer at most one chunk (Llama 4 Maverick in BF16, C = 8,192: 8,192 · 4,096 B =
    /// 32 MiB per layer from n = 8,192 on).
    public func kvCacheBytes(for kind: AttentionLayerKind, context: Int, storage: KVStorage) -> Double {
        Double(reservedTokens(kind, context: context)) * Double(bytesPerToken(storage.kv))
    }

    /// FLOPs per key attended: `2·n_h·d_h` (QK) + `2·n_h·d_h` (PV).
    public var flopsPerKey: Double { 4 * Double(queryHeads) * Double(headDim) }

    /// `flopsPerKey · a` FLOPs and `a · 2·n_kv·d_h·e` bytes read for `a` visible keys; one
    /// token's K and V written.
    public func decodeCost(for kind: AttentionLayerKind, context: Int, storage: KVStorage) -> AttentionCost {
        let a = Double(keys(kind, context))
        // The new token's K and V are written even where a window evicts an old one.
        let entry = Double(bytesPerToken(storage.kv))
        return AttentionCost(flops: flopsPerKey * a, kvBytesRead: a * entry, bytesWritten: entry)
    }

    /// Core FLOPs `flopsPerKey · Σ_{t=1}^{n} min(t, W)` (W = n for full layers), or
    /// `flopsPerKey · Σ_{t=1}^{n} (((t − 1) mod C) + 1)` for chunked layers, which also write and
    /// read all n entries once.
    public func prefillCost(for kind: AttentionLayerKind, tokens: Int, storage: KVStorage) -> AttentionCost {
        if case .chunked(let c) = kind {
            let all = Double(tokens) * Double(bytesPerToken(storage.kv))
            return AttentionCost(flops: flopsPerKey * PositionSums.chunkedPositions(tokens, chunk: c),
                                 kvBytesRead: all, bytesWritten: all)
        }
        let cap: Int
        if case .slidingWindow(let w) = kind { cap = w } else { cap = Int.max }
        let cache = kvCacheBytes(for: kind, context: tokens, storage: storage)
        return AttentionCost(flops: flopsPerKey * PositionSums.cappedPositions(tokens, cap: cap),
                             kvBytesRead: cache, bytesWritten: cache)
    }
}
