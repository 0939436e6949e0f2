//===--- NumberOptions.swift - Numeric options read as users type them ----===//
//
// Every numeric option is declared with `parsing: .unconditional` and one of these
// transforms: `--experts -5` then reaches the range check instead of being taken for a
// flag ("Missing value"), and both spellings (`--experts -5`, `--experts=-5`) give the same
// message, naming the bound: "The value '-5' is invalid for '--experts <experts>': must be a
// whole number in 1...16777216". Each bound is also in the option's --help text.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import MoEKit

/// The upper bounds of moebench's size options (each documented in its --help).
enum Bounds {
    /// Routed experts, top-k, groups, EP ranks: MoEKit's router limit.
    static let experts = RouterConfiguration.maximumExperts
    /// Hidden size d (bench, layer): the config reader's `hidden_size` limit.
    static let hidden = 1 << 17
    /// Expert widths (layer): the config reader's `moe_intermediate_size` limit.
    static let intermediate = 1 << 19
    /// Shared experts (layer): the config reader's `n_shared_experts` limit.
    static let sharedExperts = 64
    /// Block padding (layer).
    static let blockSize = 1 << 16
    /// Timed samples per batch size (bench, layer).
    static let repetitions = 10_000
    /// Threads (bench, route, layer).
    static let threads = 1024
    /// Synthetic batches (balance).
    static let batches = 1_000_000
    /// Sequences decoded together (estimate, compare) and per device (serve).
    static let batch = 1 << 20
    /// Points of a curve.
    static let points = 100_000
    /// Devices of a serving deployment, and its tp and ep sizes.
    static let devices = Deployment.maximumDevices
}

/// The range in words: `1...16777216`.
func rangeText(_ range: ClosedRange<Int>) -> String { "\(range.lowerBound)...\(range.upperBound)" }

/// An option transform: a whole number in `range` (plain digits, optional sign).
func wholeNumber(in range: ClosedRange<Int>) -> @Sendable (String) throws -> Int {
    { text in
        guard let n = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(n) else {
            throw UsageError("must be a whole number in \(rangeText(range))")
        }
        return n
    }
}

/// An option transform: any whole number, for options whose range depends on other values
/// (`--topk` is checked against E by MoEKit, which names the range: "top-k must be in 1...384").
let anyWholeNumber: @Sendable (String) throws -> Int = { text in
    guard let n = Int(text.trimmingCharacters(in: .whitespaces)) else { throw UsageError("must be a whole number") }
    return n
}

/// An option transform for seeds: any whole number in 0...2^64 − 1.
let seedNumber: @Sendable (String) throws -> UInt64 = { text in
    guard let n = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
        throw UsageError("must be a whole number in 0...\(UInt64.max)")
    }
    return n
}

/// An option transform: a finite number (plain or scientific notation) for which `accepts`
/// holds; `expected` words the range ("in [0, 1)").
func finiteNumber(_ expected: String, _ accepts: @escaping @Sendable (Double) -> Bool) -> @Sendable (String) throws -> Double {
    { text in
        let body = text.trimmingCharacters(in: .whitespaces)
        // Double("nan"), Double("inf") and hexadecimal floats parse; only decimal numbers are meant.
        guard body.allSatisfy({ "0123456789+-.eE".contains($0) }), let v = Double(body), v.isFinite, accepts(v) else {
            throw UsageError("must be a number \(expected)")
        }
        return v
    }
}

/// `finiteNumber` as a Float (the value must also be finite as a Float).
func finiteFloat(_ expected: String, _ accepts: @escaping @Sendable (Double) -> Bool) -> @Sendable (String) throws -> Float {
    let parse = finiteNumber(expected, accepts)
    return { text in
        let v = try parse(text)
        guard Float(v).isFinite else { throw UsageError("must be a number \(expected)") }
        return Float(v)
    }
}

/// The items of a comma-separated option value, trimmed; an empty item (`a,,b`, a trailing
/// comma) or an empty list is refused.
func listItems(_ text: String, option: String) throws -> [String] {
    let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    guard items.contains(where: { !$0.isEmpty }) else { throw UsageError("\(option) needs at least one item") }
    if let empty = items.firstIndex(of: "") {
        throw UsageError("\(option) '\(text)' has an empty item (item \(empty + 1)); separate items with single commas")
    }
    return items
}
