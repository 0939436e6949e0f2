//===--- LoadAccumulator.swift - Expert load over many batches ------------===//

/// Expert load summed over many batches, with the imbalance of each batch kept apart.
///
/// Summed counts smooth the load out: two batches that overload different experts add up to
/// a balanced total. But each step runs one batch, and its heaviest expert sets that step's
/// time, so the accumulator also keeps every batch's ``LoadStatistics/imbalance`` (max/mean):
/// ``meanBatchImbalance`` is the average slowdown per step, ``worstBatchImbalance`` the worst.
///
/// ```swift
/// var load = try LoadAccumulator(experts: 384, topK: 8, placement: .contiguous(experts: 384, ranks: 8))
/// for batch in batches { try load.add(indices: router.route(logits: batch).indices) }
/// print(load.total.imbalance, load.meanBatchImbalance, load.rankLoads?.imbalance ?? 1)
/// ```
public struct LoadAccumulator: Sendable {
    /// Number of experts, `E`.
    public let experts: Int
    /// Experts per token, `k`.
    public let topK: Int
    /// The expert-parallel placement whose per-rank load is tracked, if any.
    public let placement: ExpertPlacement?
    /// Slots per expert summed over all batches, `[E]`.
    public private(set) var counts: [Int]
    /// Tokens summed over all batches.
    public private(set) var tokens = 0
    /// `max / mean` of each batch, in the order they were added.
    public private(set) var batchImbalances: [Double] = []
    /// Tokens each rank received, summed; `nil` once a batch without indices was added.
    private var tokensReceived: [Int]?

    /// Creates an empty accumulator.
    ///
    /// - Throws: ``LoadBalanceError`` for `experts < 1`, `topK` outside `1...experts`, or a
    ///   placement of a different number of experts.
    public init(experts: Int, topK: Int, placement: ExpertPlacement? = nil) throws(LoadBalanceError) {
        guard (1...RouterConfiguration.maximumExperts).contains(experts) else { throw .invalidExpertCount(experts) }
        guard (1...experts).contains(topK) else { throw .invalidTopK(topK, experts: experts) }
        if let placement, placement.experts != experts {
            throw .sizeMismatch("expert placement", expected: experts, actual: placement.experts)
        }
        self.experts = experts
        self.topK = topK
        self.placement = placement
        self.counts = [Int](repeating: 0, count: experts)
        self.tokensReceived = placement.map { [Int](repeating: 0, count: $0.ranks) }
    }

    /// Number of batches added.
    public var batches: Int { batchImbalances.count }

    /// Adds one batch given by its statistics. Per-rank token traffic is unknown from counts,
    /// so ``rankLoads`` reports none afterwards.
    ///
    /// - Throws: ``LoadBalanceError/sizeMismatch(_:expected:actual:)`` for a different `E`,
    ///   ``LoadBalanceError/topKMismatch(expected:actual:)`` for a different `k`,
    ///   ``LoadBalanceError/overflow(_:)`` when the totals no longer fit in `Int`.
    public mutating func add(_ batch: LoadStatistics) throws(LoadBalanceError) {
        try merge(batch, received: nil)
    }

    /// Adds one batch of routing indices `[T, k]` and returns its statistics.
    ///
    /// - Throws: The errors of ``LoadStatistics`` built from indices and of ``add(_:)``;
    ///   nothing is added after an error.
    /// - Complexity: O(*T* · *k* + *E*).
    @discardableResult
    public mutating func add(indices: UnsafeBufferPointer<Int32>) throws(LoadBalanceError) -> LoadStatistics {
        let batch = try LoadStatistics(indices: indices, topK: topK, experts: experts)
        let received = placement?.tokensPerRank(validatedIndices: indices, topK: topK)
        try merge(batch, received: received)
        return batch
    }

    /// Adds one batch of routing indices `[T, k]` held in an array; see the buffer-pointer
    /// overload.
    @discardableResult
    public mutating func add(indices: [Int32]) throws(LoadBalanceError) -> LoadStatistics {
        try indices.withUnsafeBufferPointer { (p) throws(LoadBalanceError) in try add(indices: p) }
    }

    private mutating func merge(_ batch: LoadStatistics, received: [Int]?) throws(LoadBalanceError) {
        guard batch.experts == experts else { throw .sizeMismatch("batch counts", expected: experts, actual: batch.experts) }
        guard batch.topK == topK else { throw .topKMismatch(expected: topK, actual: batch.topK) }
        // Check every sum before changing anything, so a refused batch leaves no trace.
        let (newTokens, tokenOverflow) = tokens.addingReportingOverflow(batch.tokens)
        let (_, slotOverflow) = newTokens.multipliedReportingOverflow(by: topK)
        guard !tokenOverflow, !slotOverflow else { throw .overflow("the accumulated slot count") }
        // Each count is at most the token total, so no count overflows once the tokens fit.
        tokens = newTokens
        for e in 0..<experts { counts[e] += batch.counts[e] }
        if let received, let old = tokensReceived {
            tokensReceived = zip(old, received).map { $0 + $1 }
        } else {
            tokensReceived = nil
        }
        batchImbalances.append(batch.imbalance)
    }

    /// Statistics of all batches together (an empty batch when none was added).
    public var total: LoadStatistics {
        // The counts were validated batch by batch, and their sums keep every invariant.
        try! LoadStatistics(counts: counts, tokens: tokens, topK: topK)
    }

    /// The average of the per-batch `max / mean` (1 when no batch was added).
    public var meanBatchImbalance: Double {
        batchImbalances.isEmpty ? 1 : batchImbalances.reduce(0, +) / Double(batches)
    }

    /// The largest per-batch `max / mean` (1 when no batch was added).
    public var worstBatchImbalance: Double { batchImbalances.max() ?? 1 }

    /// Per-rank slots of all batches, with token traffic when every batch was added from
    /// indices; `nil` without a placement.
    public var rankLoads: RankLoads? {
        guard let placement else { return nil }
        return RankLoads(slots: try! placement.rankLoads(counts: counts), tokensReceived: tokensReceived,
                         tokens: tokens, topK: topK)
    }
}
