//===--- Humanize.swift - Readable numbers for tables ---------------------===//

import Foundation

/// Decimal SI formatting for tables (JSON and CSV always carry plain base-unit numbers).
enum Humanize {
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

/// A padded text table (first column left-aligned, the rest right-aligned).
struct CostTable {
    var header: [String]
    var rows: [[String]] = []

    init(_ header: [String]) { self.header = header }

    mutating func append(_ row: [String]) { rows.append(row) }

    func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { i < $0.count ? $0[i].count : 0 }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                return i == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}

/// A CSV line: fields with commas or quotes are quoted.
func csvLine(_ fields: [String]) -> String {
    fields.map { f in
        f.contains(",") || f.contains("\"") || f.contains("\n") ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f
    }.joined(separator: ",")
}
