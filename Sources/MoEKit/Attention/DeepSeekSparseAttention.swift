//===--- DeepSeekSparseAttention.swift - DSA (DeepSeek-V3.2) cost model ---===//
//
// Mechanism: the DeepSeek-V3.2-Exp paper (`deepseek-ai/DeepSeek-V3.2-Exp:DeepSeek_V3_2.pdf`) and
// its reference `Indexer` (`inference/model.py`). Per-layer costs: derived here from that code.
//
//===----------------------------------------------------------------------===//

/// DeepSeek Sparse Attention: MLA in its absorbed ("MQA") mode over the `k` cached entries a
/// lightning indexer selects (DeepSeek-V3.2).
///
/// Shapes, per layer (the MLA symbols of ``MultiHeadLatentAttention`` plus):
/// - `H_I` (`index_n_heads`, 64) indexer heads of `d_I` (`index_head_dim`, 128) dims;
///   `k` (`index_topk`, 2048) selected entries.
/// - The cache holds the MLA latent and one indexer key per token:
///   `n · (e_mla + e_idx)` bytes (BF16: 1,152 + 256; FP8: 656 + 132).
/// - Decode at context n: the indexer scores every cached key, `(2·H_I·d_I + 2·H_I)·n` FLOPs
///   (16,384·n for the dot products plus the weighted ReLU sum) and reads `n · e_idx` bytes; the
///   main attention attends to `min(n, k)` entries, `2·n_h·(2·d_c + d_h^R)·min(n, k)` FLOPs, and
///   reads `min(n, k) · e_mla` bytes.
/// - Prefill sums both over query positions: the indexer stays quadratic in n, the core
///   attention grows as `k · n` once n > k.
///
/// > Note: DeepSeek runs short prefills in a masked MHA mode instead (V3.2 paper §3); this model
/// > always uses the sparse path, which costs more than dense naive MLA below about 8,700 tokens
/// > (a break-even derived here from the two cost formulas).
///
/// Indexer parameters (reference `Indexer` in
/// `deepseek-ai/DeepSeek-V3.2-Exp:inference/model.py`): queries `d_c' → H_I·d_I`, keys
/// `h → d_I` plus a LayerNorm (`2·d_I`), head weights `h → H_I`.
///
/// - Complexity: every cost is O(1) in the context length.
public struct DeepSeekSparseAttention: AttentionCostModel, Hashable {
    /// The underlying MLA (its decode mode is ignored: selected entries use the absorbed form).
    public var latent: MultiHeadLatentAttention
    /// Indexer heads `H_I`.
    public var indexHeads: Int
    /// Indexer head dimension `d_I`.
    public var indexHeadDim: Int
    /// Entries kept per query, `k`.
    public var indexTopK: Int

    /// DSA over `latent` with `indexHeads` × `indexHeadDim` indexer heads keeping `indexTopK` entries.
    public init(latent: MultiHeadLatentAttention, indexHeads: Int, indexHeadDim: Int, indexTopK: Int) {
        self.latent = latent
        self.indexHeads = indexHeads
        self.indexHeadDim = indexHeadDim
        self.indexTopK = indexTopK
    }

    public var design: AttentionDesign { .deepSeekSparse }
    public var layerKinds: [AttentionLayerKind] { latent.layerKinds }
    public var hasIndexer: Bool { true }

    /// MLA parameters plus the indexer's query, key (with LayerNorm) and head-weight projections.
    public func parameters(for kind: AttentionLayerKind) -> Int {
        let qr = latent.queryLatentRank ?? latent.hiddenSize
        let indexer = qr * indexHeads * indexHeadDim
            + latent.hiddenSize * indexHeadDim + 2 * indexHeadDim
            + latent.hiddenSize * indexHeads
        return latent.parameters(for: kind) + indexer
    }

    /// Indexer FLOPs per cached key scored: `2·H_I·d_I + 2·H_I`.
    public var indexerFlopsPerKey: Double {
        2 * Double(indexHeads) * Double(indexHeadDim) + 2 * Double(indexHeads)
    }

    /// Bytes per token per layer: the MLA entry plus the indexer key.
    public func bytesPerToken(_ storage: KVStorage) -> (main: Int, indexer: Int) {
        (latent.bytesPerToken(storage.kv), KVEntryLayout.indexerKeyBytes(dim: indexHeadDim, format: storage.indexer))
    }

    /// `n · (e_mla + e_idx)`.
    public func kvCacheBytes(for kind: AttentionLayerKind, context: Int, storage: KVStorage) -> Double {
        let e = bytesPerToken(storage)
        return Double(context) * Double(e.main + e.indexer)
    }

    /// Entries the main attention reads at `context`: `min(n, k)`.
    public func selectedEntries(context: Int) -> Int { Swift.min(context, indexTopK) }

    /// Core `2·n_h·(2·d_c + d_h^R)·min(n, k)`, indexer `(2·H_I·d_I + 2·H_I)·n` FLOPs;
    /// reads `min(n, k)·e_mla + n·e_idx` bytes; writes one entry and one indexer key.
    public func decodeCost(for kind: AttentionLayerKind, context: Int, storage: KVStorage) -> AttentionCost {
        let e = bytesPerToken(storage)
        let selected = Double(selectedEntries(context: context)), n = Double(context)
        return AttentionCost(flops: latent.flopsPerKey(.absorbed) * selected,
                             indexerFlops: indexerFlopsPerKey * n,
                             kvBytesRead: selected * Double(e.main),
                             indexerBytesRead: n * Double(e.indexer),
                             bytesWritten: Double(e.main + e.indexer))
    }

    /// Core `flopsPerKey · Σ min(t, k)` and indexer `indexerFlopsPerKey · n(n+1)/2` over t = 1…n.
    public func prefillCost(for kind: AttentionLayerKind, tokens: Int, storage: KVStorage) -> AttentionCost {
        let e = bytesPerToken(storage)
        let n = Double(tokens)
        return AttentionCost(
            flops: latent.flopsPerKey(.absorbed) * PositionSums.cappedPositions(tokens, cap: indexTopK),
            indexerFlops: indexerFlopsPerKey * PositionSums.triangle(tokens),
            kvBytesRead: n * Double(e.main), indexerBytesRead: n * Double(e.indexer),
            bytesWritten: n * Double(e.main + e.indexer))
    }
}
