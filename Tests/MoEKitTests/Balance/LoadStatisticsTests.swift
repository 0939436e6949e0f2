//===--- LoadStatisticsTests.swift - Load metrics of one batch -------------===//

import Testing
@testable import MoEKit

@Suite("Load statistics")
struct LoadStatisticsTests {
    /// T = 4 tokens, k = 2, E = 4: rows {0,1} {0,2} {0,1} {3,0} give counts [4, 2, 1, 1].
    /// mean = T·k/E = 8/4 = 2; max 4 → max/mean 2, MaxVio 1; min 1.
    /// Deviations from 2: [2, 0, −1, −1], squares 6, variance 6/4 = 1.5, CV = √1.5 / 2 ≈ 0.612372.
    @Test func handWorkedBatch() throws {
        let s = try LoadStatistics(indices: [0, 1, 0, 2, 0, 1, 3, 0], topK: 2, experts: 4)
        #expect(s.counts == [4, 2, 1, 1])
        #expect(s.tokens == 4 && s.topK == 2 && s.experts == 4 && s.slots == 8 && s.droppedSlots == 0)
        #expect(s.mean == 2)
        #expect(s.max == 4 && s.min == 1)
        #expect(s.imbalance == 2 && s.maxViolation == 1)
        #expect(abs(s.coefficientOfVariation - 0.612_372_435_695_794_5) < 1e-12)
        #expect(s.idleExperts == 0 && s.distinctExperts == 4)
        #expect(s.relativeLoads == [2, 1, 0.5, 0.5])
        #expect(try LoadStatistics(counts: [4, 2, 1, 1], tokens: 4, topK: 2) == s)
    }

    /// Rows {0,1} {0,1} {0,2} {1,2}: counts [3, 3, 2, 0]; one idle expert, min 0, max/mean 1.5.
    /// Deviations [1, 1, 0, −2], squares 6 → CV √1.5 / 2 again.
    @Test func idleExpert() throws {
        let s = try LoadStatistics(indices: [0, 1, 0, 1, 0, 2, 1, 2], topK: 2, experts: 4)
        #expect(s.counts == [3, 3, 2, 0])
        #expect(s.idleExperts == 1 && s.distinctExperts == 3 && s.min == 0)
        #expect(s.imbalance == 1.5 && s.maxViolation == 0.5)
        #expect(abs(s.coefficientOfVariation - 1.5.squareRoot() / 2) < 1e-12)
        #expect(s.hottestExperts(3) == [0, 1, 2])   // equal counts: lower index first
        #expect(s.hottestExperts(9) == [0, 1, 2, 3] && s.hottestExperts(-1).isEmpty)
    }

    /// Counts [2, 1, 0, 0] for T = 4, k = 2: 3 of 8 slots filled (5 dropped). The mean stays
    /// T·k/E = 2, so max/mean = 1. Average count 0.75; deviations [1.25, 0.25, −0.75, −0.75],
    /// squares 2.75, variance 0.6875, CV = √0.6875 / 2.
    @Test func droppedSlots() throws {
        let s = try LoadStatistics(counts: [2, 1, 0, 0], tokens: 4, topK: 2)
        #expect(s.slots == 3 && s.droppedSlots == 5 && s.mean == 2 && s.imbalance == 1)
        #expect(abs(s.coefficientOfVariation - 0.6875.squareRoot() / 2) < 1e-12)
    }

    @Test func emptyBatchIsBalancedAndFinite() throws {
        for s in [try LoadStatistics(counts: [0, 0, 0], tokens: 0, topK: 2),
                  try LoadStatistics(indices: [], topK: 2, experts: 3)] {
            #expect(s.mean == 0 && s.imbalance == 1 && s.maxViolation == 0 && s.coefficientOfVariation == 0)
            #expect(s.idleExperts == 3 && s.distinctExperts == 0 && s.max == 0 && s.min == 0)
            #expect(s.relativeLoads == [1, 1, 1])
        }
    }

    /// Random routing against a scalar reference: counts by dictionary, CV by the textbook formula.
    @Test func matchesScalarReference() throws {
        var g = SeededGenerator(seed: 11)
        let experts = 37, k = 5, tokens = 301
        var indices: [Int32] = []
        for _ in 0..<tokens {
            var row: Set<Int32> = []
            while row.count < k { row.insert(Int32(g.next() % UInt64(experts))) }
            indices += row.sorted()
        }
        let s = try LoadStatistics(indices: indices, topK: k, experts: experts)
        var reference = [Int32: Int]()
        for i in indices { reference[i, default: 0] += 1 }
        #expect(s.counts == (0..<experts).map { reference[Int32($0)] ?? 0 })
        let mean = Double(tokens * k) / Double(experts)
        let variance = s.counts.map { (Double($0) - mean) * (Double($0) - mean) }.reduce(0, +) / Double(experts)
        #expect(abs(s.coefficientOfVariation - variance.squareRoot() / mean) < 1e-12)
        #expect(s.imbalance == Double(reference.values.max()!) / mean)
    }

    @Test func bridgesToExpertLoad() throws {
        let s = try LoadStatistics(counts: [4, 0], tokens: 4, topK: 1)
        let load = try ExpertLoad.measured(selectionCounts: s.counts, tokens: s.tokens)
        #expect(load.expectedDistinctExperts(tokens: 3, experts: 2, topK: 1) == 1)
    }

    @Test func badCountsAreRefused() {
        #expect(throws: LoadBalanceError.invalidExpertCount(0)) { try LoadStatistics(counts: [], tokens: 1, topK: 1) }
        #expect(throws: LoadBalanceError.invalidTopK(0, experts: 2)) { try LoadStatistics(counts: [1, 1], tokens: 1, topK: 0) }
        #expect(throws: LoadBalanceError.invalidTopK(3, experts: 2)) { try LoadStatistics(counts: [1, 1], tokens: 1, topK: 3) }
        #expect(throws: LoadBalanceError.negativeTokens(-1)) { try LoadStatistics(counts: [0, 0], tokens: -1, topK: 1) }
        #expect(throws: LoadBalanceError.negativeCount(expert: 1, count: -2)) { try LoadStatistics(counts: [1, -2], tokens: 2, topK: 1) }
        #expect(throws: LoadBalanceError.countExceedsTokens(expert: 0, count: 3, tokens: 2)) { try LoadStatistics(counts: [3, 0], tokens: 2, topK: 2) }
        #expect(throws: LoadBalanceError.slotsExceedCapacity(slots: 3, tokens: 2, topK: 1)) { try LoadStatistics(counts: [2, 1], tokens: 2, topK: 1) }
        #expect(throws: LoadBalanceError.overflow("tokens × top-k")) { try LoadStatistics(counts: [0, 0], tokens: Int.max, topK: 2) }
    }

    @Test func badIndicesAreRefused() {
        #expect(throws: LoadBalanceError.raggedIndices(count: 5, topK: 2)) { try LoadStatistics(indices: [0, 1, 2, 3, 0], topK: 2, experts: 4) }
        #expect(throws: LoadBalanceError.indexOutOfRange(token: 1, slot: 1, value: 4, experts: 4)) {
            try LoadStatistics(indices: [0, 1, 2, 4], topK: 2, experts: 4)
        }
        #expect(throws: LoadBalanceError.indexOutOfRange(token: 0, slot: 0, value: -1, experts: 4)) {
            try LoadStatistics(indices: [-1, 1], topK: 2, experts: 4)
        }
        #expect(throws: LoadBalanceError.duplicateExpert(token: 1, expert: 3)) { try LoadStatistics(indices: [0, 3, 3, 3], topK: 2, experts: 4) }
        #expect(throws: LoadBalanceError.invalidExpertCount(0)) { try LoadStatistics(indices: [], topK: 1, experts: 0) }
        #expect(throws: LoadBalanceError.invalidTopK(5, experts: 4)) { try LoadStatistics(indices: [], topK: 5, experts: 4) }
        let message = LoadBalanceError.indexOutOfRange(token: 1, slot: 1, value: 4, experts: 4).description
        #expect(message == "index of token 1, slot 1 is 4, outside the experts 0..<4")
    }
}
