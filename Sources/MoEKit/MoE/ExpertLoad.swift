//===--- ExpertLoad.swift - How routing spreads tokens over experts -------===//

import Foundation

/// How often each routed expert is chosen: the input to "how many distinct experts does a batch
/// touch", which sets the expert weight bytes a decode step reads.
///
/// Tokens are treated as independent; within a token the `k` choices are distinct. With
/// `p_e` the probability that one token selects expert `e` (so Σ p_e = k), a batch of `B` tokens
/// leaves expert `e` untouched with probability `(1 − p_e)^B`, hence
/// `E[distinct] = Σ_e 1 − (1 − p_e)^B`. Uniform routing (`p_e = k/E`) gives
/// `E·(1 − (1 − k/E)^B)`.
///
/// Use ``measured(selectionCounts:tokens:)`` to supply a distribution measured from real routing
/// (for example the dispatch statistics of a routed batch).
public struct ExpertLoad: Hashable, Sendable {
    /// `p_e` for each expert, or `nil` for uniform routing.
    public let selectionProbabilities: [Double]?

    /// Every expert equally likely: `p_e = k/E`.
    public static let uniform = ExpertLoad(selectionProbabilities: nil)

    private init(selectionProbabilities: [Double]?) {
        self.selectionProbabilities = selectionProbabilities
    }

    /// A measured load: `selectionCounts[e]` tokens out of `tokens` chose expert `e`.
    ///
    /// - Throws: ``ExpertLoadError`` when `tokens` is not positive, a count is negative or
    ///   larger than `tokens`, or no count is given.
    public static func measured(selectionCounts: [Int], tokens: Int) throws(ExpertLoadError) -> ExpertLoad {
        guard tokens > 0 else { throw .nonPositiveTokens(tokens) }
        guard !selectionCounts.isEmpty else { throw .empty }
        for (e, c) in selectionCounts.enumerated() where c < 0 || c > tokens {
            throw .countOutOfRange(expert: e, count: c, tokens: tokens)
        }
        return ExpertLoad(selectionProbabilities: selectionCounts.map { Double($0) / Double(tokens) })
    }

    /// Expected distinct experts touched by `tokens` tokens, for a layer of `experts` experts
    /// with top-`topK` routing. A measured load must describe `experts` experts; if it does not,
    /// the uniform formula is used.
    ///
    /// - Complexity: O(1) uniform, O(*E*) measured.
    public func expectedDistinctExperts(tokens: Int, experts: Int, topK: Int) -> Double {
        guard tokens > 0, experts > 0 else { return 0 }
        if let p = selectionProbabilities, p.count == experts {
            return p.reduce(0) { $0 + (1 - pow(1 - Swift.min(1, $1), Double(tokens))) }
        }
        let e = Double(experts)
        return e * (1 - pow(1 - Double(topK) / e, Double(tokens)))
    }
}

/// Why a measured expert load was refused.
public enum ExpertLoadError: Error, Hashable, Sendable, CustomStringConvertible {
    case nonPositiveTokens(Int)
    case empty
    case countOutOfRange(expert: Int, count: Int, tokens: Int)
    /// A balance report that cannot be used.
    case unreadableReport(path: String, reason: String)

    /// One line; text echoed from an input is escaped (``PrintableText/escaping(_:)``).
    public var description: String { PrintableText.escaping(text) }

    private var text: String {
        switch self {
        case .nonPositiveTokens(let t): return "measured expert load needs a positive token count, got \(t)"
        case .empty: return "measured expert load has no experts"
        case .countOutOfRange(let e, let c, let t): return "expert \(e) was selected \(c) times, outside 0...\(t) tokens"
        case .unreadableReport(let path, let reason): return "expert load file '\(path)': \(reason)"
        }
    }
}
