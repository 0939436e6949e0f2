//===--- ExpertPlacement.swift - Which expert-parallel rank hosts each expert ===//
//
// Per-rank load: the expert counts summed over each rank's contiguous expert range.
// Tokens per rank (a token is sent once per rank hosting any of its experts): DeepEP
// `get_dispatch_layout` / `num_tokens_per_rank` (`deepseek-ai/DeepEP:docs/legacy.md`,
// `deep_ep/utils/refs.py`).
//
//===----------------------------------------------------------------------===//

/// Which expert-parallel (EP) rank hosts each of `E` experts.
///
/// With expert parallelism the `E` experts are split over `R` ranks (GPUs); a rank computes
/// every slot routed to its experts, and receives each token that chose at least one of its
/// experts. The most loaded rank sets the step time.
///
/// - ``contiguous(experts:ranks:)``: rank `r` hosts experts `r·E/R ..< (r+1)·E/R`, the layout of
///   Megatron and DeepEP (and the one hurt most when neighbouring experts are all popular).
/// - ``roundRobin(experts:ranks:)``: expert `e` lives on rank `e % R`.
/// - ``init(rankOfExpert:ranks:)``: any placement, for example one balanced from measured loads.
public struct ExpertPlacement: Hashable, Sendable {
    /// Number of ranks, `R`.
    public let ranks: Int
    /// The rank of each expert, `[E]`, each in `0..<R`.
    public let rankOfExpert: [Int]

    /// Creates a placement from the rank of each expert. A rank may host no expert.
    ///
    /// - Throws: ``LoadBalanceError/invalidRankCount(_:)`` for `ranks < 1`,
    ///   ``LoadBalanceError/invalidExpertCount(_:)`` for an empty array,
    ///   ``LoadBalanceError/rankOutOfRange(expert:rank:ranks:)`` naming the first expert placed
    ///   outside `0..<ranks`.
    public init(rankOfExpert: [Int], ranks: Int) throws(LoadBalanceError) {
        guard ranks >= 1 else { throw .invalidRankCount(ranks) }
        guard (1...RouterConfiguration.maximumExperts).contains(rankOfExpert.count) else {
            throw .invalidExpertCount(rankOfExpert.count)
        }
        if let e = rankOfExpert.firstIndex(where: { !(0..<ranks).contains($0) }) {
            throw .rankOutOfRange(expert: e, rank: rankOfExpert[e], ranks: ranks)
        }
        self.ranks = ranks
        self.rankOfExpert = rankOfExpert
    }

    /// Rank `r` hosts the `E/R` consecutive experts `r·E/R ..< (r+1)·E/R`.
    ///
    /// - Throws: ``LoadBalanceError/invalidExpertCount(_:)``,
    ///   ``LoadBalanceError/invalidRankCount(_:)``, or
    ///   ``LoadBalanceError/ranksDoNotDivideExperts(ranks:experts:)`` when `R` does not divide `E`.
    public static func contiguous(experts: Int, ranks: Int) throws(LoadBalanceError) -> ExpertPlacement {
        let perRank = try expertsPerRank(experts: experts, ranks: ranks)
        return try ExpertPlacement(rankOfExpert: (0..<experts).map { $0 / perRank }, ranks: ranks)
    }

    /// Expert `e` lives on rank `e % R`; `R` must divide `E` so every rank hosts `E/R` experts.
    ///
    /// - Throws: As ``contiguous(experts:ranks:)``.
    public static func roundRobin(experts: Int, ranks: Int) throws(LoadBalanceError) -> ExpertPlacement {
        _ = try expertsPerRank(experts: experts, ranks: ranks)
        return try ExpertPlacement(rankOfExpert: (0..<experts).map { $0 % ranks }, ranks: ranks)
    }

    private static func expertsPerRank(experts: Int, ranks: Int) throws(LoadBalanceError) -> Int {
        guard (1...RouterConfiguration.maximumExperts).contains(experts) else { throw .invalidExpertCount(experts) }
        guard ranks >= 1 else { throw .invalidRankCount(ranks) }
        guard experts % ranks == 0 else { throw .ranksDoNotDivideExperts(ranks: ranks, experts: experts) }
        return experts / ranks
    }

    /// Number of experts, `E`.
    public var experts: Int { rankOfExpert.count }

    /// The experts on rank `r`, ascending (empty for a rank outside `0..<R`).
    public func experts(onRank r: Int) -> [Int] {
        rankOfExpert.indices.filter { rankOfExpert[$0] == r }
    }

    /// Slots per rank `[R]`: the sum of `counts` over each rank's experts.
    ///
    /// - Parameter counts: Slots per expert `[E]`.
    /// - Throws: ``LoadBalanceError/sizeMismatch(_:expected:actual:)`` when `counts` does not
    ///   hold `E` values, ``LoadBalanceError/negativeCount(expert:count:)`` or
    ///   ``LoadBalanceError/overflow(_:)``.
    /// - Complexity: O(*E* + *R*).
    public func rankLoads(counts: [Int]) throws(LoadBalanceError) -> [Int] {
        guard counts.count == experts else { throw .sizeMismatch("counts", expected: experts, actual: counts.count) }
        var loads = [Int](repeating: 0, count: ranks)
        for (e, c) in counts.enumerated() {
            guard c >= 0 else { throw .negativeCount(expert: e, count: c) }
            let (sum, overflow) = loads[rankOfExpert[e]].addingReportingOverflow(c)
            guard !overflow else { throw .overflow("the slots of rank \(rankOfExpert[e])") }
            loads[rankOfExpert[e]] = sum
        }
        return loads
    }

    /// Tokens each rank receives `[R]`: a token counts once on every rank that hosts at least
    /// one of its `k` experts, however many of them it hosts (DeepEP's `num_tokens_per_rank`).
    ///
    /// - Parameters:
    ///   - indices: Expert indices `[T, k]`, row-major; checked as by ``LoadStatistics``.
    ///   - topK: Experts per token, `k`.
    /// - Throws: ``LoadBalanceError`` for ragged indices, an index outside `0..<E`, a repeated
    ///   expert in a row, or an invalid `k`.
    /// - Complexity: O(*T* · *k* + *E* + *R*).
    public func tokensPerRank(indices: UnsafeBufferPointer<Int32>, topK: Int) throws(LoadBalanceError) -> [Int] {
        _ = try LoadStatistics.count(indices: indices, topK: topK, experts: experts)   // validates
        return tokensPerRank(validatedIndices: indices, topK: topK)
    }

    /// Tokens per rank of indices already checked by ``LoadStatistics``.
    func tokensPerRank(validatedIndices indices: UnsafeBufferPointer<Int32>, topK: Int) -> [Int] {
        var received = [Int](repeating: 0, count: ranks)
        var lastToken = [Int](repeating: -1, count: ranks)
        for (p, value) in indices.enumerated() {
            let t = p / topK, r = rankOfExpert[Int(value)]
            if lastToken[r] != t {
                lastToken[r] = t
                received[r] += 1
            }
        }
        return received
    }

    /// Tokens each rank receives, from indices `[T, k]` in an array; see the buffer-pointer
    /// overload.
    public func tokensPerRank(indices: [Int32], topK: Int) throws(LoadBalanceError) -> [Int] {
        try indices.withUnsafeBufferPointer { (p) throws(LoadBalanceError) in
            try tokensPerRank(indices: p, topK: topK)
        }
    }

    /// Per-rank slot loads of a batch (without token traffic, which needs the indices).
    ///
    /// - Throws: ``LoadBalanceError/sizeMismatch(_:expected:actual:)`` when the statistics do
    ///   not describe `E` experts.
    public func load(of statistics: LoadStatistics) throws(LoadBalanceError) -> RankLoads {
        RankLoads(slots: try rankLoads(counts: statistics.counts), tokensReceived: nil,
                  tokens: statistics.tokens, topK: statistics.topK)
    }

    /// Per-rank slot loads and token traffic of routing indices `[T, k]`.
    ///
    /// - Throws: As `tokensPerRank(indices:topK:)`.
    public func load(indices: [Int32], topK: Int) throws(LoadBalanceError) -> RankLoads {
        let statistics = try LoadStatistics(indices: indices, topK: topK, experts: experts)
        return RankLoads(slots: try rankLoads(counts: statistics.counts),
                         tokensReceived: try tokensPerRank(indices: indices, topK: topK),
                         tokens: statistics.tokens, topK: topK)
    }
}
