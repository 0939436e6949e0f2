//===--- ExpertParallelLayout.swift - Routed experts over EP ranks --------===//
//
// Which expert replicas live on which rank, how much routing load each rank receives, and how
// many ranks and scale-up domains one token is sent to. EPLB-style: redundant replicas go to
// the expert with the highest load per replica, then replicas are packed heaviest-first onto
// the least-loaded rank that has a free slot (DeepSeek EPLB, github.com/deepseek-ai/EPLB).
//
//===----------------------------------------------------------------------===//

import Foundation

/// Routed experts laid out over the ranks of one expert-parallel group.
struct ExpertParallelLayout: Sendable {
    /// EP ranks.
    let ranks: Int
    /// Routed experts `E` (without replicas).
    let experts: Int
    /// Experts chosen per token `k`.
    let topK: Int
    /// Expert slots on each rank: `ceil((E + redundant) / ranks)`.
    let slotsPerRank: Int
    /// For each rank, the selection probability of each replica it holds (`p_e / r_e`).
    let rankShares: [[Double]]
    /// The distinct ranks (equal multisets of replica shares counted once): each one's load and
    /// its shares with their multiplicities. Uniform routing has one.
    let rankProfiles: [(load: Double, shares: [(share: Double, count: Int)])]

    /// Lays out `probabilities` (`[E]`, `Σ = k`, each in `[0, 1]`) over `ranks` ranks with
    /// `redundant` extra replicas.
    ///
    /// - Complexity: O((*E* + *R*) log(*E* + *R*) + (*E* + *R*) log *ranks*).
    init(probabilities p: [Double], topK: Int, ranks: Int, redundant: Int) {
        self.ranks = ranks
        experts = p.count
        self.topK = topK
        let replicasTotal = p.count + redundant
        slotsPerRank = (replicasTotal + ranks - 1) / ranks
        var replicas = [Int](repeating: 1, count: p.count)
        if redundant > 0 {
            // Each extra replica goes to the expert with the highest load per replica (ties: the
            // lower index).
            let candidates: [(share: Double, expert: Int)] = p.indices.map { (p[$0], $0) }
            var hottest = BinaryHeap(candidates, ranksFirst: Self.hotterReplica)
            for _ in 0..<redundant {
                let e = hottest.top.expert
                replicas[e] += 1
                hottest.replaceTop(with: (p[e] / Double(replicas[e]), e))
            }
        }
        var items: [Double] = []
        items.reserveCapacity(replicasTotal)
        for e in p.indices { for _ in 0..<replicas[e] { items.append(p[e] / Double(replicas[e])) } }
        items.sort(by: >)
        // Least-loaded rank with a free slot first (ties: the lower rank).
        var shares = [[Double]](repeating: [], count: ranks)
        let empty: [(load: Double, rank: Int)] = (0..<ranks).map { (0, $0) }
        var lightest = BinaryHeap(empty, ranksFirst: Self.lighterRank)
        for share in items where !lightest.isEmpty {
            let r = lightest.top.rank
            shares[r].append(share)
            if shares[r].count < slotsPerRank {
                lightest.replaceTop(with: (lightest.top.load + share, r))
            } else {
                lightest.removeTop()
            }
        }
        rankShares = shares
        var seen = Set<[Double]>()
        var profiles: [(load: Double, shares: [(share: Double, count: Int)])] = []
        for list in shares {
            let sorted = list.sorted()
            guard seen.insert(sorted).inserted else { continue }
            var grouped: [(share: Double, count: Int)] = []
            for v in sorted {
                if let last = grouped.last, last.share == v { grouped[grouped.count - 1].count += 1 } else { grouped.append((v, 1)) }
            }
            profiles.append((sorted.reduce(0, +), grouped))
        }
        rankProfiles = profiles
    }

    /// The higher load per replica first; ties: the lower expert index.
    static func hotterReplica(_ a: (share: Double, expert: Int), _ b: (share: Double, expert: Int)) -> Bool {
        a.share > b.share || (a.share == b.share && a.expert < b.expert)
    }

    /// The lighter rank first; ties: the lower rank.
    static func lighterRank(_ a: (load: Double, rank: Int), _ b: (load: Double, rank: Int)) -> Bool {
        a.load < b.load || (a.load == b.load && a.rank < b.rank)
    }

    /// Selection probabilities for `experts` experts, `k` per token, under `model`.
    static func probabilities(_ model: ExpertLoadModel, experts: Int, topK: Int) -> [Double] {
        switch model {
        case .uniform:
            return [Double](repeating: Double(topK) / Double(experts), count: experts)
        case .zipf(let s):
            return waterFill((1...experts).map { pow(Double($0), -s) }, total: Double(topK))
        case .measured(let load):
            if let p = load.selectionProbabilities, p.count == experts { return p.map { Swift.min(1, $0) } }
            return [Double](repeating: Double(topK) / Double(experts), count: experts)
        }
    }

    /// Scales `weights` to `p_e = min(1, c·w_e)` with `Σ p_e = total`: a token picks an expert
    /// at most once, so no expert is chosen with probability above 1. (Inclusion probabilities
    /// of Plackett–Luce top-k sampling are approximated by this proportional-to-size rule.)
    static func waterFill(_ weights: [Double], total: Double) -> [Double] {
        let order = weights.indices.sorted { weights[$0] > weights[$1] }
        var capped = 0, rest = weights.reduce(0, +)
        var result = [Double](repeating: 0, count: weights.count)
        for i in order {
            let c = (total - Double(capped)) / rest
            if c * weights[i] >= 1 { result[i] = 1; capped += 1; rest -= weights[i] } else { break }
        }
        let c = rest > 0 ? (total - Double(capped)) / rest : 0
        for i in order where result[i] < 1 { result[i] = c * weights[i] }
        return result
    }

    /// The slowest rank when the group routes `tokens` tokens: its expected routed token-slots
    /// (with a fluctuation term `√(2 ln ranks · slots)` for the maximum over ranks of
    /// independent counts), its expected distinct replicas touched, and `time(slots, distinct)`.
    ///
    /// - Complexity: O(distinct replica shares) per distinct rank: O(1) for uniform routing.
    func slowestRank(tokens: Double, time: (_ slots: Double, _ distinct: Double) -> Double)
        -> (slots: Double, distinct: Double, time: Double) {
        let z = ranks > 1 ? (2 * log(Double(ranks))).squareRoot() : 0
        var worst = (slots: 0.0, distinct: 0.0, time: -1.0)
        for rank in rankProfiles {
            var distinct = 0.0
            for (share, count) in rank.shares { distinct += Double(count) * (1 - pow(1 - Swift.min(1, share), tokens)) }
            let mean = tokens * rank.load
            let slots = mean + z * mean.squareRoot()
            let t = time(slots, distinct)
            if t > worst.time { worst = (slots, distinct, t) }
        }
        return worst
    }

    /// The most routed token-slots any rank receives for `tokens` tokens (with the same
    /// fluctuation term as ``slowestRank(tokens:time:)``): the rank that sets the EP traffic.
    func busiestSlots(tokens: Double) -> Double {
        let z = ranks > 1 ? (2 * log(Double(ranks))).squareRoot() : 0
        let mean = tokens * (rankProfiles.map(\.load).max() ?? 0)
        return mean + z * mean.squareRoot()
    }

    /// Mean routed token-slots per rank: `tokens · k / ranks`.
    func meanSlots(tokens: Double) -> Double { tokens * Double(topK) / Double(ranks) }

    /// Probability that a token's `k` experts all miss a given set of `m` of the `E` experts:
    /// `C(E − m, k) / C(E, k)`.
    func missProbability(expertsInSet m: Double) -> Double {
        var p = 1.0
        let e = Double(experts)
        for i in 0..<topK { p *= Swift.max(0, (e - m - Double(i)) / (e - Double(i))) }
        return p
    }

    /// Expected ranks, other than its own, that one token is sent to (a token goes to each
    /// rank holding one of its experts once, as DeepEP sends it).
    var remoteRanksPerToken: Double {
        Double(ranks - 1) * (1 - missProbability(expertsInSet: Double(experts) / Double(ranks)))
    }

    /// Expected copies of one token sent to other ranks inside its own scale-up domain of
    /// `domain` ranks, and outside it, when each copy goes to one expert (DeepEP's low-latency
    /// kernels write a token once per chosen expert, into that expert's receive buffer): of
    /// the token's `k` experts, `k · (d − 1)/ranks` live on the other ranks of its domain and
    /// `k · (ranks − d)/ranks` outside it.
    func remoteExpertCopies(domain: Int) -> (inside: Double, outside: Double) {
        let d = Double(Swift.min(domain, ranks)), n = Double(ranks), k = Double(topK)
        return (k * (d - 1) / n, k * (n - d) / n)
    }

    /// Expected scale-up domains other than its own that one token is sent to, when each
    /// domain of `domain` ranks receives a token once and forwards it inside (DeepEP normal
    /// kernels).
    func remoteDomains(domain: Int) -> Double {
        let d = Swift.min(domain, ranks)
        let domains = Double(ranks) / Double(d)
        guard domains > 1 else { return 0 }
        let hit = 1 - missProbability(expertsInSet: Double(experts) / domains)
        return (domains - 1) * hit
    }
}
