//===--- BiasUpdate.swift - Auxiliary-loss-free load balancing ------------===//
//
// Wang et al., "Auxiliary-Loss-Free Load Balancing Strategy for Mixture-of-Experts",
// arXiv 2408.15664; DeepSeek-V3 technical report, arXiv 2412.19437 §2.1.2 (γ = 0.001 for most
// of pre-training); Megatron-LM `get_updated_expert_bias`
// (`NVIDIA/Megatron-LM:megatron/core/transformer/moe/moe_utils.py`).
//
//===----------------------------------------------------------------------===//

/// The auxiliary-loss-free balancing of DeepSeek-V3: after each step, move every expert's
/// selection-only correction bias one fixed step toward balance.
///
/// For each expert `e`, with `count` the slots per expert of the step:
///
///     b_e ← b_e + rate · sign(mean(count) − count_e),   mean(count) = Σ count / E
///
/// Overloaded experts (above the mean) lose `rate`, underloaded ones gain `rate`, and an
/// expert exactly at the mean keeps its bias (`sign(0) = 0`). The bias enters only the
/// selection keys (`score + bias`, see ``Router``), never the weights. DeepSeek-V3 uses
/// `rate = 0.001` (γ in arXiv 2412.19437); Megatron calls it `--moe-router-bias-update-rate`.
///
/// The comparison with the mean is exact (integer arithmetic), so an expert equal to the mean
/// is never nudged by rounding.
public enum AuxLossFreeBalancing {
    /// Applies one update to `bias` in place.
    ///
    /// - Parameters:
    ///   - bias: The correction bias `[E]`, finite.
    ///   - counts: Slots per expert `[E]` of the step (summed over the whole batch), each ≥ 0.
    ///   - rate: The step `γ`, finite and ≥ 0 (0 leaves the bias unchanged).
    /// - Throws: ``LoadBalanceError/invalidExpertCount(_:)`` for an empty bias,
    ///   ``LoadBalanceError/sizeMismatch(_:expected:actual:)`` when the sizes differ,
    ///   ``LoadBalanceError/negativeCount(expert:count:)``,
    ///   ``LoadBalanceError/invalidRate(_:)``, ``LoadBalanceError/nonFiniteBias(expert:value:)``,
    ///   or ``LoadBalanceError/overflow(_:)`` when the counts' sum does not fit in `Int`. On an
    ///   error `bias` is unchanged.
    /// - Complexity: O(*E*).
    public static func update(bias: inout [Float], counts: [Int], rate: Float) throws(LoadBalanceError) {
        guard !bias.isEmpty else { throw .invalidExpertCount(0) }
        guard counts.count == bias.count else { throw .sizeMismatch("counts", expected: bias.count, actual: counts.count) }
        guard rate.isFinite, rate >= 0 else { throw .invalidRate(rate) }
        if let e = bias.firstIndex(where: { !$0.isFinite }) { throw .nonFiniteBias(expert: e, value: bias[e]) }
        var sum = 0
        for (e, c) in counts.enumerated() {
            guard c >= 0 else { throw .negativeCount(expert: e, count: c) }
            let (next, overflow) = sum.addingReportingOverflow(c)
            guard !overflow else { throw .overflow("the sum of the counts") }
            sum = next
        }
        // mean = q + r/E exactly. With r = 0 compare with q; otherwise no integer equals the
        // mean, and count ≤ q means below it.
        let (q, r) = sum.quotientAndRemainder(dividingBy: counts.count)
        for e in counts.indices {
            let c = counts[e]
            let direction: Float = c > q ? -1 : (c < q || r > 0 ? 1 : 0)
            bias[e] += rate * direction
        }
    }

    /// The bias after one update; see ``update(bias:counts:rate:)``.
    public static func updated(bias: [Float], counts: [Int], rate: Float) throws(LoadBalanceError) -> [Float] {
        var result = bias
        try update(bias: &result, counts: counts, rate: rate)
        return result
    }
}
