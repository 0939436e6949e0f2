//===--- Formatting.swift - Readable numbers for tables -------------------===//
//
// Tables only: JSON and CSV always carry plain numbers in base units.
//
//===----------------------------------------------------------------------===//

import Foundation

/// Compact human formatting of measured values.
enum Format {
    /// Seconds with a unit chosen for readability: `412 ns`, `3.21 µs`, `1.52 ms`, `0.231 s`.
    static func seconds(_ s: Double) -> String {
        if s < 1e-6 { return fixed(s * 1e9, 0) + " ns" }
        if s < 1e-3 { return fixed(s * 1e6, 2) + " µs" }
        if s < 1 { return fixed(s * 1e3, 2) + " ms" }
        return fixed(s, 3) + " s"
    }

    /// `value` with `digits` digits after the point.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = digits == 0 ? String(Int64(rounded)) : String(rounded)
        if digits > 0 {
            let fraction = text.split(separator: ".", omittingEmptySubsequences: false).last?.count ?? 0
            if !text.contains(".") { text += "." }
            text += String(repeating: "0", count: max(0, digits - fraction))
        }
        return text
    }

    /// A rate with a metric suffix: `1.2M`, `35.6k` (tokens per second).
    static func rate(_ v: Double) -> String {
        if v >= 1e9 { return fixed(v / 1e9, 2) + "G" }
        if v >= 1e6 { return fixed(v / 1e6, 2) + "M" }
        if v >= 1e3 { return fixed(v / 1e3, 1) + "k" }
        return fixed(v, 0)
    }

    /// Bytes in binary units: `512 B`, `1.50 MiB` (memory sizes).
    static func binaryBytes(_ b: Int) -> String {
        let v = Double(b)
        if b >= 1 << 30 { return fixed(v / 1_073_741_824, 2) + " GiB" }
        if b >= 1 << 20 { return fixed(v / 1_048_576, 2) + " MiB" }
        if b >= 1 << 10 { return fixed(v / 1024, 2) + " KiB" }
        return "\(b) B"
    }

    // MARK: Decimal SI units (estimator tables; 1 KB = 1,000 B)

    /// `70272` → `70.3 KB`, `1.2e12` → `1.20 TB` (decimal: 1 KB = 1,000 bytes).
    static func bytes(_ value: Double) -> String { si(value, unit: "B") }

    /// `2.8e10` → `28.0 GFLOP`.
    static func flops(_ value: Double) -> String { si(value, unit: "FLOP") }

    /// `6.71e11` → `671B` parameters.
    static func count(_ value: Double) -> String {
        for (scale, suffix) in [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")] where abs(value) >= scale {
            return String(format: "%.3g%@", value / scale, suffix)
        }
        return String(format: "%.0f", value)
    }

    /// `0.25` → `0.25x`.
    static func ratio(_ value: Double) -> String {
        if value >= 100 { return String(format: "%.0fx", value) }
        return value >= 0.1 ? String(format: "%.2fx", value) : String(format: "%.2gx", value)
    }

    static func si(_ value: Double, unit: String) -> String {
        let prefixes: [(Double, String)] = [(1e24, "Y"), (1e21, "Z"), (1e18, "E"), (1e15, "P"), (1e12, "T"),
                                            (1e9, "G"), (1e6, "M"), (1e3, "K")]
        for (scale, prefix) in prefixes where abs(value) >= scale {
            return String(format: "%.3g %@%@", value / scale, prefix, unit)
        }
        return String(format: "%.3g %@", value, unit)
    }

    /// A plain JSON/CSV number: integers without a fraction, others in shortest form.
    static func plain(_ value: Double) -> String {
        if value.rounded() == value && abs(value) < 9e18 { return String(Int64(value)) }
        return "\(value)"
    }
}

/// A CSV line: fields with commas or quotes are quoted.
func csvLine(_ fields: [String]) -> String {
    fields.map { f in
        f.contains(",") || f.contains("\"") || f.contains("\n") ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f
    }.joined(separator: ",")
}
