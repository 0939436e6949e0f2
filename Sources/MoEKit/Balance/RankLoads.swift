//===--- RankLoads.swift - Work and traffic per expert-parallel rank ------===//

/// How the slots and tokens of one or more batches spread over `R` expert-parallel ranks.
///
/// Built by ``ExpertPlacement/load(of:)``, ``ExpertPlacement/load(indices:topK:)`` or
/// ``LoadAccumulator/rankLoads``. Empty batches (`T = 0`) count as perfectly balanced: every
/// max/mean ratio below is 1, never NaN.
public struct RankLoads: Hashable, Sendable {
    /// Slots (token, expert pairs) each rank computes, `[R]`.
    public let slots: [Int]
    /// Tokens each rank receives, `[R]`, a token counting once per rank that hosts any of its
    /// experts; `nil` when built from counts alone.
    public let tokensReceived: [Int]?
    /// Tokens routed, `T` (summed over batches).
    public let tokens: Int
    /// Experts per token, `k`.
    public let topK: Int

    init(slots: [Int], tokensReceived: [Int]?, tokens: Int, topK: Int) {
        self.slots = slots
        self.tokensReceived = tokensReceived
        self.tokens = tokens
        self.topK = topK
    }

    /// Number of ranks, `R`.
    public var ranks: Int { slots.count }

    /// The balanced rank load `T · k / R`, in slots.
    public var meanSlots: Double { Double(tokens) * Double(topK) / Double(ranks) }

    /// Each rank's slots over ``meanSlots``, `[R]` (all 1 when `T = 0`).
    public var relativeLoads: [Double] {
        tokens == 0 ? slots.map { _ in 1 } : slots.map { Double($0) / meanSlots }
    }

    /// `max slots / mean`: the EP step's slowdown against perfectly balanced ranks.
    public var imbalance: Double { tokens == 0 ? 1 : Double(slots.max() ?? 0) / meanSlots }

    /// Each rank's share of the filled slots, `[R]`, summing to 1 (all 0 when no slot is filled).
    public var shares: [Double] {
        let total = slots.reduce(0, +)
        return slots.map { total == 0 ? 0 : Double($0) / Double(total) }
    }

    /// Tokens sent over all ranks, `Σ tokensReceived`: the dispatch volume in token copies
    /// (between `T` and `T · min(k, R)`).
    public var tokensSent: Int? { tokensReceived?.reduce(0, +) }

    /// Ranks a token is sent to on average, `tokensSent / T` (0 when `T = 0`).
    public var ranksPerToken: Double? {
        tokensSent.map { tokens == 0 ? 0 : Double($0) / Double(tokens) }
    }

    /// `max tokensReceived / mean tokensReceived`: how uneven the dispatch traffic is (1 when
    /// nothing is sent).
    public var tokenImbalance: Double? {
        guard let received = tokensReceived, let sent = tokensSent else { return nil }
        guard sent > 0 else { return 1 }
        return Double(received.max() ?? 0) / (Double(sent) / Double(ranks))
    }
}
