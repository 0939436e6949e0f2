import Foundation
import Testing
@testable import MoEKit

@Suite struct ExpertParallelLayoutTests {
    @Test func uniformRanksAreEqual() {
        let p = ExpertParallelLayout.probabilities(.uniform, experts: 8, topK: 2)
        let layout = ExpertParallelLayout(probabilities: p, topK: 2, ranks: 4, redundant: 0)
        #expect(layout.slotsPerRank == 2)
        for shares in layout.rankShares { #expect(shares == [0.25, 0.25]) }
        // C(6, 2) / C(8, 2) = 15/28: a token misses a rank of two experts.
        #expect(abs(layout.missProbability(expertsInSet: 2) - 15.0 / 28) < 1e-15)
        #expect(abs(layout.remoteRanksPerToken - 3 * 13.0 / 28) < 1e-15)
        // One copy per expert: of k = 2 experts, 2·1/4 are on the other rank of a 2-rank domain
        // and 2·2/4 outside it.
        let split = layout.remoteExpertCopies(domain: 2)
        #expect(split.inside == 0.5 && split.outside == 1.0)
        // Two domains of four experts: a token misses the other with probability C(4,2)/C(8,2) = 6/28.
        #expect(abs(layout.remoteDomains(domain: 2) - 22.0 / 28) < 1e-15)
    }

    @Test func redundantReplicaGoesToTheHottestExpert() {
        let layout = ExpertParallelLayout(probabilities: [0.9, 0.3, 0.3, 0.3, 0.2], topK: 2, ranks: 2, redundant: 1)
        #expect(layout.slotsPerRank == 3)
        let loads = layout.rankShares.map { $0.reduce(0, +) }
        // Replicas 0.45, 0.45, 0.3, 0.3, 0.3, 0.2 packed heaviest first onto the lighter rank.
        #expect(abs(loads[0] - 1.05) < 1e-12)
        #expect(abs(loads[1] - 0.95) < 1e-12)
        #expect(layout.rankShares.allSatisfy { $0.count == 3 })
    }

    @Test func waterFillCapsAtOne() {
        let p = ExpertParallelLayout.waterFill([8, 1, 1], total: 2)
        #expect(p == [1, 0.5, 0.5])
        let zipf = ExpertParallelLayout.probabilities(.zipf(skew: 1.2), experts: 64, topK: 8)
        #expect(abs(zipf.reduce(0, +) - 8) < 1e-9)
        #expect(zipf.allSatisfy { $0 <= 1 && $0 > 0 })
        #expect(zipf[0] >= zipf[1] && zipf[1] >= zipf[63])
    }

    @Test func skewMakesTheBusiestRankSlower() {
        let uniform = ExpertParallelLayout(probabilities: ExpertParallelLayout.probabilities(.uniform, experts: 64, topK: 8),
                                           topK: 8, ranks: 8, redundant: 0)
        let skewed = ExpertParallelLayout(probabilities: ExpertParallelLayout.probabilities(.zipf(skew: 1), experts: 64, topK: 8),
                                          topK: 8, ranks: 8, redundant: 0)
        let a = uniform.slowestRank(tokens: 1000) { slots, _ in slots }
        let b = skewed.slowestRank(tokens: 1000) { slots, _ in slots }
        // Uniform: 1000 tokens × 8 / 8 ranks = 1000 slots, plus √(2 ln 8 · 1000).
        #expect(abs(a.slots - (1000 + (2 * log(8.0) * 1000).squareRoot())) < 1e-9)
        #expect(abs(a.distinct - 8 * (1 - pow(1 - 0.125, 1000))) < 1e-9)
        #expect(b.slots > a.slots)
    }
}
