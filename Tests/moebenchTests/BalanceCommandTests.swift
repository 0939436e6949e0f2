//===--- BalanceCommandTests.swift - moebench balance end to end -----------===//

import Foundation
import MoEKit
import Testing

@Suite("moebench balance")
struct BalanceCommandTests {
    let dir: URL

    init() throws { dir = try makeTemporaryDirectory() }

    func write<S: NPYScalar>(_ name: String, _ array: NPYArray<S>) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(NPY.encode(array)).write(to: url)
        return url.path
    }

    func json(_ arguments: [String]) throws -> [String: Any] {
        let run = try runMoebench(["balance"] + arguments + ["--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }

    @Test("Synthetic batches with a bias update agree with the library on the same seed")
    func syntheticAgreesWithLibrary() throws {
        let object = try json(["--skew", "1.2", "--tokens", "256", "--seed", "7", "--batches", "4",
                               "--bias-rate", "0.01", "--ep", "8", "--placement", "round-robin"])
        // The same run through MoEKit: default router kimi-k2, zero initial bias.
        var source = try SyntheticLogits(experts: 384, skew: 1.2, seed: 7)
        var load = try LoadAccumulator(experts: 384, topK: 8, placement: .roundRobin(experts: 384, ranks: 8))
        var bias = [Float](repeating: 0, count: 384)
        for _ in 0..<4 {
            let result = try Router(.kimiK2, correctionBias: bias).route(logits: source.next(tokens: 256))
            let batch = try load.add(indices: result.indices)
            try AuxLossFreeBalancing.update(bias: &bias, counts: batch.counts, rate: 0.01)
        }
        let total = load.total, ranks = try #require(load.rankLoads)
        let l = try #require(object["load"] as? [String: Any])
        #expect(l["counts"] as? [Int] == total.counts)
        #expect(l["imbalance"] as? Double == total.imbalance && l["cv"] as? Double == total.coefficientOfVariation)
        #expect(l["idle_experts"] as? Int == total.idleExperts && l["max"] as? Int == total.max)
        #expect(object["tokens"] as? Int == 1024 && object["batches"] as? Int == 4)
        let b = try #require(object["batch_imbalance"] as? [String: Any])
        #expect(b["per_batch"] as? [Double] == load.batchImbalances && b["worst"] as? Double == load.worstBatchImbalance)
        let update = try #require(object["bias_update"] as? [String: Any])
        #expect(update["final_bias"] as? [Double] == bias.map(Double.init))
        let ep = try #require(object["ep"] as? [String: Any])
        let perRank = try #require(ep["per_rank"] as? [[String: Any]])
        #expect(perRank.map { $0["slots"] as? Int } == ranks.slots)
        #expect(perRank.map { $0["tokens_received"] as? Int } == (ranks.tokensReceived ?? []).map { Optional($0) })
        #expect(ep["placement"] as? String == "round-robin" && ep["imbalance"] as? Double == ranks.imbalance)
        let hottest = try #require(object["hottest"] as? [[String: Any]])
        #expect(hottest.map { $0["expert"] as? Int } == total.hottestExperts(8))
    }

    @Test("--logits is routed as the library routes it")
    func logitsAgreeWithLibrary() throws {
        var g = SeededGenerator(seed: 4)
        let logits = NPYArray(shape: [50, 64], values: g.uniformFloats(count: 50 * 64, scale: 2))
        let bias = NPYArray(shape: [64], values: g.uniformFloats(count: 64, scale: 0.2))
        let object = try json(["--logits", try write("l.npy", logits), "--bias", try write("b.npy", bias),
                               "--scoring", "sigmoid", "--topk", "4", "--ep", "4"])
        let result = try Router(RouterConfiguration(experts: 64, topK: 4, scoring: .sigmoid, usesCorrectionBias: true),
                                correctionBias: bias.values).route(logits: logits.values)
        let placement = try ExpertPlacement.contiguous(experts: 64, ranks: 4)
        let l = try #require(object["load"] as? [String: Any])
        #expect(l["counts"] as? [Int] == (try LoadStatistics(result, experts: 64)).counts)
        let perRank = try #require((object["ep"] as? [String: Any])?["per_rank"] as? [[String: Any]])
        #expect(perRank.map { $0["tokens_received"] as? Int } == (try placement.tokensPerRank(indices: result.indices, topK: 4)))
        #expect((object["input"] as? [String: Any])?["source"] as? String == "logits")
    }

    /// Rows {0,1} {0,2} {0,1} {3,0}: counts [4, 2, 1, 1], mean 2, max/mean 2, CV √1.5/2.
    /// Round-robin over 2 ranks (even, odd experts): slots [5, 3]; tokens received: every
    /// token has an even expert, tokens 0, 2, 3 an odd one → [4, 3].
    @Test("--indices: statistics worked by hand")
    func indicesByHand() throws {
        let indices = NPYArray<Int32>(shape: [4, 2], values: [0, 1, 0, 2, 0, 1, 3, 0])
        let object = try json(["--indices", try write("i.npy", indices), "--experts", "4", "--ep", "2",
                               "--placement", "round-robin"])
        let l = try #require(object["load"] as? [String: Any])
        #expect(l["counts"] as? [Int] == [4, 2, 1, 1] && l["mean"] as? Double == 2 && l["imbalance"] as? Double == 2)
        #expect(abs((l["cv"] as? Double ?? 0) - 1.5.squareRoot() / 2) < 1e-12)
        let perRank = try #require((object["ep"] as? [String: Any])?["per_rank"] as? [[String: Any]])
        #expect(perRank.map { $0["slots"] as? Int } == [5, 3])
        #expect(perRank.map { $0["tokens_received"] as? Int } == [4, 3])
    }

    @Test("Table and CSV output")
    func tableAndCSV() throws {
        let table = try runMoebench(["balance", "--skew", "1", "--tokens", "512", "--hot-first", "--batches", "3"])
        #expect(table.status == 0, "\(table.stderr)")
        for text in ["kimi-k2", "max/mean", "MaxVio", "CV", "idle", "per batch", "tokens in", "hottest experts"] {
            #expect(table.stdout.contains(text), "missing \(text)")
        }
        let csv = try runMoebench(["balance", "--tokens", "64", "--format", "csv", "--ep", "4"])
        #expect(csv.status == 0)
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.first == "scope,index,metric,value")
        #expect(lines.contains("total,,tokens,64") && lines.contains("total,,slots,512"))
        #expect(lines.filter { $0.hasPrefix("expert,") }.count == 384 && lines.filter { $0.hasPrefix("rank,") }.count == 8)
    }

    @Test("Bad input: one line on stderr, exit 2")
    func badInput() throws {
        let logits = try write("l.npy", NPYArray<Float>(shape: [2, 16], values: [Float](repeating: 0.5, count: 32)))
        let flat = try write("flat.npy", NPYArray<Float>(shape: [32], values: [Float](repeating: 0.5, count: 32)))
        let indices = try write("i.npy", NPYArray<Int32>(shape: [2, 2], values: [0, 1, 2, 5]))
        let shortBias = try write("b.npy", NPYArray<Float>(shape: [3], values: [0, 0, 0]))
        let cases: [([String], String)] = [
            (["--logits", dir.appendingPathComponent("missing.npy").path, "--preset", "mixtral"], "cannot read file"),
            (["--logits", flat, "--scoring", "softmax", "--topk", "2"], "does not match the required [T, E]"),
            (["--logits", logits, "--indices", indices], "give --logits or --indices, not both"),
            (["--logits", logits], "the input has 16 experts but the default router kimi-k2 has 384"),
            (["--logits", logits, "--preset", "kimi-k2"], "preset kimi-k2 has 384 experts but the input has 16"),
            (["--logits", logits, "--scoring", "softmax", "--topk", "2", "--bias", shortBias], "does not match the required [16]"),
            (["--logits", logits, "--scoring", "softmax", "--topk", "2", "--ep", "5"], "5 expert-parallel ranks do not divide the 16 experts"),
            (["--logits", logits, "--scoring", "softmax", "--topk", "2", "--batches", "3"], "--batches applies to synthetic input only"),
            (["--logits", indices, "--scoring", "softmax", "--topk", "2"], "dtype '<i4' is not supported"),
            (["--indices", indices], "--indices needs the number of experts"),
            (["--indices", indices, "--experts", "4", "--ep", "2"], "index of token 1, slot 1 is 5, outside the experts 0..<4"),
            (["--indices", indices, "--experts", "8", "--topk", "3"], "--topk 3 does not match the 2 experts per token"),
            (["--indices", indices, "--preset", "mixtral", "--ep", "3"], "3 expert-parallel ranks do not divide the 8 experts"),
            (["--indices", indices, "--preset", "qwen3-moe"], "preset qwen3-moe chooses 8 experts per token"),
            (["--indices", indices, "--experts", "8", "--bias", shortBias], "--bias needs logits to route"),
            (["--indices", logits, "--experts", "16"], "dtype '<f4' is not supported"),
            (["--tokens", "0"], "'0' is not a token count in 1...16777216"),
            (["--tokens", "1,2"], "--tokens takes one count here, got '1,2'"),
            (["--skew=-1"], "The value '-1' is invalid for '--skew <skew>': must be a number in 0...100"),
            (["--skew", "nan"], "'--skew <skew>': must be a number in 0...100"),
            (["--batches", "0"], "'--batches <batches>': must be a whole number in 1...1000000"),
            (["--batches", "1000001"], "'--batches <batches>': must be a whole number in 1...1000000"),
            (["--ep", "0"], "'--ep <ep>': must be a whole number in 1...16777216"),
            (["--ep", "7"], "7 expert-parallel ranks do not divide the 384 experts"),
            (["--preset", "qwen3-moe", "--batches", "2", "--bias-rate", "0.001"], "--bias-rate needs a router with sigmoid or sqrtsoftplus scoring"),
            (["--bias-rate", "0.001"], "--bias-rate needs --batches 2 or more"),
            (["--batches", "2", "--bias-rate=-0.5"], "'--bias-rate <bias-rate>': must be a number in 0...1"),
            (["--tokens", "10000000"], "logits per batch"),
            (["--hottest=-1"], "'--hottest <hottest>': must be a whole number in 0...16777216"),
            (["--preset", "nope"], "unknown preset 'nope'"),
            (["--placement", "diagonal"], "diagonal"),
        ]
        for (arguments, message) in cases {
            let run = try runMoebench(["balance"] + arguments)
            #expect(run.status == 2, "\(arguments): status \(run.status) \(run.stderr)")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("moebench: error: "), "\(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
    }
}
