//===--- TextTable.swift - Aligned plain-text columns ---------------------===//

/// A table of padded columns under a header and a rule: numbers right-aligned, and the
/// first column left-aligned when it holds names (`leftAligned`). Trailing spaces are trimmed.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []
    var leftAligned: Bool
    /// Further text columns to left-align (indices).
    var leftAlignedColumns: Set<Int> = []

    init(leftAligned: Bool = false, _ header: [String]) {
        self.header = header
        self.leftAligned = leftAligned
    }

    mutating func append(_ row: [String]) { rows.append(row) }

    func render() -> String {
        let widths = header.indices.map { c in
            ([header[c]] + rows.map { c < $0.count ? $0[c] : "" }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            var text = cells.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: max(0, widths[c] - cell.count))
                return (c == 0 && leftAligned) || leftAlignedColumns.contains(c) ? cell + pad : pad + cell
            }.joined(separator: "  ")
            while text.last == " " { text.removeLast() }
            return text
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}
