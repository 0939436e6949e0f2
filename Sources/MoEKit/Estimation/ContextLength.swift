//===--- ContextLength.swift - Parsing and printing token counts ----------===//

import Foundation

/// Context lengths as people write them: `131072`, `128K`, `1M` (binary multiples: K = 1,024,
/// M = 1,048,576, G = 2^30, T = 2^40), and log-spaced sweeps between two of them.
public enum ContextLength {
    /// The contexts MoEKit estimates: 1 to 2^40 tokens.
    public static let supported: ClosedRange<Int> = 1...(1 << 40)

    /// Parses `text` (`131072`, `128K`, `1m`, `1.5M`).
    ///
    /// - Throws: ``EstimationError/invalidContext(_:)`` for text that is not a count, and
    ///   ``EstimationError/contextOutOfRange(_:)`` outside ``supported``.
    public static func parse(_ text: String) throws(EstimationError) -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let last = trimmed.last else { throw .invalidContext(text) }
        let multipliers: [Character: Double] = ["K": 1024, "M": 1_048_576, "G": 1_073_741_824, "T": 1_099_511_627_776]
        var digits = Substring(trimmed), multiplier = 1.0
        if let m = multipliers[Character(last.uppercased())] {
            multiplier = m
            digits = digits.dropLast()
        }
        if multiplier == 1, let n = Int(digits) {
            guard supported.contains(n) else { throw .contextOutOfRange(n) }
            return n
        }
        guard let value = Double(digits), value.isFinite, !digits.contains(where: { $0.isLetter }) else {
            throw .invalidContext(text)
        }
        let tokens = value * multiplier
        guard tokens.rounded() == tokens else { throw .invalidContext(text) }
        guard tokens >= 1, tokens <= Double(supported.upperBound) else {
            throw .contextOutOfRange(tokens < 1 ? Int(tokens) : Int(Swift.min(tokens, 9e18)))
        }
        return Int(tokens)
    }

    /// Parses `FROM..TO` (`1K..1M`).
    public static func parseRange(_ text: String) throws(EstimationError) -> ClosedRange<Int> {
        let parts = text.components(separatedBy: "..")
        guard parts.count == 2 else { throw .invalidContextRange(text) }
        let from = try parse(parts[0]), to = try parse(parts[1])
        guard from <= to else { throw .invalidContextRange(text) }
        return from...to
    }

    /// `points` contexts spaced evenly in log scale from `range.lowerBound` to
    /// `range.upperBound` (both included), rounded to whole tokens; duplicates after rounding
    /// are kept so that the result always has `points` entries (one point gives the lower bound).
    ///
    /// - Complexity: O(`points`).
    public static func logSpaced(_ range: ClosedRange<Int>, points: Int) throws(EstimationError) -> [Int] {
        guard (1...100_000).contains(points) else { throw .invalidPointCount(points) }
        guard supported.contains(range.lowerBound), supported.contains(range.upperBound) else {
            throw .contextOutOfRange(supported.contains(range.lowerBound) ? range.upperBound : range.lowerBound)
        }
        if points == 1 { return [range.lowerBound] }
        let a = log(Double(range.lowerBound)), b = log(Double(range.upperBound))
        return (0..<points).map { i in
            if i == 0 { return range.lowerBound }
            if i == points - 1 { return range.upperBound }
            let t = Double(i) / Double(points - 1)
            return Swift.min(range.upperBound, Swift.max(range.lowerBound, Int((exp(a + (b - a) * t)).rounded())))
        }
    }

    /// Short form: `131072` → `128K`, `1048576` → `1M`, `1000` → `1000`.
    public static func format(_ n: Int) -> String {
        for (suffix, unit) in [("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)] where n >= unit && n % unit == 0 {
            return "\(n / unit)\(suffix)"
        }
        return "\(n)"
    }
}
