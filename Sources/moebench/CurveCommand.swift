//===--- CurveCommand.swift - `moebench curve` ----------------------------===//

import ArgumentParser
import Foundation
import MoEKit

extension MoEBench {
    /// A cost metric against log-spaced context lengths, for several models.
    struct Curve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cost against context length (log-spaced) for several models; optional CSV and SVG plot.",
            discussion: "Metrics: kv (KV-cache bytes per sequence), decode-flops (FLOPs per decoded token), "
                + "prefill-flops (FLOPs to prefill a prompt of that length), decode-bytes (bytes read per decoded token "
                + "at batch 1). Output files are written whole or not at all.")

        @Option(name: .customLong("models"), help: "Comma-separated preset names or config.json paths.")
        var models: String

        @Option(name: .customLong("contexts"), parsing: .unconditional, help: "Context range FROM..TO within 1...2^40, e.g. 1K..1M.")
        var contexts: String = "1K..1M"

        @Option(name: .customLong("points"), parsing: .unconditional, help: "Number of log-spaced contexts, 1...100000.",
                transform: wholeNumber(in: 1...Bounds.points))
        var points: Int = 64

        @Option(name: .customLong("metric"), help: "kv, decode-flops, prefill-flops or decode-bytes.")
        var metric: MetricOption = .kv

        @OptionGroup var storage: StorageOptions

        @Option(name: .customLong("csv"), help: "Also write the curves to this CSV file.")
        var csv: String?

        @Option(name: .customLong("plot"), help: "Also write a log-log SVG line chart to this file.")
        var plot: String?

        @Option(name: .customLong("format"), help: "Standard output: table, json or csv.")
        var format: OutputFormat = .table

        @Flag(name: .customLong("timing"), help: .hidden)
        var timing = false

        enum MetricOption: String, ExpressibleByArgument, CaseIterable {
            case kv, decodeFlops = "decode-flops", prefillFlops = "prefill-flops", decodeBytes = "decode-bytes"
            var metric: CostMetric { CostMetric(rawValue: rawValue)! }
        }

        func run() throws {
            let range = try ContextLength.parseRange(contexts)
            let xs = try ContextLength.logSpaced(range, points: points)
            let specs = try loadModels(models)
            warnIfBeyondMaximumContext(range.upperBound, of: specs)
            let estimators = try specs.map { try storage.estimator(for: $0, strict: false) }
            let m = metric.metric
            let start = DispatchTime.now().uptimeNanoseconds
            let values = try ContextSweep.evaluate(estimators, metric: m, contexts: xs)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            let names = specs.map(\.name)

            // Build every output first, then write files all-or-nothing, then print.
            let csvText = Self.csv(names: names, contexts: xs, values: values)
            let files = FileCommit()
            files.protect(inputs: models.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasSuffix(".json") })
            if let csv { try files.stage(csvText, at: URL(fileURLWithPath: csv)) }
            if let plot {
                let label: (Double) -> String = { m.unit == "bytes" ? Format.bytes($0) : Format.flops($0) }
                let chart = SVGLineChart(title: "\(m.title.components(separatedBy: " (").first ?? m.title) vs context length",
                                         xTitle: "Context length (tokens, log scale)", yTitle: m.title + ", log scale",
                                         yLabel: label, x: xs,
                                         series: zip(names, values).map { SVGLineChart.Series(name: $0, values: $1) })
                try files.stage(chart.render(), at: URL(fileURLWithPath: plot))
            }
            try files.commit()

            switch format {
            case .csv: print(csvText, terminator: "")
            case .json:
                struct Series: Encodable { var model: String; var values: [Double] }
                struct Document: Encodable { var metric: String; var unit: String; var contexts: [Int]; var series: [Series] }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                let doc = Document(metric: m.rawValue, unit: m.unit, contexts: xs,
                                   series: zip(names, values).map { Series(model: $0, values: $1) })
                print(String(decoding: try encoder.encode(doc), as: UTF8.self))
            case .table:
                print("\(m.title) against context length")
                var t = TextTable(leftAligned: true, ["context"] + names)
                let readable: (Double) -> String = { m.unit == "bytes" ? Format.bytes($0) : Format.flops($0) }
                for (i, x) in xs.enumerated() { t.append([ContextLength.format(x)] + values.map { readable($0[i]) }) }
                print(t.render(), terminator: "")
            }
            if timing {
                FileHandle.standardError.write(Data(String(format: "timing: %d models x %d points in %.3f ms\n", names.count, xs.count, elapsed).utf8))
            }
        }

        static func csv(names: [String], contexts: [Int], values: [[Double]]) -> String {
            var out = csvLine(["context"] + names) + "\n"
            for (i, x) in contexts.enumerated() {
                out += csvLine(["\(x)"] + values.map { Format.plain($0[i]) }) + "\n"
            }
            return out
        }
    }
}
