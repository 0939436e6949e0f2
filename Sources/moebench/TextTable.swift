//===--- TextTable.swift - Aligned plain-text columns ---------------------===//

/// A table printed with right-aligned columns under a header and a rule.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []

    init(_ header: [String]) { self.header = header }

    mutating func append(_ row: [String]) { rows.append(row) }

    func render() -> String {
        let widths = header.indices.map { c in
            ([header[c]] + rows.map { c < $0.count ? $0[c] : "" }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, cell in
                String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}

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

    /// A large count with a metric suffix: `1.2M`, `35.6k`.
    static func count(_ v: Double) -> String {
        if v >= 1e9 { return fixed(v / 1e9, 2) + "G" }
        if v >= 1e6 { return fixed(v / 1e6, 2) + "M" }
        if v >= 1e3 { return fixed(v / 1e3, 1) + "k" }
        return fixed(v, 0)
    }

    /// Bytes in binary units: `512 B`, `1.50 MiB`.
    static func bytes(_ b: Int) -> String {
        let v = Double(b)
        if b >= 1 << 30 { return fixed(v / 1_073_741_824, 2) + " GiB" }
        if b >= 1 << 20 { return fixed(v / 1_048_576, 2) + " MiB" }
        if b >= 1 << 10 { return fixed(v / 1024, 2) + " KiB" }
        return "\(b) B"
    }
}
