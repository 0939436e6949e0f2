//===--- GatedDeltaNet.swift - Gated DeltaNet linear-attention cost model -===//
//
// Layer shapes: transformers `models/qwen3_next/modeling_qwen3_next.py`
// (`Qwen3NextGatedDeltaNet`: `in_proj_qkvz`, `in_proj_ba`, `conv1d`, `dt_bias`, `A_log`, `norm`,
// `out_proj`; recurrent state `[n_v, d_k, d_v]`); config keys from Qwen/Qwen3-Next-80B-A3B-Instruct
// config.json (`linear_num_key_heads`, `linear_num_value_heads`, `linear_key_head_dim`,
// `linear_value_head_dim`, `linear_conv_kernel_dim`). FLOPs: ``DeltaRule``.
//
//===----------------------------------------------------------------------===//

/// Gated DeltaNet (Qwen3-Next, Qwen3.5): linear attention whose per-sequence state does not grow
/// with the context.
///
/// Shapes, per layer: `h` hidden size; `n_k` key heads of `d_k` dims (queries and keys);
/// `n_v` value heads of `d_v` dims (each key head serves `n_v / n_k` value heads); `K`
/// convolution taps over the `C = 2·n_k·d_k + n_v·d_v` channels of q, k and v.
///
/// - **State** per sequence and layer: the recurrent state `[n_v, d_k, d_v]` in the
///   ``RecurrentStateFormat`` (`s` bytes per element) plus the convolution state, the last
///   `K − 1` inputs of the `C` channels in BF16: `n_v·d_k·d_v·s + 2·C·(K − 1)` bytes
///   (Qwen3-Next in FP32: 32·128·128·4 + 2·8,192·3 = 2,146,304 B), whatever the context.
/// - **Decode**, per token: `n_v·7·d_k·d_v + 2·K·C` FLOPs (``DeltaRule``); the whole state is read
///   and written once.
/// - **Prefill** of `n` tokens: `n_v·(⌊n/64⌋·F(64) + F(n mod 64)) + 2·K·C·n` FLOPs, with `F` the
///   chunk cost of ``DeltaRule``; the state is read and written once.
///
/// - Complexity: every cost is O(1) in the context length.
public struct GatedDeltaNet: AttentionCostModel, Hashable {
    /// Hidden size `h`.
    public var hiddenSize: Int
    /// Query/key heads `n_k` (`linear_num_key_heads`).
    public var keyHeads: Int
    /// Value heads `n_v` (`linear_num_value_heads`).
    public var valueHeads: Int
    /// Query/key head dimension `d_k` (`linear_key_head_dim`).
    public var keyHeadDim: Int
    /// Value head dimension `d_v` (`linear_value_head_dim`).
    public var valueHeadDim: Int
    /// Short-convolution taps `K` (`linear_conv_kernel_dim`).
    public var convolutionKernel: Int
    /// Number of layers (all Gated DeltaNet).
    public var layers: Int

    /// A stack of `layers` Gated DeltaNet layers.
    public init(hiddenSize: Int, keyHeads: Int, valueHeads: Int, keyHeadDim: Int, valueHeadDim: Int,
                convolutionKernel: Int, layers: Int) {
        self.hiddenSize = hiddenSize
        self.keyHeads = keyHeads
        self.valueHeads = valueHeads
        self.keyHeadDim = keyHeadDim
        self.valueHeadDim = valueHeadDim
        self.convolutionKernel = convolutionKernel
        self.layers = layers
    }

    public var design: AttentionDesign { .gatedDeltaNet }
    /// `layers` entries of `.linear` (none for a negative count, which ``ModelSpec`` then refuses).
    public var layerKinds: [AttentionLayerKind] { Array(repeating: .linear, count: Swift.max(layers, 0)) }
    public var hasIndexer: Bool { false }

    /// Convolution channels `C = 2·n_k·d_k + n_v·d_v` (q, k and v).
    public var convolutionChannels: Int { 2 * keyHeads * keyHeadDim + valueHeads * valueHeadDim }

    /// `h·(2·n_k·d_k + 2·n_v·d_v)` (q, k, v and the output gate z) + `h·2·n_v` (β and the decay
    /// input a) + `C·K` (convolution) + `2·n_v` (`A_log`, `dt_bias`) + `d_v` (gated norm) +
    /// `n_v·d_v·h` (output).
    public func parameters(for kind: AttentionLayerKind) -> Int {
        let h = hiddenSize, key = keyHeads * keyHeadDim, value = valueHeads * valueHeadDim
        return h * (2 * key + 2 * value) + h * 2 * valueHeads + convolutionChannels * convolutionKernel
            + 2 * valueHeads + valueHeadDim + value * h
    }

    /// The delta-rule heads: `n_v` value heads (keys repeated across each group of
    /// `n_v / n_k`), each with a `[d_k, d_v]` state.
    var deltaRule: DeltaRule.Layer {
        DeltaRule.Layer(heads: valueHeads, keyDim: keyHeadDim, valueDim: valueHeadDim,
                        convolutionChannels: convolutionChannels, kernel: convolutionKernel)
    }

    /// `n_v·d_k·d_v·s + 2·C·(K − 1)` bytes, constant in the context.
    public func stateBytes(for kind: AttentionLayerKind, storage: KVStorage) -> Double {
        deltaRule.stateBytes(storage)
    }

    /// The state: a linear layer holds nothing that grows with `context`.
    public func kvCacheBytes(for kind: AttentionLayerKind, context: Int, storage: KVStorage) -> Double {
        stateBytes(for: kind, storage: storage)
    }

    /// `n_v·7·d_k·d_v + 2·K·C` FLOPs; the state read and written once, at any context.
    public func decodeCost(for kind: AttentionLayerKind, context: Int, storage: KVStorage) -> AttentionCost {
        deltaRule.decodeCost(storage)
    }

    /// `n_v·(⌊n/64⌋·F(64) + F(n mod 64)) + 2·K·C·n` FLOPs (chunked form); state read and written once.
    public func prefillCost(for kind: AttentionLayerKind, tokens: Int, storage: KVStorage) -> AttentionCost {
        deltaRule.prefillCost(tokens: tokens, storage)
    }
}
