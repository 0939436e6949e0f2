//===--- SVGLineChart.swift - A log-log line chart as standalone SVG -------===//
//
// Presentation only: takes the series MoEKit computed and draws them.
//
//===----------------------------------------------------------------------===//

import Foundation

/// A log-log line chart: labelled power-of-two ticks on x, power-of-ten ticks on y, a legend
/// and axis titles with units. Opens in any browser.
struct SVGLineChart {
    struct Series {
        var name: String
        var values: [Double]
    }

    var title: String
    var xTitle: String
    var yTitle: String
    /// Formats a y tick value (e.g. `1 GB`).
    var yLabel: (Double) -> String
    var x: [Int]
    var series: [Series]

    func render() -> String {
        let width = 960.0, height = 600.0
        let left = 110.0, right = 250.0, top = 60.0, bottom = 80.0
        let plotW = width - left - right, plotH = height - top - bottom
        let positive = series.flatMap(\.values).filter { $0 > 0 && $0.isFinite }
        let xMin = log10(Double(x.first ?? 1)), xMax = log10(Double(max(x.last ?? 2, (x.first ?? 1) + 1)))
        var yLo = floor(log10(positive.min() ?? 1)), yHi = ceil(log10(positive.max() ?? 10))
        if yHi <= yLo { yHi = yLo + 1 }
        if yHi - yLo > 30 { yLo = yHi - 30 }
        func px(_ v: Double) -> Double { left + (log10(v) - xMin) / max(xMax - xMin, 1e-9) * plotW }
        func py(_ v: Double) -> Double { top + (1 - (log10(v) - yLo) / (yHi - yLo)) * plotH }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        let esc = SVGStyle.escape

        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(left + plotW / 2))" y="32" text-anchor="middle" font-size="18" font-weight="bold">\(esc(title))</text>

        """
        // X ticks: powers of two, thinned to at most ~12 labels.
        let lowExp = Int(ceil(log2(Double(x.first ?? 1)) - 1e-9)), highExp = Int(floor(log2(Double(x.last ?? 1)) + 1e-9))
        let stepExp = max(1, Int(ceil(Double(highExp - lowExp + 1) / 12)))
        var e = lowExp
        while e <= highExp {
            let v = pow(2.0, Double(e)), xx = px(v)
            svg += "<line x1=\"\(f(xx))\" y1=\"\(f(top))\" x2=\"\(f(xx))\" y2=\"\(f(top + plotH))\" stroke=\"#e5e5e5\"/>\n"
            svg += "<text x=\"\(f(xx))\" y=\"\(f(top + plotH + 20))\" text-anchor=\"middle\" font-size=\"12\">\(esc(Self.tokens(Int(v))))</text>\n"
            e += stepExp
        }
        // Y ticks: powers of ten, thinned to at most ~10 labels.
        let yStep = max(1, Int(ceil((yHi - yLo) / 10)))
        var p = Int(yLo)
        while Double(p) <= yHi {
            let v = pow(10.0, Double(p)), yy = py(v)
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(yy))\" x2=\"\(f(left + plotW))\" y2=\"\(f(yy))\" stroke=\"#e5e5e5\"/>\n"
            svg += "<text x=\"\(f(left - 8))\" y=\"\(f(yy + 4))\" text-anchor=\"end\" font-size=\"12\">\(esc(yLabel(v)))</text>\n"
            p += yStep
        }
        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#333\"/>\n"
        svg += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 25))\" text-anchor=\"middle\" font-size=\"14\">\(esc(xTitle))</text>\n"
        svg += "<text transform=\"translate(28 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"14\">\(esc(yTitle))</text>\n"
        // Lines.
        for (i, s) in series.enumerated() {
            let (color, dashAttribute) = SVGStyle.stroke(i)
            let points = zip(x, s.values).filter { $0.1 > 0 && $0.1.isFinite }
                .map { "\(f(px(Double($0.0)))),\(f(py(max($0.1, pow(10, yLo)))))" }
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2.2\"\(dashAttribute) points=\"\(points.joined(separator: " "))\"/>\n"
        }
        // Legend.
        let lx = left + plotW + 20
        svg += "<text x=\"\(f(lx))\" y=\"\(f(top + 4))\" font-size=\"13\" font-weight=\"bold\">Model</text>\n"
        svg += SVGStyle.legend(series.map(\.name), x: lx, y: top + 24)
        svg += "</svg>\n"
        return svg
    }

    /// `1024` → `1K`, `1048576` → `1M`.
    static func tokens(_ n: Int) -> String {
        for (suffix, unit) in [("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)] where n >= unit && n % unit == 0 {
            return "\(n / unit)\(suffix)"
        }
        return "\(n)"
    }
}
