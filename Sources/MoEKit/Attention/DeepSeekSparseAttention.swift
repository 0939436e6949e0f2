//===--- DeepSeekSparseAttention.swift - DSA (DeepSeek-V3.2) cost model ---===//
//
// Mechanism: the DeepSeek-V3.2-Exp paper (`deepseek-ai/DeepSeek-V3.2-Exp:DeepSeek_V3_2.pdf`) and
// its reference `Indexer` (`inference/model.py`). Per-layer costs: derived here from that code.
// Shared indexers: GLM-5.x (`glm_moe_dsa`), transformers `GlmMoeDsaConfig.indexer_types`
// (`models/glm_moe_dsa/configuration_glm_moe_dsa.py`).
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
/// **Shared indexers** (GLM-5.x, `indexer_types`): a layer of kind ``AttentionLayerKind/sharedIndex``
/// has no indexer. It attends to the `min(n, k)` entries the previous `.full` layer selected,
/// so it scores nothing, caches and reads no indexer keys, and has no indexer parameters: its
/// cache is `n · e_mla`, its decode cost the main attention alone. Every other layer kind is a
/// full DSA layer with its own indexer. GLM-5's attention under DSA is the same MLA latent
/// (`kv_lora_rank` 512 + `qk_rope_head_dim` 64 cached per token) in its absorbed form.
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
    /// The kind of each layer: `.full` (own indexer) or `.sharedIndex` (reuses the previous
    /// full layer's top-k).
    public var layerKinds: [AttentionLayerKind]

    /// DSA over `latent` with `indexHeads` × `indexHeadDim` indexer heads keeping `indexTopK`
    /// entries; `layerKinds` defaults to an indexer on every layer (DeepSeek-V3.2).
    public init(latent: MultiHeadLatentAttention, indexHeads: Int, indexHeadDim: Int, indexTopK: Int,
                layerKinds: [AttentionLayerKind]? = nil) {
        self.latent = latent
        self.indexHeads = indexHeads
        self.indexHeadDim = indexHeadDim
        self.indexTopK = indexTopK
        self.layerKinds = layerKinds ?? latent.layerKinds
    }

    public var design: AttentionDesign { .deepSeekSparse }
    public var hasIndexer: Bool { true }

    /// Whether a layer of `kind` runs (and caches keys for) its own indexer.
    @inlinable
    public func hasOwnIndexer(_ kind: AttentionLayerKind) -> Bool { kind != .sharedIndex }

    /// MLA parameters plus, on layers with their own indexer, the indexer's query, key (with
    /// LayerNorm) and head-weight projections.
    public func parameters(for kind: AttentionLayerKind) -> Int {
        guard hasOwnIndexer(kind) else { return latent.parameters(for: kind) }
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

    /// Bytes per token of a layer of `kind`: (MLA entry, indexer key or 0 on a shared layer).
    func entryBytes(_ kind: AttentionLayerKind, _ storage: KVStorage) -> (main: Double, indexer: Double) {
        let e = bytesPerToken(storage)
        return (Double(e.main), hasOwnIndexer(kind) ? Double(e.indexer) : 0)
    }

    /// `n · (e_mla + e_idx)`; `n · e_mla` on a shared-index layer.
    public func kvCacheBytes(for kind: AttentionLayerKind, context: Int, storage: KVStorage) -> Double {
        let e = entryBytes(kind, storage)
        return Double(context) * (e.main + e.indexer)
    }

    /// Entries the main attention reads at `context`: `min(n, k)`.
    public func selectedEntries(context: Int) -> Int { Swift.min(context, indexTopK) }

    /// Core `2·n_h·(2·d_c + d_h^R)·min(n, k)`, indexer `(2·H_I·d_I + 2·H_I)·n` FLOPs;
    /// reads `min(n, k)·e_mla + n·e_idx` bytes; writes one entry and one indexer key. A
    /// shared-index layer has the core terms only.
    public func decodeCost(for kind: AttentionLayerKind, context: Int, storage: KVStorage) -> AttentionCost {
        let e = entryBytes(kind, storage)
        let selected = Double(selectedEntries(context: context))
        let scored = hasOwnIndexer(kind) ? Double(context) : 0
        return AttentionCost(flops: latent.flopsPerKey(.absorbed) * selected,
                             indexerFlops: indexerFlopsPerKey * scored,
                             kvBytesRead: selected * e.main,
                             indexerBytesRead: scored * e.indexer,
                             bytesWritten: e.main + e.indexer)
    }

    /// Core `flopsPerKey · Σ min(t, k)` and indexer `indexerFlopsPerKey · n(n+1)/2` over
    /// t = 1…n (no indexer terms on a shared-index layer).
    public func prefillCost(for kind: AttentionLayerKind, tokens: Int, storage: KVStorage) -> AttentionCost {
        let e = entryBytes(kind, storage)
        let n = Double(tokens)
        let scored = hasOwnIndexer(kind) ? PositionSums.triangle(tokens) : 0
        return AttentionCost(
            flops: latent.flopsPerKey(.absorbed) * PositionSums.cappedPositions(tokens, cap: indexTopK),
            indexerFlops: indexerFlopsPerKey * scored,
            kvBytesRead: n * e.main, indexerBytesRead: n * e.indexer,
            bytesWritten: n * (e.main + e.indexer))
    }
}
