//===--- LoadAccumulatorTests.swift - Load over many batches ---------------===//

import Testing
@testable import MoEKit

@Suite("Load accumulator")
struct LoadAccumulatorTests {
    /// E = 4, k = 1, contiguous over R = 2 (experts {0,1} {2,3}).
    /// Batch A [0, 0, 1, 2]: counts [2, 1, 1, 0], mean 1, max/mean 2; tokens received [3, 1].
    /// Batch B [3, 3, 3, 2]: counts [0, 0, 1, 3], max/mean 3; tokens received [0, 4].
    /// Total [2, 1, 2, 3] over 8 tokens: mean 2, max/mean 1.5 (smoother than either batch);
    /// per-batch mean (2 + 3)/2 = 2.5, worst 3. Rank slots [3, 5], tokens [3, 5].
    @Test func twoBatchesByHand() throws {
        var load = try LoadAccumulator(experts: 4, topK: 1, placement: .contiguous(experts: 4, ranks: 2))
        #expect(try load.add(indices: [0, 0, 1, 2]).imbalance == 2)
        #expect(try load.add(indices: [3, 3, 3, 2]).imbalance == 3)
        #expect(load.batches == 2 && load.tokens == 8 && load.counts == [2, 1, 2, 3])
        #expect(load.total.imbalance == 1.5 && load.total.tokens == 8)
        #expect(load.batchImbalances == [2, 3] && load.meanBatchImbalance == 2.5 && load.worstBatchImbalance == 3)
        let ranks = try #require(load.rankLoads)
        #expect(ranks.slots == [3, 5] && ranks.tokensReceived == [3, 5] && ranks.meanSlots == 4)

        // A batch given by counts has no token traffic: the per-rank tokens become unknown.
        try load.add(LoadStatistics(counts: [1, 1, 0, 0], tokens: 2, topK: 1))
        #expect(load.rankLoads?.tokensReceived == nil && load.rankLoads?.slots == [5, 5])
        #expect(load.batchImbalances == [2, 3, 2])
    }

    @Test func emptyAccumulator() throws {
        let load = try LoadAccumulator(experts: 3, topK: 2)
        #expect(load.batches == 0 && load.total.imbalance == 1 && load.meanBatchImbalance == 1 && load.worstBatchImbalance == 1)
        #expect(load.rankLoads == nil)
    }

    @Test func refusedBatchesLeaveNoTrace() throws {
        var load = try LoadAccumulator(experts: 4, topK: 2, placement: .roundRobin(experts: 4, ranks: 2))
        try load.add(indices: [0, 1])
        #expect(throws: LoadBalanceError.indexOutOfRange(token: 1, slot: 0, value: 7, experts: 4)) { try load.add(indices: [0, 1, 7, 1]) }
        #expect(throws: LoadBalanceError.topKMismatch(expected: 2, actual: 1)) {
            try load.add(LoadStatistics(counts: [1, 0, 0, 0], tokens: 1, topK: 1))
        }
        #expect(throws: LoadBalanceError.sizeMismatch("batch counts", expected: 4, actual: 2)) {
            try load.add(LoadStatistics(counts: [1, 1], tokens: 1, topK: 2))
        }
        #expect(load.batches == 1 && load.counts == [1, 1, 0, 0] && load.rankLoads?.tokensReceived == [1, 1])
    }

    @Test func badConfigurationsAreRefused() {
        #expect(throws: LoadBalanceError.invalidExpertCount(0)) { try LoadAccumulator(experts: 0, topK: 1) }
        #expect(throws: LoadBalanceError.invalidTopK(5, experts: 4)) { try LoadAccumulator(experts: 4, topK: 5) }
        #expect(throws: LoadBalanceError.sizeMismatch("expert placement", expected: 4, actual: 8)) {
            try LoadAccumulator(experts: 4, topK: 1, placement: .contiguous(experts: 8, ranks: 2))
        }
    }
}
