//===--- SyntheticLogits.swift - Seeded router logits with skewed load ----===//
//
// The Gumbel-max / Gumbel-top-k construction: Gumbel (1954); Yellott, "The relationship
// between Luce's choice axiom, Thurstone's theory of comparative judgment, and the double
// exponential distribution", J. Math. Psych. 1977; Kool, van Hoof and Welling, "Stochastic
// Beams and Where to Find Them", ICML 2019 (arXiv 1903.06059).
//
//===----------------------------------------------------------------------===//

import Foundation

/// Seeded router logits `[T, E]` whose routing load follows a chosen popularity, for
/// studying load balance without a model.
///
/// Every expert `e` has a popularity `p_e ∝ rank_e^(−s)`, normalised to `Σ p_e = 1` (a Zipf
/// law with exponent `s` = ``skew``; `s = 0` is uniform routing). Each logit is
///
///     logit[t, e] = log p_e + g[t, e],   g = −log(−log u),  u uniform in (0, 1)
///
/// with independent standard Gumbel noise `g`. By the Gumbel-top-k property:
///
/// - a token's top-1 expert is `e` with probability exactly `p_e`;
/// - its top-k experts are a sample of `k` experts without replacement, drawn one after the
///   other with probabilities ∝ `p_e` among those left (the Plackett–Luce model).
///
/// Any scoring that preserves the order of a row (softmax, sigmoid, sqrt-softplus, or the raw
/// logits) selects the same experts, so the property holds for every ``Router`` without a
/// correction bias and without a group limit. A bias or a group limit changes the selection:
/// that is what they are for. (In float32 a very large skew can saturate sigmoid scores into
/// ties, which the router breaks by index.)
///
/// Which experts are popular is set by ``PopularityOrder``: a seeded random permutation by
/// default, or expert 0 most popular, the worst case for a contiguous ``ExpertPlacement``.
///
/// Randomness comes from ``SeededGenerator`` only: equal arguments give equal logits on every
/// machine. The permutation is drawn first, then the noise, row by row.
public struct SyntheticLogits: Sendable {
    /// Which experts get the high popularities.
    public enum PopularityOrder: String, CaseIterable, Hashable, Sendable {
        /// Ranks are a seeded random permutation of the experts (realistic: a trained
        /// model's popular experts are scattered over the indices).
        case shuffled
        /// Expert 0 is the most popular, then expert 1, and so on.
        case ascendingIndex = "ascending-index"
    }

    /// The largest accepted ``skew``; far beyond it every token picks the same `k` experts
    /// anyway, and `log p_e` would leave the float32 range.
    public static let maximumSkew = 100.0

    /// Number of experts, `E`.
    public let experts: Int
    /// The Zipf exponent `s ≥ 0`.
    public let skew: Double
    /// How popularity ranks map to experts.
    public let popularityOrder: PopularityOrder
    /// `p_e` for each expert, `[E]`, summing to 1: the top-1 probability of expert `e`.
    public let popularity: [Double]
    /// The popularity rank of each expert, `[E]`, 1 = most popular.
    public let popularityRank: [Int]
    private let logPopularity: [Double]
    private var generator: SeededGenerator

    /// Creates a generator of logits for `experts` experts.
    ///
    /// - Parameters:
    ///   - experts: `E ≥ 1`.
    ///   - skew: The Zipf exponent `s`, finite, in `0...100`.
    ///   - popularityOrder: Which experts are popular; ``PopularityOrder/shuffled`` by default.
    ///   - seed: Seed of the permutation and the noise.
    /// - Throws: ``LoadBalanceError/invalidExpertCount(_:)`` or
    ///   ``LoadBalanceError/invalidSkew(_:)``.
    /// - Complexity: O(*E*).
    public init(experts: Int, skew: Double, popularityOrder: PopularityOrder = .shuffled,
                seed: UInt64) throws(LoadBalanceError) {
        guard (1...RouterConfiguration.maximumExperts).contains(experts) else { throw .invalidExpertCount(experts) }
        guard skew.isFinite, skew >= 0, skew <= Self.maximumSkew else { throw .invalidSkew(skew) }
        var generator = SeededGenerator(seed: seed)
        var rankOf = Array(1...experts)
        if popularityOrder == .shuffled {
            // Fisher–Yates with the project's generator (not the standard library's shuffle,
            // whose draws may change between Swift versions). Modulo bias ≤ E / 2^64.
            for i in stride(from: experts - 1, to: 0, by: -1) {
                let j = Int(generator.next() % UInt64(i + 1))
                rankOf.swapAt(i, j)
            }
        }
        // log p_e = −s·log(rank) − log Z with Z = Σ_r r^(−s) ≥ 1 (its first term is 1), so no
        // term underflows to log 0.
        var z = 0.0
        for r in 1...experts { z += Foundation.exp(-skew * Foundation.log(Double(r))) }
        let logZ = Foundation.log(z)
        let logP = rankOf.map { -skew * Foundation.log(Double($0)) - logZ }
        self.experts = experts
        self.skew = skew
        self.popularityOrder = popularityOrder
        self.popularityRank = rankOf
        self.logPopularity = logP
        self.popularity = logP.map { Foundation.exp($0) }
        self.generator = generator
    }

    /// Fills `buffer` with the next `buffer.count / E` rows of logits `[T, E]`.
    ///
    /// - Throws: ``LoadBalanceError/sizeMismatch(_:expected:actual:)`` when `buffer.count` is
    ///   not a multiple of `E` (nothing is written then).
    /// - Complexity: O(*T* · *E*), two logarithms per value.
    public mutating func fill(_ buffer: UnsafeMutableBufferPointer<Float>) throws(LoadBalanceError) {
        guard buffer.count % experts == 0 else {
            throw .sizeMismatch("logits buffer (whole rows of \(experts))",
                                expected: buffer.count / experts * experts, actual: buffer.count)
        }
        var e = 0
        for i in buffer.indices {
            // u = (m + 0.5) / 2^53 with m the top 53 bits: uniform in (0, 1), never 0 or 1.
            let u = (Double(generator.next() >> 11) + 0.5) * 0x1p-53
            buffer[i] = Float(logPopularity[e] - Foundation.log(-Foundation.log(u)))
            e += 1
            if e == experts { e = 0 }
        }
    }

    /// The next `tokens` rows of logits `[T, E]`, row-major.
    ///
    /// - Parameter availableMemory: Bytes the logits may take (4·T·E);
    ///   ``SystemMemory/availableBytes`` by default, `nil` skips the check.
    /// - Throws: ``LoadBalanceError/negativeTokens(_:)``, ``LoadBalanceError/overflow(_:)``, or
    ///   ``LoadBalanceError/insufficientMemory(_:)`` before allocating logits that would not fit.
    public mutating func next(tokens: Int, availableMemory: Int? = SystemMemory.availableBytes) throws(LoadBalanceError) -> [Float] {
        guard tokens >= 0 else { throw .negativeTokens(tokens) }
        let (count, overflow) = tokens.multipliedReportingOverflow(by: experts)
        guard !overflow else { throw .overflow("tokens × experts") }
        do { try SystemMemory.require("synthetic logits", shape: [tokens, experts], elementBytes: 4, available: availableMemory) }
        catch { throw .insufficientMemory(error) }
        var values = [Float](repeating: 0, count: count)
        try values.withUnsafeMutableBufferPointer { (b) throws(LoadBalanceError) in try fill(b) }
        return values
    }
}
