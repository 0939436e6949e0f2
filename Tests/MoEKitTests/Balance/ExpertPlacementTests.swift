//===--- ExpertPlacementTests.swift - Experts over EP ranks ----------------===//

import Testing
@testable import MoEKit

@Suite("Expert placement")
struct ExpertPlacementTests {
    @Test func layoutsByHand() throws {
        let contiguous = try ExpertPlacement.contiguous(experts: 8, ranks: 4)
        let roundRobin = try ExpertPlacement.roundRobin(experts: 8, ranks: 4)
        #expect(contiguous.rankOfExpert == [0, 0, 1, 1, 2, 2, 3, 3])
        #expect(roundRobin.rankOfExpert == [0, 1, 2, 3, 0, 1, 2, 3])
        #expect(contiguous.experts(onRank: 2) == [4, 5] && roundRobin.experts(onRank: 2) == [2, 6])
        // counts [5, 1, 0, 2, 3, 3, 1, 1]: contiguous pairs (5+1, 0+2, 3+3, 1+1);
        // round-robin e and e+4 (5+3, 1+3, 0+1, 2+1).
        let counts = [5, 1, 0, 2, 3, 3, 1, 1]
        #expect(try contiguous.rankLoads(counts: counts) == [6, 2, 6, 2])
        #expect(try roundRobin.rankLoads(counts: counts) == [8, 4, 1, 3])
        #expect(try ExpertPlacement.contiguous(experts: 8, ranks: 1).rankLoads(counts: counts) == [16])
    }

    /// Rows {0,1} {0,2} {7,3} {4,5}, E = 8, R = 4.
    /// Contiguous (rank = e/2): token 0 → rank 0 only (both experts there: counted once);
    /// token 1 → ranks 0, 1; token 2 → ranks 3, 1; token 3 → rank 2 once. Received [2, 2, 1, 1].
    /// Round-robin (rank = e%4): token 0 → 0, 1; token 1 → 0, 2; token 2 → 3 once; token 3 → 0, 1.
    /// Received [3, 2, 1, 1].
    @Test func tokensPerRankByHand() throws {
        let indices: [Int32] = [0, 1, 0, 2, 7, 3, 4, 5]
        let contiguous = try ExpertPlacement.contiguous(experts: 8, ranks: 4)
        #expect(try contiguous.tokensPerRank(indices: indices, topK: 2) == [2, 2, 1, 1])
        #expect(try ExpertPlacement.roundRobin(experts: 8, ranks: 4).tokensPerRank(indices: indices, topK: 2) == [3, 2, 1, 1])

        // Slots: counts e0 2, e1..e5 1, e7 1 → contiguous [3, 2, 2, 1]; mean T·k/R = 8/4 = 2.
        let load = try contiguous.load(indices: indices, topK: 2)
        #expect(load.slots == [3, 2, 2, 1] && load.tokensReceived == [2, 2, 1, 1])
        #expect(load.meanSlots == 2 && load.imbalance == 1.5)
        #expect(load.relativeLoads == [1.5, 1, 1, 0.5] && load.shares == [0.375, 0.25, 0.25, 0.125])
        // 6 token copies for 4 tokens; max 2 over mean 6/4.
        #expect(load.tokensSent == 6 && load.ranksPerToken == 1.5)
        #expect(abs(load.tokenImbalance! - 4.0 / 3.0) < 1e-12)

        let fromCounts = try contiguous.load(of: LoadStatistics(indices: indices, topK: 2, experts: 8))
        #expect(fromCounts.slots == load.slots && fromCounts.tokensReceived == nil && fromCounts.tokenImbalance == nil)
    }

    @Test func explicitPlacementMayLeaveARankEmpty() throws {
        let p = try ExpertPlacement(rankOfExpert: [2, 0, 2], ranks: 3)
        #expect(p.experts == 3 && p.experts(onRank: 1).isEmpty)
        #expect(try p.rankLoads(counts: [1, 2, 3]) == [2, 0, 4])
    }

    @Test func emptyBatchHasNoNaN() throws {
        let load = try ExpertPlacement.contiguous(experts: 4, ranks: 2).load(indices: [], topK: 2)
        #expect(load.imbalance == 1 && load.relativeLoads == [1, 1] && load.shares == [0, 0])
        #expect(load.tokenImbalance == 1 && load.ranksPerToken == 0)
    }

    @Test func badPlacementsAreRefused() throws {
        #expect(throws: LoadBalanceError.invalidRankCount(0)) { try ExpertPlacement.contiguous(experts: 8, ranks: 0) }
        #expect(throws: LoadBalanceError.ranksDoNotDivideExperts(ranks: 3, experts: 8)) { try ExpertPlacement.contiguous(experts: 8, ranks: 3) }
        #expect(throws: LoadBalanceError.ranksDoNotDivideExperts(ranks: 16, experts: 8)) { try ExpertPlacement.roundRobin(experts: 8, ranks: 16) }
        #expect(throws: LoadBalanceError.invalidExpertCount(0)) { try ExpertPlacement.roundRobin(experts: 0, ranks: 1) }
        #expect(throws: LoadBalanceError.rankOutOfRange(expert: 1, rank: 2, ranks: 2)) { try ExpertPlacement(rankOfExpert: [0, 2], ranks: 2) }
        #expect(throws: LoadBalanceError.rankOutOfRange(expert: 0, rank: -1, ranks: 2)) { try ExpertPlacement(rankOfExpert: [-1, 0], ranks: 2) }
        #expect(throws: LoadBalanceError.invalidExpertCount(0)) { try ExpertPlacement(rankOfExpert: [], ranks: 2) }
        let p = try ExpertPlacement.contiguous(experts: 4, ranks: 2)
        #expect(throws: LoadBalanceError.sizeMismatch("counts", expected: 4, actual: 3)) { try p.rankLoads(counts: [1, 2, 3]) }
        #expect(throws: LoadBalanceError.indexOutOfRange(token: 0, slot: 1, value: 9, experts: 4)) { try p.tokensPerRank(indices: [0, 9], topK: 2) }
        #expect(throws: LoadBalanceError.sizeMismatch("counts", expected: 4, actual: 2)) {
            try p.load(of: LoadStatistics(counts: [1, 1], tokens: 2, topK: 1))
        }
        #expect(LoadBalanceError.ranksDoNotDivideExperts(ranks: 3, experts: 8).description == "3 expert-parallel ranks do not divide the 8 experts")
    }
}
