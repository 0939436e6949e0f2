//===--- LoadStatistics.swift - How evenly one batch loads the experts ----===//
//
// Metrics (MoEKit's definitions): mean = T·k/E, imbalance
// max/mean, MaxVio = max/mean − 1 (Wang et al., "Auxiliary-Loss-Free Load Balancing Strategy
// for Mixture-of-Experts", arXiv 2408.15664), CV with the population standard deviation.
//
//===----------------------------------------------------------------------===//

/// How evenly one batch of routed tokens loads the experts.
///
/// A batch of `T` tokens routed top-`k` over `E` experts fills `T · k` slots; `counts[e]` is
/// the number of slots (token, expert pairs) that went to expert `e`. The balanced load is
/// ``mean`` `= T · k / E` slots per expert, and the statistics compare the experts against it:
///
/// | property | definition |
/// |---|---|
/// | ``imbalance`` | `max / mean` (1 is perfect balance) |
/// | ``maxViolation`` | `max / mean − 1` (MaxVio, arXiv 2408.15664) |
/// | ``coefficientOfVariation`` | population standard deviation of `counts` / `mean` |
/// | ``idleExperts`` | experts with count 0 |
///
/// The heaviest expert sets the time of an MoE layer's step when experts run in parallel, so
/// ``imbalance`` is the slowdown against perfect balance.
///
/// **Dropped slots.** Counts may add up to fewer than `T · k` slots: a capacity-limited layer
/// drops the slots above an expert's capacity (Switch Transformer, arXiv 2101.03961; GShard,
/// arXiv 2006.16668). ``mean`` is still `T · k / E`, the balanced load of all routed slots, and
/// ``droppedSlots`` says how many are missing. Routing indices never drop a slot.
///
/// **Empty batch.** With `T = 0` every count is 0 and `mean` is 0; the batch counts as
/// perfectly balanced: ``imbalance`` 1, ``maxViolation`` 0, ``coefficientOfVariation`` 0, and
/// every expert is idle. No statistic is NaN.
///
/// Use ``ExpertLoad/measured(selectionCounts:tokens:)`` with ``counts`` and ``tokens`` to feed
/// a measured distribution into cost estimation.
public struct LoadStatistics: Hashable, Sendable {
    /// Slots per expert, `[E]`.
    public let counts: [Int]
    /// Tokens in the batch, `T`.
    public let tokens: Int
    /// Experts chosen per token, `k`.
    public let topK: Int
    /// Filled slots, `Σ counts` (equal to `T · k` unless slots were dropped).
    public let slots: Int

    /// Creates statistics from per-expert slot counts.
    ///
    /// - Parameters:
    ///   - counts: Slots per expert `[E]`, `E ≥ 1`; each in `0...tokens`.
    ///   - tokens: Tokens in the batch, `T ≥ 0`.
    ///   - topK: Experts per token, in `1...E`.
    /// - Throws: ``LoadBalanceError`` for no experts, a top-k outside `1...E`, negative
    ///   tokens, a negative count, a count above `tokens`, or counts adding up to more than
    ///   `tokens · topK`.
    /// - Complexity: O(*E*).
    public init(counts: [Int], tokens: Int, topK: Int) throws(LoadBalanceError) {
        guard (1...RouterConfiguration.maximumExperts).contains(counts.count) else { throw .invalidExpertCount(counts.count) }
        guard (1...counts.count).contains(topK) else { throw .invalidTopK(topK, experts: counts.count) }
        guard tokens >= 0 else { throw .negativeTokens(tokens) }
        let (capacity, overflow) = tokens.multipliedReportingOverflow(by: topK)
        guard !overflow else { throw .overflow("tokens × top-k") }
        var sum = 0
        for (e, c) in counts.enumerated() {
            guard c >= 0 else { throw .negativeCount(expert: e, count: c) }
            guard c <= tokens else { throw .countExceedsTokens(expert: e, count: c, tokens: tokens) }
            let (next, over) = sum.addingReportingOverflow(c)
            guard !over else { throw .overflow("the sum of the counts") }
            sum = next
            guard sum <= capacity else { throw .slotsExceedCapacity(slots: sum, tokens: tokens, topK: topK) }
        }
        self.counts = counts
        self.tokens = tokens
        self.topK = topK
        self.slots = sum
    }

    /// Creates statistics from routing indices `[T, k]`, row-major, as a ``Router`` writes them.
    ///
    /// - Parameters:
    ///   - indices: Expert indices `[T, k]`; each in `0..<experts`, distinct within a row.
    ///   - topK: Experts per token, `k`, in `1...experts`.
    ///   - experts: Number of experts, `E ≥ 1`.
    /// - Throws: ``LoadBalanceError/raggedIndices(count:topK:)`` when `indices.count` is not a
    ///   multiple of `k`, ``LoadBalanceError/indexOutOfRange(token:slot:value:experts:)`` naming
    ///   the first bad entry, ``LoadBalanceError/duplicateExpert(token:expert:)`` for a row that
    ///   repeats an expert, or an invalid `E` or `k`.
    /// - Complexity: O(*T* · *k* + *E*).
    public init(indices: UnsafeBufferPointer<Int32>, topK: Int, experts: Int) throws(LoadBalanceError) {
        let counts = try Self.count(indices: indices, topK: topK, experts: experts)
        try self.init(counts: counts, tokens: indices.count / topK, topK: topK)
    }

    /// Creates statistics from routing indices `[T, k]` in an array; the same checks as the
    /// buffer-pointer initializer.
    public init(indices: [Int32], topK: Int, experts: Int) throws(LoadBalanceError) {
        let counts = try indices.withUnsafeBufferPointer { (p) throws(LoadBalanceError) in
            try Self.count(indices: p, topK: topK, experts: experts)
        }
        try self.init(counts: counts, tokens: indices.count / topK, topK: topK)
    }

    /// Creates statistics from a routed batch of a router with `experts` experts.
    public init(_ result: RoutingResult, experts: Int) throws(LoadBalanceError) {
        try self.init(indices: result.indices, topK: result.topK, experts: experts)
    }

    /// Counts slots per expert, checking every entry.
    static func count(indices: UnsafeBufferPointer<Int32>, topK: Int, experts: Int) throws(LoadBalanceError) -> [Int] {
        guard (1...RouterConfiguration.maximumExperts).contains(experts) else { throw .invalidExpertCount(experts) }
        guard (1...experts).contains(topK) else { throw .invalidTopK(topK, experts: experts) }
        guard indices.count % topK == 0 else { throw .raggedIndices(count: indices.count, topK: topK) }
        var counts = [Int](repeating: 0, count: experts)
        // lastToken[e] = the last token that chose e, to find a repeat in O(1).
        var lastToken = [Int](repeating: -1, count: experts)
        for (p, value) in indices.enumerated() {
            let t = p / topK
            guard value >= 0, Int(value) < experts else {
                throw .indexOutOfRange(token: t, slot: p % topK, value: value, experts: experts)
            }
            let e = Int(value)
            guard lastToken[e] != t else { throw .duplicateExpert(token: t, expert: e) }
            lastToken[e] = t
            counts[e] += 1
        }
        return counts
    }

    /// Number of experts, `E`.
    public var experts: Int { counts.count }

    /// The balanced load `T · k / E`, in slots per expert (0 for an empty batch).
    public var mean: Double { Double(tokens) * Double(topK) / Double(experts) }

    /// The heaviest expert's count.
    public var max: Int { counts.max() ?? 0 }

    /// The lightest expert's count.
    public var min: Int { counts.min() ?? 0 }

    /// Slots of the batch that no expert holds: `T · k − slots`.
    public var droppedSlots: Int { tokens * topK - slots }

    /// `max / mean`: how much longer the heaviest expert works than under perfect balance.
    /// 1 for an empty batch.
    public var imbalance: Double {
        tokens == 0 ? 1 : Double(max) / mean
    }

    /// MaxVio of arXiv 2408.15664: `max / mean − 1`. 0 for an empty batch.
    public var maxViolation: Double { imbalance - 1 }

    /// Population standard deviation of ``counts`` (about their average `slots / E`) divided by
    /// ``mean``. 0 for an empty batch.
    ///
    /// - Complexity: O(*E*), two passes.
    public var coefficientOfVariation: Double {
        guard tokens > 0 else { return 0 }
        let average = Double(slots) / Double(experts)
        var squares = 0.0
        for c in counts {
            let d = Double(c) - average
            squares += d * d
        }
        return (squares / Double(experts)).squareRoot() / mean
    }

    /// Each expert's count over ``mean``, `[E]` (all 1 for an empty batch).
    public var relativeLoads: [Double] {
        tokens == 0 ? counts.map { _ in 1 } : counts.map { Double($0) / mean }
    }

    /// Experts that received no slot.
    public var idleExperts: Int { counts.lazy.filter { $0 == 0 }.count }

    /// Experts that received at least one slot: the experts whose weights the step reads.
    public var distinctExperts: Int { experts - idleExperts }

    /// The `n` most loaded experts, heaviest first; equal counts by ascending expert index.
    ///
    /// - Complexity: O(*E* log *E*).
    public func hottestExperts(_ n: Int) -> [Int] {
        let order = counts.indices.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
        return Array(order.prefix(Swift.max(0, n)))
    }
}
