//===--- SVGStyle.swift - What every moebench chart draws the same way ----===//

/// Colours, dash patterns, escaping and the legend shared by moebench's SVG charts.
enum SVGStyle {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                          "#17becf", "#7f7f7f", "#bcbd22", "#393b79", "#637939", "#843c39", "#7b4173"]

    /// Dash patterns cycled per series so that overlapping curves stay visible.
    static let dashes = ["", "9 4", "3 3", "12 4 3 4", "6 6"]

    /// The colour and the `stroke-dasharray` attribute (empty for a solid line) of series `i`.
    static func stroke(_ i: Int) -> (color: String, dash: String) {
        let dash = dashes[i % dashes.count]
        return (palette[i % palette.count], dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")
    }

    /// `text` with `&`, `<` and `>` escaped for SVG.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    static func number(_ v: Double) -> String { String(format: "%.1f", v) }

    /// One legend row per name, the first at `y`, each a short line in its series' style and
    /// the name beside it.
    static func legend(_ names: [String], x: Double, y: Double) -> String {
        var svg = ""
        for (i, name) in names.enumerated() {
            let row = y + Double(i) * 22, style = stroke(i)
            svg += "<line x1=\"\(number(x))\" y1=\"\(number(row - 4))\" x2=\"\(number(x + 26))\" y2=\"\(number(row - 4))\" stroke=\"\(style.color)\" stroke-width=\"3\"\(style.dash)/>\n"
            svg += "<text x=\"\(number(x + 34))\" y=\"\(number(row))\" font-size=\"13\">\(escape(name))</text>\n"
        }
        return svg
    }
}
