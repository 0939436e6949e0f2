//===--- HybridCompressedAttention.swift - DeepSeek-V4 CSA + HCA cost model ===//
//
// Mechanism: transformers `models/deepseek_v4/modular_deepseek_v4.py`; vLLM's DeepSeek-V4 blog
// post (`vllm-project/vllm-project.github.io:_posts/2026-04-24-deepseek-v4.md`).
// Formulas and parameter counts: derived here from that mechanism and the config.
//
//===----------------------------------------------------------------------===//

/// DeepSeek-V4's hybrid attention: every layer keeps a raw sliding window of `W` tokens; CSA
/// layers add one compressed entry per `m = 4` tokens, of which a lightning indexer keeps the
/// top `k`; HCA layers add one compressed entry per `m' = 128` tokens, all attended.
///
/// Shapes, per layer:
/// - `h`: hidden size; `n_h`: query heads; `D` (`head_dim`, 512): the single shared K = V head;
///   `d_R` (`qk_rope_head_dim`, 64) of its dims carry RoPE; `W` (`sliding_window`, 128).
/// - Main entries (window and compressed) are `D` wide: 1,024 B in BF16, 584 B in FP8
///   (``KVEntryLayout/compressedEntryBytes(headDim:rope:format:)``). Indexer keys are
///   `d_I` = 128 wide: 256 / 132 / 68 B in BF16 / FP8 / FP4.
/// - Entries visible at context n: window `min(n, W)`; compressed `⌊n/m⌋` (entry j closes at
///   position m·j + m − 1, vLLM V4 blog).
/// - A query attending to `a` main entries costs `2·n_h·(D + D)·a` FLOPs (QK and PV are both
///   `D` wide because K = V). CSA adds indexer scoring `(2·H_I·d_I + 2·H_I)·⌊n/m⌋`.
///
/// | layer | entries attended | cache entries |
/// |---|---|---|
/// | sliding-only (`compress_ratios` 0) | `min(n,W)` | `min(n,W)` main |
/// | CSA (4) | `min(n,W) + min(⌊n/4⌋, k)` | `min(n,W) + ⌊n/4⌋` main, `⌊n/4⌋` indexer |
/// | HCA (128) | `min(n,W) + ⌊n/128⌋` | `min(n,W) + ⌊n/128⌋` main |
///
/// > Note: Not modelled: the compressors' rolling state (8 tokens for CSA, 128 for HCA, a fixed
/// > size per sequence independent of n), per-head attention sinks (O(n_h) FLOPs) and the inverse
/// > RoPE on the output. The compressor projections are counted as parameters (hence weight
/// > FLOPs); their softmax pooling is not.
///
/// - Complexity: every cost is O(1) in the context length.
public struct HybridCompressedAttention: AttentionCostModel, Hashable {
    /// Hidden size `h`.
    public var hiddenSize: Int
    /// Query heads `n_h`.
    public var heads: Int
    /// Width `D` of the shared K = V head.
    public var headDim: Int
    /// RoPE dimensions `d_R` of the head.
    public var ropeHeadDim: Int
    /// Query latent `d_c'` (`q_lora_rank`).
    public var queryLatentRank: Int
    /// Output projection groups `g` (`o_groups`).
    public var outputGroups: Int
    /// Rank per output group (`o_lora_rank`).
    public var outputRank: Int
    /// Raw sliding window `W`.
    public var window: Int
    /// Indexer heads `H_I`.
    public var indexHeads: Int
    /// Indexer head dimension `d_I`.
    public var indexHeadDim: Int
    /// Compressed entries the CSA indexer keeps, `k`.
    public var indexTopK: Int
    /// The kind of each layer, from `compress_ratios`.
    public var layerKinds: [AttentionLayerKind]

    /// A DeepSeek-V4 attention stack; `layerKinds` normally comes from `compress_ratios` via
    /// ``layerKind(compressRatio:window:)``.
    public init(hiddenSize: Int, heads: Int, headDim: Int, ropeHeadDim: Int, queryLatentRank: Int,
                outputGroups: Int, outputRank: Int, window: Int, indexHeads: Int, indexHeadDim: Int,
                indexTopK: Int, layerKinds: [AttentionLayerKind]) {
        self.hiddenSize = hiddenSize
        self.heads = heads
        self.headDim = headDim
        self.ropeHeadDim = ropeHeadDim
        self.queryLatentRank = queryLatentRank
        self.outputGroups = outputGroups
        self.outputRank = outputRank
        self.window = window
        self.indexHeads = indexHeads
        self.indexHeadDim = indexHeadDim
        self.indexTopK = indexTopK
        self.layerKinds = layerKinds
    }

    /// The layer kind for one `compress_ratios` entry, or `nil` for an unsupported ratio:
    /// 0 → sliding window only, 4 → CSA, 128 → HCA (transformers `_COMPRESS_RATIO_TO_LAYER_TYPE`).
    public static func layerKind(compressRatio: Int, window: Int) -> AttentionLayerKind? {
        switch compressRatio {
        case 0: return .slidingWindow(window)
        case 4: return .compressedSparse(ratio: 4)
        case 128: return .heavilyCompressed(ratio: 128)
        default: return nil
        }
    }

    public var design: AttentionDesign { .compressedHybrid }
    public var hasIndexer: Bool { layerKinds.contains { if case .compressedSparse = $0 { return true } else { return false } } }

    /// Core: `h·d_c' + d_c'·n_h·D` (query, with norms) + `h·D` (KV) + `n_h·D·o_rank` (grouped
    /// output, block-diagonal) + `g·o_rank·h` + `n_h` sinks. CSA adds the compressor
    /// (`kv` and `gate`, `h → 2·D` each), the indexer compressor (`h → 2·d_I` each), index
    /// queries `d_c' → H_I·d_I` and head weights `h → H_I`. HCA adds its compressor (`h → D`
    /// each for `kv` and `gate`).
    public func parameters(for kind: AttentionLayerKind) -> Int {
        let h = hiddenSize, d = headDim
        var p = h * queryLatentRank + queryLatentRank + queryLatentRank * heads * d
            + h * d + d
            + heads * d * outputRank + outputGroups * outputRank * h
            + heads
        switch kind {
        case .compressedSparse:
            p += 2 * h * 2 * d + 2 * h * 2 * indexHeadDim
                + queryLatentRank * indexHeads * indexHeadDim + h * indexHeads
        case .heavilyCompressed:
            p += 2 * h * d
        case .full, .slidingWindow, .chunked, .sharedIndex, .linear:
            break
        }
        return p
    }

    /// FLOPs per main entry attended: `2·n_h·(D + D)`.
    public var flopsPerKey: Double { 4 * Double(heads) * Double(headDim) }

    /// Indexer FLOPs per compressed entry scored: `2·H_I·d_I + 2·H_I`.
    public var indexerFlopsPerKey: Double { 2 * Double(indexHeads) * Double(indexHeadDim) + 2 * Double(indexHeads) }

    /// Bytes of one main entry and one indexer key.
    public func entryBytes(_ storage: KVStorage) -> (main: Double, indexer: Double) {
        (Double(KVEntryLayout.compressedEntryBytes(headDim: headDim, rope: ropeHeadDim, format: storage.kv)),
         Double(KVEntryLayout.indexerKeyBytes(dim: indexHeadDim, format: storage.indexer)))
    }

    /// Cached (main, indexer) entries of a layer at `context`.
    public func cachedEntries(_ kind: AttentionLayerKind, context n: Int) -> (main: Int, indexer: Int) {
        let w = Swift.min(n, window)
        switch kind {
        case .slidingWindow(let ww): return (Swift.min(n, ww), 0)
        case .compressedSparse(let m): return (w + n / m, n / m)
        case .heavilyCompressed(let m): return (w + n / m, 0)
        case .full, .chunked, .sharedIndex: return (n, 0) // the last two are other designs' kinds
        case .linear: return (0, 0)
        }
    }

    /// (main entries attended, indexer keys scored) by a query at `context`.
    public func attendedEntries(_ kind: AttentionLayerKind, context n: Int) -> (main: Int, scored: Int) {
        let w = Swift.min(n, window)
        switch kind {
        case .slidingWindow(let ww): return (Swift.min(n, ww), 0)
        case .compressedSparse(let m): return (w + Swift.min(n / m, indexTopK), n / m)
        case .heavilyCompressed(let m): return (w + n / m, 0)
        case .full, .chunked, .sharedIndex: return (n, 0) // the last two are other designs' kinds
        case .linear: return (0, 0)
        }
    }

    /// Compressed entries a layer holds at `context`: `⌊n/m⌋`, or 0 for sliding-only layers.
    public func compressedEntries(_ kind: AttentionLayerKind, context n: Int) -> Int {
        switch kind {
        case .compressedSparse(let m), .heavilyCompressed(let m): return n / m
        case .slidingWindow, .full, .chunked, .sharedIndex, .linear: return 0
        }
    }

    /// `main entries · e_m + indexer keys · e_i` (table above).
    public func kvCacheBytes(for kind: AttentionLayerKind, context: Int, storage: KVStorage) -> Double {
        let e = entryBytes(storage), c = cachedEntries(kind, context: context)
        return Double(c.main) * e.main + Double(c.indexer) * e.indexer
    }

    /// Core `flopsPerKey · entries attended`, CSA indexer `indexerFlopsPerKey · ⌊n/m⌋`; bytes
    /// read are the entries attended and the indexer keys scored.
    public func decodeCost(for kind: AttentionLayerKind, context: Int, storage: KVStorage) -> AttentionCost {
        let e = entryBytes(storage), a = attendedEntries(kind, context: context)
        // Written this step: one raw window entry, plus a compressed entry (and indexer key) when
        // this token closes a window.
        let closed = Double(compressedEntries(kind, context: context) - compressedEntries(kind, context: context - 1))
        let indexerKeys = kind.isCompressedSparse ? closed : 0
        let written = (1 + closed) * e.main + indexerKeys * e.indexer
        return AttentionCost(flops: flopsPerKey * Double(a.main),
                             indexerFlops: indexerFlopsPerKey * Double(a.scored),
                             kvBytesRead: Double(a.main) * e.main,
                             indexerBytesRead: Double(a.scored) * e.indexer,
                             bytesWritten: written)
    }

    /// Sums of the decode terms over positions 1…n, in closed form (``PositionSums``).
    public func prefillCost(for kind: AttentionLayerKind, tokens n: Int, storage: KVStorage) -> AttentionCost {
        let e = entryBytes(storage), c = cachedEntries(kind, context: n)
        let windowSum = PositionSums.cappedPositions(n, cap: window)
        var keys: Double, scored = 0.0
        switch kind {
        case .slidingWindow(let w): keys = PositionSums.cappedPositions(n, cap: w)
        case .compressedSparse(let m):
            keys = windowSum + PositionSums.selectedCompressedEntries(n, ratio: m, cap: indexTopK)
            scored = PositionSums.compressedEntries(n, ratio: m)
        case .heavilyCompressed(let m): keys = windowSum + PositionSums.compressedEntries(n, ratio: m)
        case .full, .chunked, .sharedIndex: keys = PositionSums.triangle(n)
        case .linear: keys = 0
        }
        // Every token's raw entry passes through the window; compressed entries are written once.
        let compressed = compressedEntries(kind, context: n)
        return AttentionCost(flops: flopsPerKey * keys, indexerFlops: indexerFlopsPerKey * scored,
                             kvBytesRead: Double(c.main) * e.main, indexerBytesRead: Double(c.indexer) * e.indexer,
                             bytesWritten: Double(n + compressed) * e.main + Double(c.indexer) * e.indexer)
    }
}
