//===--- ExpertLoadTests.swift - Distinct experts touched by a batch ------===//

import Testing
@testable import MoEKit

@Suite("Expert load")
struct ExpertLoadTests {
    /// E·(1 − (1 − k/E)^B): one token touches k experts; two tokens of V3 (E = 256, k = 8)
    /// touch 256·(1 − (31/32)²) = 15.75 on average.
    @Test func uniformByHand() {
        let moe = MixtureOfExperts(router: RouterConfiguration(experts: 256, topK: 8, scoring: .sigmoid),
                                   sharedExperts: 1, expertIntermediateSize: 2048)
        #expect(abs(moe.expectedDistinctExperts(tokens: 1) - 8) < 1e-9)
        #expect(abs(moe.expectedDistinctExperts(tokens: 2) - 15.75) < 1e-9)
        #expect(moe.expectedDistinctExperts(tokens: 100_000) <= 256)
        #expect(moe.expectedDistinctExperts(tokens: 100_000) > 255.999)
        #expect(moe.expectedDistinctExperts(tokens: 0) == 0)
    }

    /// Exact enumeration for E = 4, k = 2, B = 2: every token picks one of the 6 pairs uniformly;
    /// the mean size of the union over all 36 pairs of pairs must equal 4·(1 − (1/2)²) = 3.
    @Test func uniformMatchesEnumeration() {
        var pairs: [Set<Int>] = []
        for a in 0..<4 { for b in (a + 1)..<4 { pairs.append([a, b]) } }
        var total = 0
        for p in pairs { for q in pairs { total += p.union(q).count } }
        let enumerated = Double(total) / Double(pairs.count * pairs.count)
        #expect(abs(ExpertLoad.uniform.expectedDistinctExperts(tokens: 2, experts: 4, topK: 2) - enumerated) < 1e-12)
    }

    /// A measured load where two experts take every token: they are always touched, the others
    /// never.
    @Test func measuredLoad() throws {
        let load = try ExpertLoad.measured(selectionCounts: [10, 10, 0, 0], tokens: 10)
        #expect(load.expectedDistinctExperts(tokens: 5, experts: 4, topK: 2) == 2)
        let uniform = try ExpertLoad.measured(selectionCounts: [5, 5, 5, 5], tokens: 10)
        #expect(abs(uniform.expectedDistinctExperts(tokens: 2, experts: 4, topK: 2) - 3) < 1e-12)
    }

    @Test func badMeasurementsAreRefused() {
        #expect(throws: ExpertLoadError.nonPositiveTokens(0)) { try ExpertLoad.measured(selectionCounts: [1], tokens: 0) }
        #expect(throws: ExpertLoadError.empty) { try ExpertLoad.measured(selectionCounts: [], tokens: 3) }
        #expect(throws: ExpertLoadError.countOutOfRange(expert: 1, count: 4, tokens: 3)) {
            try ExpertLoad.measured(selectionCounts: [1, 4], tokens: 3)
        }
    }

    /// SwiGLU experts: 3·h·d_ff parameters; gpt-oss adds 2·d_ff + h biases (models.md §4.2).
    @Test func expertParameters() {
        let v3 = MixtureOfExperts(router: RouterConfiguration(experts: 256, topK: 8, scoring: .sigmoid),
                                  sharedExperts: 1, expertIntermediateSize: 2048)
        #expect(v3.expertParameters(hiddenSize: 7168) == 44_040_192)
        #expect(v3.routerParameters(hiddenSize: 7168) == 256 * 7168)
        // DeepSeek-V3's correction bias is one more vector [E]; the MoE counts it by default.
        let biased = MixtureOfExperts(router: RouterConfiguration(experts: 256, topK: 8, scoring: .sigmoid, usesCorrectionBias: true),
                                      sharedExperts: 1, expertIntermediateSize: 2048)
        #expect(biased.routerParameters(hiddenSize: 7168) == 256 * 7168 + 256)
        let oss = MixtureOfExperts(router: RouterConfiguration(experts: 128, topK: 4, scoring: .logits, weighting: .softmaxOverChosen,
                                                               normalizesWeights: false),
                                   sharedExperts: 0, expertIntermediateSize: 2880, expertBias: true, routerBias: true)
        #expect(oss.expertParameters(hiddenSize: 2880) == 3 * 2880 * 2880 + 2 * 2880 + 2880)
        #expect(oss.sharedParameters(hiddenSize: 2880) == 0)
    }
}
