//===--- StepBreakdown.swift - Where the seconds of a step go -------------===//

/// The seconds of one decode step or prefill forward, by what spends them.
///
/// With two-micro-batch overlap, each compute part is the sum over both micro-batches and
/// ``communication`` is only what compute did not hide: per layer, `max(0, comm − compute)`.
public struct StepBreakdown: Hashable, Sendable {
    /// Attention: the core (scores, values, indexer) and its projections, seconds.
    public var attention: Double = 0
    /// Routed experts on the busiest expert-parallel rank, seconds.
    public var routedExperts: Double = 0
    /// Shared experts, dense FFN layers and routers, seconds.
    public var sharedAndDense: Double = 0
    /// Communication not hidden under compute: EP dispatch and combine, TP all-reduce, seconds.
    public var communication: Double = 0
    /// Output head, embedding and the MTP / draft module, seconds.
    public var other: Double = 0

    /// All parts zero.
    public init() {}

    /// The whole step, seconds.
    public var total: Double { attention + routedExperts + sharedAndDense + communication + other }

    /// `(name, seconds)` in a fixed order (the JSON keys).
    public var components: [(name: String, seconds: Double)] {
        [("attention", attention), ("routed_experts", routedExperts), ("shared_dense", sharedAndDense),
         ("communication_exposed", communication), ("other", other)]
    }

    /// Field-by-field sum.
    public static func + (a: StepBreakdown, b: StepBreakdown) -> StepBreakdown {
        var c = a
        c.attention += b.attention; c.routedExperts += b.routedExperts; c.sharedAndDense += b.sharedAndDense
        c.communication += b.communication; c.other += b.other
        return c
    }

    /// Every part times `factor`.
    public func scaled(by factor: Double) -> StepBreakdown {
        var c = self
        c.attention *= factor; c.routedExperts *= factor; c.sharedAndDense *= factor
        c.communication *= factor; c.other *= factor
        return c
    }
}
