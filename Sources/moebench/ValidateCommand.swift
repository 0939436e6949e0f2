//===--- ValidateCommand.swift - `moebench validate` ----------------------===//

import ArgumentParser
import Foundation
import MoEKit

extension MoEBench {
    /// Projects every published figure and prints the error against it.
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare projections with published serving figures; exit 1 when an error exceeds its tolerance.",
            discussion: "Calibration rows set the shipped efficiency factors; check rows test them on other setups; report rows carry no tolerance.")

        @Option(name: .customLong("format"), help: "Output: table, json or csv.")
        var format: OutputFormat = .table

        struct Row {
            var figure: PublishedServingFigure
            var projected: Double
            var command: String
            var error: Double { figure.relativeError(projected) }
            var passes: Bool { figure.passes(projected) }
        }

        func run() throws {
            let rows = try PublishedServingFigure.catalog.map { f in
                Row(figure: f, projected: try f.projectedValue(), command: Self.command(f))
            }
            switch format {
            case .table: print(Self.table(rows), terminator: "")
            case .csv:
                print(csvLine(["id", "role", "metric", "published", "projected", "error", "tolerance", "passes", "command", "source"]))
                for r in rows {
                    print(csvLine([r.figure.id, r.figure.role.rawValue, r.figure.metric.rawValue, Format.plain(r.figure.value),
                                   Format.plain(r.projected), Format.plain(r.error), r.figure.tolerance.map(Format.plain) ?? "",
                                   r.passes ? "true" : "false", r.command, r.figure.source]))
                }
            case .json:
                let object = rows.map { r -> [String: Any] in
                    ["id": r.figure.id, "title": r.figure.title, "role": r.figure.role.rawValue, "metric": r.figure.metric.rawValue,
                     "published": r.figure.value, "projected": r.projected, "error": r.error,
                     "tolerance": r.figure.tolerance.map { $0 as Any } ?? NSNull(), "passes": r.passes,
                     "command": r.command, "source": r.figure.source]
                }
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            }
            if rows.contains(where: { !$0.passes }) {
                FileHandle.standardError.write(Data("moebench: validate: \(rows.filter { !$0.passes }.map(\.figure.id).joined(separator: ", ")) outside tolerance\n".utf8))
                throw ExitCode(1)
            }
        }

        static func table(_ rows: [Row]) -> String {
            var t = TextTable(leftAligned: true, ["figure", "role", "published", "projected", "error", "tolerance", ""])
            for r in rows {
                let unit = r.figure.metric == .costPerMillionOutputTokens
                let show: (Double) -> String = { unit ? "$" + Format.fixed($0, 3) : Format.fixed($0, 0) }
                t.append([r.figure.title, r.figure.role.rawValue, show(r.figure.value), show(r.projected),
                          (r.error >= 0 ? "+" : "") + Format.fixed(100 * r.error, 1) + "%",
                          r.figure.tolerance.map { "±" + Format.fixed(100 * $0, 0) + "%" } ?? "-",
                          r.figure.tolerance == nil ? "" : (r.passes ? "ok" : "FAIL")])
            }
            var out = "Projections against published serving figures (per device; metric in each row's unit)\n\n" + t.render()
            let errors = rows.filter { $0.figure.tolerance != nil }.map { abs($0.error) }.sorted()
            if !errors.isEmpty {
                let n = errors.count
                let median = n % 2 == 1 ? errors[n / 2] : (errors[n / 2 - 1] + errors[n / 2]) / 2
                out += "\nmedian |error| \(Format.fixed(100 * median, 1))%, max \(Format.fixed(100 * (errors.last ?? 0), 1))% over \(n) rows with a tolerance\n"
            }
            out += "\ncommands and sources:\n"
            for r in rows { out += "  \(r.figure.id): \(r.command)\n    \(r.figure.source)\n" }
            return out
        }

        /// The `moebench serve` command line that reproduces a figure's setup.
        static func command(_ f: PublishedServingFigure) -> String {
            let s = f.setup
            var parts = ["moebench serve --model \(s.model) --accelerator \(s.accelerator) --devices \(s.devices)"]
            if s.tensorParallel != 1 { parts.append("--tp \(s.tensorParallel)") }
            parts.append("--ep \(s.expertParallel)")
            if s.redundantExperts > 0 { parts.append("--redundant-experts \(s.redundantExperts)") }
            parts.append("--context \(s.context)")
            if let w = s.weights { parts.append("--weights \(w)") }
            if let w = s.expertWeights { parts.append("--expert-weights \(w)") }
            if let k = s.kvFormat { parts.append("--kv-format \(k)") }
            if let i = s.indexerFormat { parts.append("--indexer-format \(i)") }
            if let m = s.speculation {
                if m.draftTokens != 1 { parts.append("--mtp-tokens \(m.draftTokens)") }
                parts.append("--mtp-acceptance \(Format.plain(m.acceptance))")
            }
            if s.cacheHitRate > 0 { parts.append("--cache-hit-rate \(Format.plain(s.cacheHitRate))") }
            if let p = s.pricePerHour { parts.append("--price-per-hour \(Format.plain(p))") }
            switch s.phase {
            case .prefill:
                parts.append("--phase prefill")
                if s.prefillChunk != 16_384 { parts.append("--prefill-chunk \(s.prefillChunk)") }
            case .decode:
                parts.append("--phase decode")
                switch s.batch {
                case .fixed(let b): parts.append("--batch-per-device \(b)")
                case .timePerOutputToken(let t): parts.append("--tpot-slo-ms \(Format.plain((t * 1e4).rounded() / 10))")
                case .largestFitting: break
                }
            }
            return parts.joined(separator: " ")
        }
    }
}
