//===--- ReferenceRouter.swift - A plain scalar router to test against ----===//
//
// An obviously correct transcription of the Hugging Face reference routers
// (transformers 5.x DeepseekV3TopkRouter, DeepseekV2TopkRouter, DeepseekV4TopKRouter,
// MixtralTopKRouter, Qwen3MoeTopKRouter, GptOssTopKRouter, Llama4Router; see routing.md §2), written
// for clarity, not speed: scores are computed in Double and rounded once to Float (the
// correctly rounded float32 result), selection sorts everything, and ties go to the lower
// index.
//
//===----------------------------------------------------------------------===//

import Foundation
@testable import MoEKit

struct ReferenceRouter {
    var config: RouterConfiguration
    var bias: [Float]?

    struct Row {
        var indices: [Int32]
        var weights: [Float]
        /// The selection key of every expert (`score + bias`), for tie-aware comparison.
        var keys: [Float]
    }

    func scores(_ x: [Float]) -> [Float] {
        switch config.scoring {
        case .sigmoid:
            return x.map { Float(1 / (1 + exp(-Double($0)))) }
        case .sqrtSoftplus:
            return x.map { v in
                let d = Double(v)
                let softplus = max(d, 0) + log1p(exp(-abs(d)))
                return Float(softplus.squareRoot())
            }
        case .softmax:
            // exp(x - max) with the subtraction in float32, as the reference code computes it.
            let m = x.max()!
            let e = x.map { exp(Double($0 - m)) }
            let s = e.reduce(0, +)
            return e.map { Float($0 / s) }
        case .logits:
            return x
        }
    }

    func route(_ x: [Float]) -> Row {
        let e = config.experts, k = config.topK
        let s = scores(x)
        let keys = (0..<e).map { i in bias.map { s[i] + $0[i] } ?? s[i] }
        var allowed = Array(repeating: true, count: e)
        if let g = config.groupLimit {
            let size = e / g.groups
            let groupScores: [Float] = (0..<g.groups).map { group in
                let members = keys[(group * size)..<((group + 1) * size)].sorted(by: >)
                switch g.score {
                case .max: return members[0]
                case .topTwoSum: return members.count == 1 ? members[0] : members[0] + members[1]
                }
            }
            let kept = (0..<g.groups).sorted {
                groupScores[$0] != groupScores[$1] ? groupScores[$0] > groupScores[$1] : $0 < $1
            }.prefix(g.keptGroups)
            allowed = (0..<e).map { kept.contains($0 / size) }
        }
        let chosen = (0..<e).filter { allowed[$0] }.sorted {
            keys[$0] != keys[$1] ? keys[$0] > keys[$1] : $0 < $1
        }.prefix(k)
        var w: [Double]
        switch config.weighting {
        case .softmaxOverChosen:
            let v = chosen.map { Double(s[$0]) }
            let m = v.max()!
            let ex = v.map { exp($0 - m) }
            let sum = ex.reduce(0, +)
            w = ex.map { $0 / sum }
        case .sigmoidOfChosen:
            // Llama 4 (transformers `Llama4Router`): sigmoid of each chosen score.
            w = chosen.map { Double(Float(1 / (1 + exp(-Double(s[$0]))))) }
            if config.normalizesWeights {
                let sum = w.reduce(0, +) + Double(config.normalizationEpsilon)
                w = w.map { $0 / sum }
            }
        case .chosenScores:
            w = chosen.map { Double(s[$0]) }
            if config.normalizesWeights {
                let sum = w.reduce(0, +) + Double(config.normalizationEpsilon)
                w = w.map { $0 / sum }
            }
        }
        return Row(indices: chosen.map(Int32.init),
                   weights: w.map { Float($0 * Double(config.scalingFactor)) },
                   keys: keys)
    }
}

/// Compares a router's output with the reference, token by token.
///
/// The chosen sets must be equal, except for near ties: an expert chosen by only one side
/// must have a reference key within `keyTolerance` (relative) of every expert chosen by
/// only the other side, and different inputs (equal logits and biases give equal keys in
/// any implementation, so there the lower-index rule must hold exactly). The output order
/// must follow the reference keys (descending, near ties allowed), with equal inputs in
/// ascending index order. Weights are compared per expert within `weightTolerance`
/// relative (values below 1e-30 count as zero) when the sets are equal.
struct RoutingComparison {
    var rows = 0
    var exactRows = 0
    var nearTieRows = 0
    var failures: [String] = []

    static let keyTolerance: Float = 4e-7
    static let weightTolerance: Float = 1e-6

    mutating func compare(
        token t: Int, logits x: [Float], bias: [Float]?, expected: ReferenceRouter.Row,
        indices: ArraySlice<Int32>, weights: ArraySlice<Float>, checkSkippedTies: Bool = true
    ) {
        rows += 1
        let got = Array(indices).map(Int.init), gotW = Array(weights)
        let want = expected.indices.map(Int.init)
        let keys = expected.keys
        func sameInput(_ a: Int, _ b: Int) -> Bool { x[a] == x[b] && (bias.map { $0[a] == $0[b] } ?? true) }
        func near(_ a: Int, _ b: Int) -> Bool {
            abs(keys[a] - keys[b]) <= Self.keyTolerance * max(abs(keys[a]), abs(keys[b])) + 1e-30
        }
        func fail(_ why: String) { failures.append("token \(t): \(why); got \(got), expected \(want)") }

        guard got.allSatisfy({ (0..<keys.count).contains($0) }), Set(got).count == got.count else {
            return fail("indices out of range or repeated")
        }
        if got == want {
            exactRows += 1
            for j in got.indices where !Self.close(gotW[j], expected.weights[j]) {
                return fail("slot \(j): weight \(gotW[j]) vs reference \(expected.weights[j])")
            }
            return
        }
        // Order: descending reference key (near ties allowed); equal inputs by index.
        for j in 1..<max(1, got.count) {
            let a = got[j - 1], b = got[j]
            if keys[a] < keys[b] && !near(a, b) { return fail("slot \(j): out of key order") }
            if sameInput(a, b) && a > b { return fail("slot \(j): equal keys not in index order") }
        }
        let onlyGot = Set(got).subtracting(want), onlyWant = Set(want).subtracting(got)
        for a in onlyGot {
            for b in onlyWant where !near(a, b) || sameInput(a, b) {
                return fail("expert \(a) (key \(keys[a])) chosen instead of \(b) (key \(keys[b]))")
            }
        }
        if onlyGot.isEmpty {
            // Same set in another order: the weights still belong to the same experts.
            for (j, e) in got.enumerated() {
                let r = want.firstIndex(of: e)!
                if !Self.close(gotW[j], expected.weights[r]) { return fail("expert \(e): weight \(gotW[j]) vs \(expected.weights[r])") }
            }
        }
        nearTieRows += 1
    }

    static func close(_ a: Float, _ b: Float) -> Bool {
        if a == b { return true }
        if abs(a) < 1e-30 && abs(b) < 1e-30 { return true }
        return abs(a - b) <= weightTolerance * max(abs(a), abs(b))
    }
}
