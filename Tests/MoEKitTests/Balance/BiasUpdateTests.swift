//===--- BiasUpdateTests.swift - Aux-loss-free bias update -----------------===//

import Testing
@testable import MoEKit

@Suite("Aux-loss-free bias update")
struct BiasUpdateTests {
    /// counts [5, 3, 1, 3]: Σ 12, mean 3. Expert 0 is over (−rate), expert 2 under (+rate),
    /// experts 1 and 3 sit exactly on the mean (sign(0) = 0: unchanged).
    @Test func overUnderAndEqualByHand() throws {
        var bias: [Float] = [0, 0.5, -0.25, 0]
        try AuxLossFreeBalancing.update(bias: &bias, counts: [5, 3, 1, 3], rate: 0.1)
        #expect(bias == [0 - 0.1, 0.5, -0.25 + 0.1, 0])
    }

    /// counts [2, 2, 1]: mean 5/3 is no integer, so nobody is at the mean: 2 > 5/3 (−), 1 < 5/3 (+).
    @Test func fractionalMean() throws {
        #expect(try AuxLossFreeBalancing.updated(bias: [0, 0, 0], counts: [2, 2, 1], rate: 0.001) == [-0.001, -0.001, 0.001])
        // All equal: nothing moves; rate 0: nothing moves.
        #expect(try AuxLossFreeBalancing.updated(bias: [1, 2], counts: [7, 7], rate: 0.5) == [1, 2])
        #expect(try AuxLossFreeBalancing.updated(bias: [1, 2], counts: [9, 0], rate: 0) == [1, 2])
    }

    @Test func badInputLeavesTheBiasUnchanged() {
        var bias: [Float] = [0.5, -0.5]
        #expect(throws: LoadBalanceError.sizeMismatch("counts", expected: 2, actual: 3)) {
            try AuxLossFreeBalancing.update(bias: &bias, counts: [1, 2, 3], rate: 0.1)
        }
        #expect(throws: LoadBalanceError.negativeCount(expert: 1, count: -1)) {
            try AuxLossFreeBalancing.update(bias: &bias, counts: [4, -1], rate: 0.1)
        }
        for rate: Float in [-0.001, .nan, .infinity] {
            #expect(throws: LoadBalanceError.self) { try AuxLossFreeBalancing.update(bias: &bias, counts: [4, 1], rate: rate) }
        }
        #expect(throws: LoadBalanceError.invalidRate(-0.001)) { try AuxLossFreeBalancing.update(bias: &bias, counts: [4, 1], rate: -0.001) }
        #expect(throws: LoadBalanceError.overflow("the sum of the counts")) {
            try AuxLossFreeBalancing.update(bias: &bias, counts: [Int.max, 1], rate: 0.1)
        }
        #expect(bias == [0.5, -0.5])
        var nanBias: [Float] = [0, .nan]
        #expect(throws: LoadBalanceError.self) { try AuxLossFreeBalancing.update(bias: &nanBias, counts: [1, 1], rate: 0.1) }
        var empty: [Float] = []
        #expect(throws: LoadBalanceError.invalidExpertCount(0)) { try AuxLossFreeBalancing.update(bias: &empty, counts: [], rate: 0.1) }
    }

    /// Skewed synthetic logits (Zipf s = 1, E = 64, k = 4) routed by a sigmoid router with a
    /// correction bias, updated after every batch. The first batch's max/mean is about 10 (the
    /// most popular expert is in roughly 2/3 of the top-4 sets); after 60 updates at rate 0.01
    /// it is below 2.5 for several seeds, so the bound (a third of the first) is far from flaky.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func biasUpdateReducesImbalance(seed: UInt64) throws {
        let config = RouterConfiguration(experts: 64, topK: 4, scoring: .sigmoid, usesCorrectionBias: true)
        var source = try SyntheticLogits(experts: 64, skew: 1, seed: seed)
        var bias = [Float](repeating: 0, count: 64)
        var imbalances: [Double] = []
        for _ in 0..<60 {
            let result = try Router(config, correctionBias: bias).route(logits: source.next(tokens: 1024))
            let batch = try LoadStatistics(result, experts: 64)
            imbalances.append(batch.imbalance)
            try AuxLossFreeBalancing.update(bias: &bias, counts: batch.counts, rate: 0.01)
        }
        let late = imbalances.suffix(10).reduce(0, +) / 10
        #expect(imbalances[0] > 6)
        #expect(late < imbalances[0] / 3, "first \(imbalances[0]), last ten \(late)")
        // The hottest experts were pushed down, the others up.
        #expect(bias.min()! < 0 && bias.max()! > 0)
    }
}
