//===--- SyntheticLogitsTests.swift - Seeded skewed router logits ----------===//

import Foundation
import Testing
@testable import MoEKit

@Suite("Synthetic logits")
struct SyntheticLogitsTests {
    /// Index of the largest value of a row (first on ties): the top-1 expert.
    func argmax(_ row: ArraySlice<Float>) -> Int {
        var best = row.startIndex
        for i in row.indices where row[i] > row[best] { best = i }
        return best - row.startIndex
    }

    @Test func sameSeedSameValues() throws {
        var a = try SyntheticLogits(experts: 10, skew: 0.8, seed: 42)
        var b = try SyntheticLogits(experts: 10, skew: 0.8, seed: 42)
        var c = try SyntheticLogits(experts: 10, skew: 0.8, seed: 43)
        let first = try a.next(tokens: 5)
        #expect(first == (try b.next(tokens: 5)) && first.count == 50)
        #expect(first != (try c.next(tokens: 5)))
        #expect(try a.next(tokens: 3) != Array(first.prefix(30)))   // the stream continues
        #expect(first.allSatisfy { $0.isFinite })
        #expect(a.popularityRank == b.popularityRank && a.popularityRank.sorted() == Array(1...10))
    }

    /// E = 3, s = 1, expert 0 first: p ∝ [1, 1/2, 1/3], Z = 11/6, p = [6/11, 3/11, 2/11].
    @Test func popularityByHand() throws {
        let s = try SyntheticLogits(experts: 3, skew: 1, popularityOrder: .ascendingIndex, seed: 0)
        for (p, expected) in zip(s.popularity, [6.0 / 11, 3.0 / 11, 2.0 / 11]) { #expect(abs(p - expected) < 1e-15) }
        #expect(s.popularityRank == [1, 2, 3])
        let uniform = try SyntheticLogits(experts: 4, skew: 0, seed: 9)
        #expect(uniform.popularity.allSatisfy { abs($0 - 0.25) < 1e-15 })
    }

    /// s = 0, E = 16, 32 000 tokens: each top-1 count is Binomial(32 000, 1/16), mean 2000,
    /// σ = √(32000 · 1/16 · 15/16) ≈ 43.3. Every count must lie within 6σ ≈ 260.
    /// Top-8 of 64 experts over 8192 tokens through a sigmoid router: mean 1024, σ ≈ 30, same bound.
    @Test func zeroSkewIsNearUniform() throws {
        var source = try SyntheticLogits(experts: 16, skew: 0, seed: 5)
        let logits = try source.next(tokens: 32_000)
        var counts = [Int](repeating: 0, count: 16)
        for t in 0..<32_000 { counts[argmax(logits[(t * 16)..<((t + 1) * 16)])] += 1 }
        #expect(counts.allSatisfy { abs($0 - 2000) < 260 }, "\(counts)")

        var wide = try SyntheticLogits(experts: 64, skew: 0, seed: 6)
        let config = RouterConfiguration(experts: 64, topK: 8, scoring: .sigmoid)
        let s = try LoadStatistics(Router(config).route(logits: wide.next(tokens: 8192)), experts: 64)
        #expect(s.counts.allSatisfy { abs($0 - 1024) < 180 }, "\(s.counts)")
        #expect(s.imbalance < 1.18)
    }

    /// Gumbel-max: the top-1 frequency of expert e is p_e. s = 1.2, E = 32, T = 40 000; each
    /// frequency within 5 standard errors √(p(1−p)/T).
    @Test func topOneFrequenciesMatchPopularity() throws {
        let experts = 32, tokens = 40_000
        var source = try SyntheticLogits(experts: experts, skew: 1.2, seed: 77)
        let logits = try source.next(tokens: tokens)
        var counts = [Int](repeating: 0, count: experts)
        for t in 0..<tokens { counts[argmax(logits[(t * experts)..<((t + 1) * experts)])] += 1 }
        for e in 0..<experts {
            let p = source.popularity[e], f = Double(counts[e]) / Double(tokens)
            let se = (p * (1 - p) / Double(tokens)).squareRoot()
            #expect(abs(f - p) < 5 * se, "expert \(e): frequency \(f), p \(p)")
        }
        // A softmax top-1 router picks the same experts as the argmax of the logits.
        let routed = try Router(RouterConfiguration(experts: experts, topK: 1, scoring: .softmax)).route(logits: logits)
        #expect(try LoadStatistics(routed, experts: experts).counts == counts)
    }

    /// Plackett–Luce: expert e is among the top 2 with probability
    /// p_e + Σ_{j≠e} p_j · p_e / (1 − p_j) (first pick j, then e among the rest).
    /// E = 8, s = 1.2, 40 000 tokens, within 5 standard errors.
    @Test func topTwoFollowsPlackettLuce() throws {
        let experts = 8, tokens = 40_000
        var source = try SyntheticLogits(experts: experts, skew: 1.2, popularityOrder: .ascendingIndex, seed: 3)
        let p = source.popularity
        let routed = try Router(RouterConfiguration(experts: experts, topK: 2, scoring: .sigmoid)).route(logits: source.next(tokens: tokens))
        let counts = try LoadStatistics(routed, experts: experts).counts
        for e in 0..<experts {
            var q = p[e]
            for j in 0..<experts where j != e { q += p[j] * p[e] / (1 - p[j]) }
            let f = Double(counts[e]) / Double(tokens), se = (q * (1 - q) / Double(tokens)).squareRoot()
            #expect(abs(f - q) < 5 * se, "expert \(e): frequency \(f), expected \(q)")
        }
    }

    /// Monotone scorings choose the same experts (no bias, no group limit).
    @Test func scoringDoesNotChangeTheSelection() throws {
        var source = try SyntheticLogits(experts: 48, skew: 0.7, seed: 12)
        let logits = try source.next(tokens: 300)
        let sets = try [RouterConfiguration.Scoring.softmax, .sigmoid, .sqrtSoftplus].map { scoring in
            let r = try Router(RouterConfiguration(experts: 48, topK: 6, scoring: scoring)).route(logits: logits)
            return (0..<300).map { Set(r.experts(ofToken: $0)) }
        }
        #expect(sets[0] == sets[1] && sets[1] == sets[2])
    }

    @Test func ascendingIndexMakesExpertZeroHottest() throws {
        var source = try SyntheticLogits(experts: 64, skew: 1.2, popularityOrder: .ascendingIndex, seed: 1)
        let routed = try Router(RouterConfiguration(experts: 64, topK: 8, scoring: .sigmoid)).route(logits: source.next(tokens: 4096))
        let s = try LoadStatistics(routed, experts: 64)
        #expect(s.hottestExperts(3) == [0, 1, 2])
        #expect(source.popularity == source.popularity.sorted(by: >))
        // Contiguous placement puts all the hot experts on rank 0.
        let ranks = try ExpertPlacement.contiguous(experts: 64, ranks: 8).load(of: s)
        #expect(ranks.slots[0] == ranks.slots.max())
    }

    @Test func badArgumentsAreRefused() throws {
        #expect(throws: LoadBalanceError.invalidExpertCount(0)) { try SyntheticLogits(experts: 0, skew: 1, seed: 0) }
        for skew in [-0.5, .nan, .infinity, 100.5] {
            #expect(throws: LoadBalanceError.self) { try SyntheticLogits(experts: 4, skew: skew, seed: 0) }
        }
        #expect(throws: LoadBalanceError.invalidSkew(-0.5)) { try SyntheticLogits(experts: 4, skew: -0.5, seed: 0) }
        var s = try SyntheticLogits(experts: 4, skew: 100, seed: 0)
        #expect(try s.next(tokens: 10).allSatisfy { $0.isFinite })
        #expect(throws: LoadBalanceError.negativeTokens(-1)) { try s.next(tokens: -1) }
        var buffer = [Float](repeating: 7, count: 6)
        #expect(throws: LoadBalanceError.sizeMismatch("logits buffer (whole rows of 4)", expected: 4, actual: 6)) {
            try buffer.withUnsafeMutableBufferPointer { (b) throws(LoadBalanceError) in try s.fill(b) }
        }
        #expect(buffer == [Float](repeating: 7, count: 6))
        #expect(try s.next(tokens: 0).isEmpty)
    }
}
