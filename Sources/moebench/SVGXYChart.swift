//===--- SVGXYChart.swift - Curves of (x, y) points on log-log axes -------===//
//
// Presentation only: draws series MoEKit computed (the serving frontier).
//
//===----------------------------------------------------------------------===//

import Foundation

/// A log-log chart of curves, each its own list of `(x, y)` points, with 1-2-5 ticks, a
/// legend, a title and axis titles. Opens in any browser.
struct SVGXYChart {
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
    }

    var title: String
    var subtitle: String
    var xTitle: String
    var yTitle: String
    var series: [Series]

    /// Tick values 1, 2, 5 × 10^k inside `lo...hi`.
    static func ticks(_ lo: Double, _ hi: Double) -> [Double] {
        var result: [Double] = []
        var p = floor(log10(lo))
        while pow(10, p) <= hi * 1.0001 {
            for m in [1.0, 2.0, 5.0] {
                let v = m * pow(10, p)
                if v >= lo * 0.9999 && v <= hi * 1.0001 { result.append(v) }
            }
            p += 1
        }
        return result
    }

    /// A 1-2-5 tick value: `500`, `2k`, `1M`, `0.2`.
    static func label(_ v: Double) -> String {
        if v >= 1e6 { return String(format: "%gM", v / 1e6) }
        if v >= 1e3 { return String(format: "%gk", v / 1e3) }
        return String(format: "%g", v)
    }

    func render() -> String {
        let width = 960.0, height = 620.0
        let left = 90.0, right = 250.0, top = 80.0, bottom = 80.0
        let plotW = width - left - right, plotH = height - top - bottom
        let xs = series.flatMap { $0.points.map(\.x) }.filter { $0 > 0 && $0.isFinite }
        let ys = series.flatMap { $0.points.map(\.y) }.filter { $0 > 0 && $0.isFinite }
        let xLo = pow(10, floor(log10(xs.min() ?? 1))), xHi = pow(10, ceil(log10(Swift.max(xs.max() ?? 10, xLo * 10))))
        let yLo = pow(10, floor(log10(ys.min() ?? 1))), yHi = pow(10, ceil(log10(Swift.max(ys.max() ?? 10, yLo * 10))))
        func px(_ v: Double) -> Double { left + (log10(v) - log10(xLo)) / (log10(xHi) - log10(xLo)) * plotW }
        func py(_ v: Double) -> Double { top + (1 - (log10(v) - log10(yLo)) / (log10(yHi) - log10(yLo))) * plotH }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        let esc = SVGStyle.escape
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(left + plotW / 2))" y="30" text-anchor="middle" font-size="18" font-weight="bold">\(esc(title))</text>
        <text x="\(f(left + plotW / 2))" y="52" text-anchor="middle" font-size="13" fill="#444">\(esc(subtitle))</text>

        """
        for v in Self.ticks(xLo, xHi) {
            let xx = px(v)
            svg += "<line x1=\"\(f(xx))\" y1=\"\(f(top))\" x2=\"\(f(xx))\" y2=\"\(f(top + plotH))\" stroke=\"#e5e5e5\"/>\n"
            svg += "<text x=\"\(f(xx))\" y=\"\(f(top + plotH + 20))\" text-anchor=\"middle\" font-size=\"12\">\(Self.label(v))</text>\n"
        }
        for v in Self.ticks(yLo, yHi) {
            let yy = py(v)
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(yy))\" x2=\"\(f(left + plotW))\" y2=\"\(f(yy))\" stroke=\"#e5e5e5\"/>\n"
            svg += "<text x=\"\(f(left - 8))\" y=\"\(f(yy + 4))\" text-anchor=\"end\" font-size=\"12\">\(Self.label(v))</text>\n"
        }
        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#333\"/>\n"
        svg += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 25))\" text-anchor=\"middle\" font-size=\"14\">\(esc(xTitle))</text>\n"
        svg += "<text transform=\"translate(26 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"14\">\(esc(yTitle))</text>\n"
        for (i, s) in series.enumerated() {
            let (color, dashAttribute) = SVGStyle.stroke(i)
            let points = s.points.filter { $0.x > 0 && $0.y > 0 && $0.x.isFinite && $0.y.isFinite }
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2.2\"\(dashAttribute) points=\"\(points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " "))\"/>\n"
            for p in points { svg += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"2.5\" fill=\"\(color)\"/>\n" }
        }
        let lx = left + plotW + 20
        svg += SVGStyle.legend(series.map(\.name), x: lx, y: top + 10)
        svg += "</svg>\n"
        return svg
    }
}
