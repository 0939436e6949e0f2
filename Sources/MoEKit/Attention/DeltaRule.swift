//===--- DeltaRule.swift - FLOPs of the gated delta rule, recurrent and chunked ===//
//
// The gated delta rule S_t = α_t·S_{t−1}·(I − β_t·k_t·k_tᵀ) + β_t·k_t·v_tᵀ, o_t = S_tᵀ·q_t
// (Yang, Kautz, Hatamizadeh, "Gated Delta Networks", ICLR 2025, arXiv 2412.06464, eq. 10) and its
// chunkwise-parallel WY form (Yang et al., "Parallelizing Linear Transformers with the Delta
// Rule over Sequence Length", NeurIPS 2024, arXiv 2406.06484, §3), as the fla kernels compute
// it with chunks of 64 tokens (`fla-org/flash-linear-attention`, `chunk_gated_delta_rule`,
// `chunk_kda`: `chunk_size = 64`). FLOP counts are derived here from those equations.
//
//===----------------------------------------------------------------------===//

/// Closed-form FLOPs of one head of a gated delta-rule layer, whose state `S` is `[d_k, d_v]`.
///
/// **Decode** (recurrent form), per head and token: decay `α·S` (`d_k·d_v` multiplies), the
/// prediction `Sᵀk` (`2·d_k·d_v`), the rank-1 correction `S += k·(β(v − Sᵀk))ᵀ` (`2·d_k·d_v`)
/// and the read-out `Sᵀq` (`2·d_k·d_v`):
///
///     decode = 7·d_k·d_v
///
/// KDA's per-channel decay `diag(α)·S` costs the same `d_k·d_v` multiplies.
///
/// **Prefill** (chunked form), per head, for a chunk of `c` tokens with keys `K`, queries `Q`
/// `[c, d_k]` and values `V` `[c, d_v]`: `KKᵀ` and `QKᵀ` (`2·c²·d_k` each), the inverse of the
/// unit lower-triangular `c × c` matrix `T` (`c³/3`), `W = T·βK` (`2·c²·d_k`), `U = T·βV`
/// (`2·c²·d_v`), `U − W·S` (`2·c·d_k·d_v`), the output `Q·S + (QKᵀ ⊙ M)·(U − WS)`
/// (`2·c·d_k·d_v + 2·c²·d_v`) and the state update `γ·S + Kᵀ(U − WS)` (`d_k·d_v + 2·c·d_k·d_v`):
///
///     F(c) = c²·(6·d_k + 4·d_v) + c³/3 + 6·c·d_k·d_v + d_k·d_v      (F(0) = 0)
///
/// A prompt of `n` tokens is `⌊n/C⌋` full chunks and one of `n mod C`:
/// `prefill(n) = ⌊n/C⌋·F(C) + F(n mod C)`, linear in `n`. It is **not** the sum of the decode
/// steps (the chunked form trades `7·d_k·d_v` per token for `6·d_k·d_v` plus `O(C·(d_k + d_v))`).
///
/// Gate and normalisation arithmetic (`O(d_k + d_v)` per token and head) is not counted.
public enum DeltaRule {
    /// The chunk length of the fla kernels, 64 tokens.
    public static let chunkSize = 64

    /// Decode FLOPs of one head for one token: `7·d_k·d_v`.
    @inlinable
    public static func decodeFlops(keyDim dk: Int, valueDim dv: Int) -> Double {
        7 * Double(dk) * Double(dv)
    }

    /// FLOPs `F(c)` of one head for one chunk of `c` tokens (0 for `c = 0`).
    @inlinable
    public static func chunkFlops(_ c: Int, keyDim dk: Int, valueDim dv: Int) -> Double {
        guard c > 0 else { return 0 }
        let c = Double(c), k = Double(dk), v = Double(dv)
        return c * c * (6 * k + 4 * v) + c * c * c / 3 + 6 * c * k * v + k * v
    }

    /// Prefill FLOPs of one head for an `n`-token prompt: `⌊n/C⌋·F(C) + F(n mod C)`, with `C`
    /// = `chunk` (a `chunk` below 1 is taken as 1; a prompt of `n ≤ 0` tokens costs 0).
    ///
    /// - Complexity: O(1).
    @inlinable
    public static func prefillFlops(tokens n: Int, keyDim dk: Int, valueDim dv: Int, chunk: Int = chunkSize) -> Double {
        guard n > 0 else { return 0 }
        let c = Swift.max(chunk, 1)
        return Double(n / c) * chunkFlops(c, keyDim: dk, valueDim: dv) + chunkFlops(n % c, keyDim: dk, valueDim: dv)
    }

    /// FLOPs of a depthwise causal convolution of `kernel` taps over `channels` channels, per
    /// token: `2·K·channels`.
    @inlinable
    public static func convolutionFlops(channels: Int, kernel: Int) -> Double {
        2 * Double(kernel) * Double(channels)
    }

    /// Bytes of a short-convolution state: the last `K − 1` inputs of every channel, BF16.
    @inlinable
    public static func convolutionStateBytes(channels: Int, kernel: Int) -> Double {
        Double(channels) * Double(Swift.max(kernel - 1, 0)) * 2
    }

    /// One layer of `heads` delta-rule heads, each with a `[d_k, d_v]` state, after a short
    /// convolution of `K` taps over `C` channels: the costs ``GatedDeltaNet`` and
    /// ``KimiDeltaAttention`` share (they differ in their projections only).
    struct Layer {
        var heads: Int, keyDim: Int, valueDim: Int, convolutionChannels: Int, kernel: Int

        /// `heads·d_k·d_v·s + 2·C·(K − 1)` bytes: the recurrent state in `storage.state` and the
        /// BF16 convolution state.
        func stateBytes(_ storage: KVStorage) -> Double {
            Double(heads) * Double(keyDim) * Double(valueDim) * Double(storage.state.bytesPerElement)
                + convolutionStateBytes(channels: convolutionChannels, kernel: kernel)
        }

        /// `heads·7·d_k·d_v + 2·K·C` FLOPs; the state read and written once.
        func decodeCost(_ storage: KVStorage) -> AttentionCost {
            let state = stateBytes(storage)
            return AttentionCost(flops: Double(heads) * decodeFlops(keyDim: keyDim, valueDim: valueDim)
                                    + convolutionFlops(channels: convolutionChannels, kernel: kernel),
                                 kvBytesRead: state, bytesWritten: state)
        }

        /// `heads·(⌊n/64⌋·F(64) + F(n mod 64)) + 2·K·C·n` FLOPs; the state read and written once.
        func prefillCost(tokens n: Int, _ storage: KVStorage) -> AttentionCost {
            let state = stateBytes(storage)
            return AttentionCost(flops: Double(heads) * prefillFlops(tokens: n, keyDim: keyDim, valueDim: valueDim)
                                    + Double(Swift.max(n, 0)) * convolutionFlops(channels: convolutionChannels, kernel: kernel),
                                 kvBytesRead: state, bytesWritten: state)
        }
    }
}
