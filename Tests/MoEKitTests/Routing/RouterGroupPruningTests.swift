import Foundation
import Testing
import MoEKit

/// Group-limited routers take a pruned path on AVX-512 (RoutePruningAVX512.c): the groups are
/// scored on approximate keys, and a row keeps that choice only when the kept-th and the
/// next group score are further apart than the approximation can move them; otherwise the
/// whole row is scored exactly. These rows put group scores and keys closer together than
/// that error, tie them exactly, and push values to the extremes; the result must be the
/// unfused kernels' bit for bit (`unfusedRoute`, RouterFusedTests.swift) and the scalar
/// reference's on random rows.
@Suite("Group-limited pruning")
struct RouterGroupPruningTests {
    /// (E, groups, kept, k, group score): DeepSeek-V3's shape, groups of one vector scored by
    /// their maximum, groups of three vectors, one kept group with k = 16, two groups, and 16
    /// groups (more than the pruned path serves: the exact path).
    static let shapes: [(Int, Int, Int, Int, RouterConfiguration.GroupScore)] = [
        (256, 8, 4, 8, .topTwoSum), (128, 8, 3, 6, .max), (192, 4, 2, 8, .topTwoSum),
        (512, 8, 1, 16, .topTwoSum), (64, 2, 1, 4, .max), (256, 16, 4, 8, .topTwoSum),
    ]

    /// Whether expert i is one of its group's two leaders: in lanes 2g and 2g + 1 (mod 16) of
    /// group g, the second in the group's second vector where it has one, so that the
    /// leaders of different groups sit in different lanes (and the kernel's cut sees them).
    static func leads(_ i: Int, experts e: Int, groups: Int) -> Bool {
        let size = e / groups, g = i / size, position = i % size
        return position == (2 * g) % 16 || position == (size > 16 ? 16 : 0) + (2 * g + 1) % 16
    }

    /// The leaders' logits spread over [-3, 3] in a scrambled order; -10 elsewhere.
    static func spread(_ i: Int, experts e: Int, groups: Int) -> Float {
        leads(i, experts: e, groups: groups) ? -3 + 6 * Float(i * 37 % e) / Float(e) : -10
    }

    /// A bias that cancels the scores of `spread`'s leaders: their keys
    /// are 0.75 up to rounding, so every group score is 1.5 (or 0.75) up to rounding and the
    /// exact choice of groups rests on rounding and the tie rule, while their approximate
    /// keys differ by the approximation's error, which depends on the logit.
    static func cancelling(experts e: Int, groups: Int, scoring: RouterConfiguration.Scoring) -> [Float] {
        (0..<e).map { i in
            guard leads(i, experts: e, groups: groups) else { return 0 }
            let x = Double(spread(i, experts: e, groups: groups))
            let score = scoring == .sigmoid ? 1 / (1 + Foundation.exp(-x)) : (x + Foundation.log1p(Foundation.exp(-x))).squareRoot()
            return Float(0.75 - score)
        }
    }

    static func logits(experts e: Int, groups: Int, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        let size = e / groups
        let specials: [Float] = [-100, -88, -20, -1e-30, 0, 1e-30, 16, 88, 100, 3e38, -3e38]
        var logits = [Float]()
        for t in 0..<30 {
            var row = [Float](repeating: 0, count: e)
            for i in 0..<e {
                let group = i / size, position = i % size
                row[i] = switch t % 6 {
                case 0: 2 * (g.nextSignedUnitFloat() + g.nextSignedUnitFloat())    // random
                case 1: Self.spread(i, experts: e, groups: groups)                 // with `cancelling`: group scores all but equal
                case 2: Float(g.next() % 64) * 0.25 - 8                           // coarse grid: exact ties
                case 3: group % 2 == 0 ? 3 - Float(position) * 1e-3 : 3 - Float(size - 1 - position) * 1e-3
                case 4: specials[Int(g.next() % UInt64(specials.count))]          // extremes
                default: Float(t) - 12                                            // a whole row of one value
                }
            }
            logits += row
        }
        return logits
    }

    @Test("Same bits as the unfused kernels, 1 and 3 threads", arguments: shapes.indices)
    func sameBits(_ s: Int) throws {
        let (e, groups, kept, k, score) = Self.shapes[s]
        for scoring in [RouterConfiguration.Scoring.sigmoid, .sqrtSoftplus] {
            let config = RouterConfiguration(
                experts: e, topK: k, scoring: scoring, usesCorrectionBias: true,
                groupLimit: .init(groups: groups, keptGroups: kept, score: score),
                normalizationEpsilon: 1e-20, scalingFactor: 2.5)
            var g = SeededGenerator(seed: UInt64(s) + 17)
            // No bias, a small one (the usual case), and a large one that reorders groups.
            let biases: [[Float]] = [
                [Float](repeating: 0, count: e), g.uniformFloats(count: e, scale: 0.02), g.uniformFloats(count: e, scale: 2),
                Self.cancelling(experts: e, groups: groups, scoring: scoring),
            ]
            let logits = Self.logits(experts: e, groups: groups, seed: UInt64(s) * 7 + 3)
            for (b, bias) in biases.enumerated() {
                let router = try Router(config, correctionBias: bias)
                let expected = unfusedRoute(router, logits: logits)
                for threads in [1, 3] {
                    let got = try router.route(logits: logits, threads: threads)
                    let label = "E=\(e) \(groups) groups keep \(kept) k=\(k) \(score) \(scoring) bias \(b), \(threads) threads"
                    #expect(got.indices == expected.indices, "\(label): indices")
                    #expect(got.weights.map(\.bitPattern) == expected.weights.map(\.bitPattern), "\(label): weights")
                }
            }
        }
    }

    @Test("Against the scalar reference on random rows", arguments: shapes.indices)
    func reference(_ s: Int) throws {
        let (e, groups, kept, k, score) = Self.shapes[s]
        let config = RouterConfiguration(
            experts: e, topK: k, scoring: .sigmoid, usesCorrectionBias: true,
            groupLimit: .init(groups: groups, keptGroups: kept, score: score), scalingFactor: 2.5)
        var g = SeededGenerator(seed: UInt64(s) + 40)
        let bias = g.uniformFloats(count: e, scale: 0.05)
        let logits = randomLogits(300 * e, seed: UInt64(s) + 41, scale: 0.5)
        for threads in [1, 3] {
            expectMatches(try compareWithReference(config, tokens: 300, logits: logits, bias: bias, threads: threads),
                          "E=\(e) \(groups) groups keep \(kept), \(threads) threads")
        }
    }
}
