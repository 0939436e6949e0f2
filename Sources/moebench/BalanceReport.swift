//===--- BalanceReport.swift - moebench balance output ---------------------===//
//
// JSON object (keys stable, snake_case; counts are integers, ratios plain numbers):
//   router:  {preset (string|null), summary, experts, topk, scoring, correction_bias (bool)}
//   input:   {source: "synthetic"|"logits"|"indices", path|null, skew|null,
//             popularity_order ("shuffled"|"ascending-index")|null, seed|null}
//   tokens (all batches), batches, tokens_per_batch
//   load:    {slots, mean, max, min, imbalance (max/mean), max_violation, cv, idle_experts,
//             distinct_experts, counts [E]}                               — all batches summed
//   batch_imbalance: {mean, worst, per_batch [batches]}                   — max/mean per batch
//   bias_update: null | {rate, first_batch_imbalance, last_batch_imbalance, final_bias [E]}
//   ep:      {ranks, placement, imbalance, token_imbalance, ranks_per_token, tokens_sent,
//             per_rank [{rank, experts, slots, share, relative_load, tokens_received}]}
//   hottest: [{expert, rank, slots, relative_load}]
// CSV: scope,index,metric,value (scope: total, batch, rank, expert).
//
//===----------------------------------------------------------------------===//

import Foundation
import MoEKit

/// Where the routed tokens came from.
enum BalanceInput {
    case synthetic(skew: Double, order: SyntheticLogits.PopularityOrder, seed: UInt64)
    case logits(path: String)
    case indices(path: String)
}

/// Everything one `moebench balance` run measured.
struct BalanceRun {
    var router: RouterConfiguration
    var preset: String?
    var input: BalanceInput
    var load: LoadAccumulator
    var tokensPerBatch: Int
    var biasRate: Float?
    var finalBias: [Float]?
    var placementName: String
}

struct BalanceReport {
    let run: BalanceRun
    let total: LoadStatistics
    let ranks: RankLoads
    let placement: ExpertPlacement
    let hottest: [Int]

    init(run: BalanceRun, hottest: Int) {
        self.run = run
        total = run.load.total
        placement = run.load.placement!         // the command always gives one
        ranks = run.load.rankLoads!
        self.hottest = total.hottestExperts(hottest)
    }

    private var placementName: String { run.placementName }

    private var inputLine: String {
        switch run.input {
        case .synthetic(let skew, let order, let seed):
            return "synthetic, skew \(skew) (\(order == .shuffled ? "popular experts shuffled" : "expert 0 hottest")), seed \(seed)"
        case .logits(let path): return "logits \(path)"
        case .indices(let path): return "indices \(path)"
        }
    }

    // MARK: Table

    func table() -> String {
        let load = run.load
        var out = "router      \(run.preset.map { $0 + ": " } ?? "")\(run.router.summary)\n"
        out += "input       \(inputLine)\n"
        out += "tokens      \(total.tokens) (\(load.batches) batch\(load.batches == 1 ? "" : "es") of \(run.tokensPerBatch)), \(total.slots) slots\n"
        out += "mean        \(Format.fixed(total.mean, 2)) slots per expert\n"
        out += "max / min   \(total.max) / \(total.min)\n"
        out += "max/mean    \(Format.fixed(total.imbalance, 3))   MaxVio \(Format.fixed(total.maxViolation, 3))   CV \(Format.fixed(total.coefficientOfVariation, 3))\n"
        out += "experts     \(total.distinctExperts) used, \(total.idleExperts) idle of \(total.experts)\n"
        if load.batches > 1 {
            out += "per batch   max/mean mean \(Format.fixed(load.meanBatchImbalance, 3)), worst \(Format.fixed(load.worstBatchImbalance, 3))\n"
        }
        if let rate = run.biasRate, let first = load.batchImbalances.first, let last = load.batchImbalances.last {
            let bias = run.finalBias ?? []
            out += "bias rate   \(rate): max/mean batch 1 \(Format.fixed(first, 3)) -> batch \(load.batches) \(Format.fixed(last, 3)); final bias in [\(Format.fixed(Double(bias.min() ?? 0), 4)), \(Format.fixed(Double(bias.max() ?? 0), 4))]\n"
            // Up to 10 evenly spaced batches, the last one included, to show the convergence.
            let step = max(1, (load.batches + 9) / 10)
            let shown = Array(stride(from: 0, to: load.batches, by: step)) + ((load.batches - 1) % step == 0 ? [] : [load.batches - 1])
            out += "by batch    " + shown.map { "\($0 + 1): \(Format.fixed(load.batchImbalances[$0], 2))" }.joined(separator: "  ") + "\n"
        }

        out += "\nEP \(placement.ranks) ranks, \(placementName): slots max/mean \(Format.fixed(ranks.imbalance, 3))"
        if let tokenImbalance = ranks.tokenImbalance, let perToken = ranks.ranksPerToken {
            out += ", tokens received max/mean \(Format.fixed(tokenImbalance, 3)), \(Format.fixed(perToken, 2)) ranks per token"
        }
        out += "\n"
        var rankTable = TextTable(["rank", "experts", "slots", "share", "slots/mean", "tokens in"])
        let shares = ranks.shares, relative = ranks.relativeLoads
        for r in 0..<ranks.ranks {
            rankTable.append(["\(r)", "\(placement.experts(onRank: r).count)", "\(ranks.slots[r])",
                              Format.fixed(shares[r] * 100, 1) + "%", Format.fixed(relative[r], 3),
                              ranks.tokensReceived.map { "\($0[r])" } ?? "-"])
        }
        out += rankTable.render()

        if !hottest.isEmpty {
            out += "\nhottest experts\n"
            var expertTable = TextTable(["expert", "rank", "slots", "slots/mean"])
            let relativeLoads = total.relativeLoads
            for e in hottest {
                expertTable.append(["\(e)", "\(placement.rankOfExpert[e])", "\(total.counts[e])", Format.fixed(relativeLoads[e], 3)])
            }
            out += expertTable.render()
        }
        return out
    }

    // MARK: JSON

    func json() throws -> String {
        let load = run.load
        var input: [String: Any] = ["path": NSNull(), "skew": NSNull(), "popularity_order": NSNull(), "seed": NSNull()]
        switch run.input {
        case .synthetic(let skew, let order, let seed):
            input["source"] = "synthetic"
            input["skew"] = skew
            input["popularity_order"] = order.rawValue
            input["seed"] = NSNumber(value: seed)
        case .logits(let path): input["source"] = "logits"; input["path"] = path
        case .indices(let path): input["source"] = "indices"; input["path"] = path
        }
        var bias: Any = NSNull()
        if let rate = run.biasRate {
            bias = [
                "rate": Double(rate),
                "first_batch_imbalance": load.batchImbalances.first ?? 1,
                "last_batch_imbalance": load.batchImbalances.last ?? 1,
                "final_bias": (run.finalBias ?? []).map(Double.init),
            ] as [String: Any]
        }
        let shares = ranks.shares, relative = ranks.relativeLoads, expertRelative = total.relativeLoads
        let object: [String: Any] = [
            "router": [
                "preset": run.preset ?? NSNull(), "summary": run.router.summary, "experts": run.router.experts,
                "topk": run.router.topK, "scoring": run.router.scoring.rawValue,
                "correction_bias": run.router.usesCorrectionBias,
            ] as [String: Any],
            "input": input,
            "tokens": total.tokens, "batches": load.batches, "tokens_per_batch": run.tokensPerBatch,
            "load": [
                "slots": total.slots, "mean": total.mean, "max": total.max, "min": total.min,
                "imbalance": total.imbalance, "max_violation": total.maxViolation,
                "cv": total.coefficientOfVariation, "idle_experts": total.idleExperts,
                "distinct_experts": total.distinctExperts, "counts": total.counts,
            ] as [String: Any],
            "batch_imbalance": [
                "mean": load.meanBatchImbalance, "worst": load.worstBatchImbalance,
                "per_batch": load.batchImbalances,
            ] as [String: Any],
            "bias_update": bias,
            "ep": [
                "ranks": placement.ranks, "placement": placementName, "imbalance": ranks.imbalance,
                "token_imbalance": ranks.tokenImbalance ?? NSNull(), "ranks_per_token": ranks.ranksPerToken ?? NSNull(),
                "tokens_sent": ranks.tokensSent ?? NSNull(),
                "per_rank": (0..<ranks.ranks).map { r in
                    [
                        "rank": r, "experts": placement.experts(onRank: r).count, "slots": ranks.slots[r],
                        "share": shares[r], "relative_load": relative[r],
                        "tokens_received": ranks.tokensReceived.map { $0[r] as Any } ?? NSNull(),
                    ] as [String: Any]
                },
            ] as [String: Any],
            "hottest": hottest.map { e in
                ["expert": e, "rank": placement.rankOfExpert[e], "slots": total.counts[e],
                 "relative_load": expertRelative[e]] as [String: Any]
            },
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: CSV

    func csv() -> String {
        let load = run.load
        var out = "scope,index,metric,value\n"
        func row(_ scope: String, _ index: Int?, _ metric: String, _ value: Double) {
            out += csvLine([scope, index.map(String.init) ?? "", metric, Format.plain(value)]) + "\n"
        }
        row("total", nil, "tokens", Double(total.tokens))
        row("total", nil, "batches", Double(load.batches))
        row("total", nil, "slots", Double(total.slots))
        row("total", nil, "mean", total.mean)
        row("total", nil, "max", Double(total.max))
        row("total", nil, "min", Double(total.min))
        row("total", nil, "imbalance", total.imbalance)
        row("total", nil, "max_violation", total.maxViolation)
        row("total", nil, "cv", total.coefficientOfVariation)
        row("total", nil, "idle_experts", Double(total.idleExperts))
        row("total", nil, "distinct_experts", Double(total.distinctExperts))
        row("total", nil, "rank_imbalance", ranks.imbalance)
        if let t = ranks.tokenImbalance { row("total", nil, "rank_token_imbalance", t) }
        for (b, imbalance) in load.batchImbalances.enumerated() { row("batch", b, "imbalance", imbalance) }
        for r in 0..<ranks.ranks {
            row("rank", r, "slots", Double(ranks.slots[r]))
            if let received = ranks.tokensReceived { row("rank", r, "tokens_received", Double(received[r])) }
        }
        for e in 0..<total.experts { row("expert", e, "slots", Double(total.counts[e])) }
        return out
    }
}
