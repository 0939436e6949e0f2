//===--- AcceleratorsCommand.swift - `moebench accelerators` --------------===//

import ArgumentParser
import Foundation
import MoEKit

extension MoEBench {
    /// The accelerator presets with their key numbers and sources.
    struct Accelerators: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the accelerator presets with their key numbers and sources.",
            discussion: "TFLOPS are dense. Bandwidths are per device and per direction; GB and TB/s are decimal. "
                + "Without --accelerator or --accelerator-file every preset is listed as its file gives it, and the "
                + "cpu preset's peak, bandwidth and memory show as measured at run time (--accelerator cpu measures "
                + "them). JSON and CSV carry base units: FLOP/s, bytes, bytes/s, seconds, watts, USD per device-hour.")

        @OptionGroup var selection: AcceleratorOptions

        @Option(name: .customLong("format"), help: "Output: table, json or csv.")
        var format: OutputFormat = .table

        @Flag(name: .customLong("sources"), help: "Print every field's value, source and date (table and csv).")
        var sources = false

        func run() throws {
            let list: [Accelerator]
            if selection.hasSelection {
                list = try selection.accelerators(default: [])
            } else {
                do { list = try selection.applyOverrides(to: try Accelerator.presets()) }
                catch let error as AcceleratorError { throw UsageError("\(error)") }
            }
            switch format {
            case .json: try printJSON(list)
            case .csv: sources ? printSourcesCSV(list) : printCSV(list)
            case .table: sources ? printSourcesTable(list) : printTable(list)
            }
        }

        // MARK: - Fields

        /// Field paths that hold a placeholder the `cpu` preset measures at run time (its file
        /// values, not yet measured).
        static func runTimeFields(_ a: Accelerator) -> [String] {
            fields(a).map(\.path).filter { a.sources[$0]?.source.hasPrefix("placeholder: measured at run time") == true }
        }

        /// Every numeric field of `a` as (path, value), in file order.
        static func fields(_ a: Accelerator) -> [(path: String, value: Double)] {
            var f: [(String, Double)] = []
            for format in ComputeFormat.allCases { if let v = a.peakFlops[format] { f.append(("peak_flops.\(format)", v)) } }
            f += [("hbm_capacity", a.hbmCapacity), ("hbm_bandwidth", a.hbmBandwidth),
                  ("scale_up.bandwidth", a.scaleUp.bandwidth), ("scale_up.latency", a.scaleUp.latency),
                  ("scale_up.domain_size", Double(a.scaleUp.domainSize)),
                  ("scale_out.bandwidth", a.scaleOut.bandwidth), ("scale_out.latency", a.scaleOut.latency),
                  ("tdp", a.tdp), ("price_per_hour", a.pricePerHour)]
            for format in ComputeFormat.allCases {
                if let v = a.efficiency.compute[format] { f.append(("efficiency.compute.\(format)", v)) }
            }
            let e = a.efficiency
            f += [("efficiency.attention", e.attention), ("efficiency.memory", e.memory), ("efficiency.scale_up", e.scaleUp),
                  ("efficiency.scale_out", e.scaleOut), ("efficiency.kernel_overhead", e.kernelOverhead),
                  ("efficiency.usable_memory", e.usableMemory), ("cache_tier.bandwidth", a.cacheTier.bandwidth)]
            return f.map { (path: $0.0, value: $0.1) }
        }

        /// The source of the peak BF16 figure: the spec sheet a row mainly rests on.
        static func mainSource(_ a: Accelerator) -> String {
            a.sources["peak_flops.bf16"]?.source ?? ""
        }

        // MARK: - JSON

        struct Link: Encodable { var bandwidth: Double, latency: Double, domainSize: Int? }
        struct Efficiency: Encodable {
            var compute: [String: Double], attention: Double, memory: Double, scaleUp: Double, scaleOut: Double
            var kernelOverhead: Double, usableMemory: Double
        }
        struct Tier: Encodable { var name: String, bandwidth: Double }
        struct Note: Encodable { var source: String, date: String }
        struct Entry: Encodable {
            var name: String, summary: String, peakFlops: [String: Double], hbmCapacity: Double, hbmBandwidth: Double
            var scaleUp: Link, scaleOut: Link, tdp: Double, pricePerHour: Double, efficiency: Efficiency, cacheTier: Tier
            var sources: [String: Note]
            /// Placeholders the cpu preset replaces when measured.
            var measuredAtRunTime: [String]?
        }

        func printJSON(_ list: [Accelerator]) throws {
            let entries = list.map { a -> Entry in
                let e = a.efficiency
                let runTime = Self.runTimeFields(a)
                return Entry(
                    name: a.name, summary: a.summary,
                    peakFlops: Dictionary(uniqueKeysWithValues: a.peakFlops.map { ($0.key.rawValue, $0.value) }),
                    hbmCapacity: a.hbmCapacity, hbmBandwidth: a.hbmBandwidth,
                    scaleUp: Link(bandwidth: a.scaleUp.bandwidth, latency: a.scaleUp.latency, domainSize: a.scaleUp.domainSize),
                    scaleOut: Link(bandwidth: a.scaleOut.bandwidth, latency: a.scaleOut.latency, domainSize: nil),
                    tdp: a.tdp, pricePerHour: a.pricePerHour,
                    efficiency: Efficiency(compute: Dictionary(uniqueKeysWithValues: e.compute.map { ($0.key.rawValue, $0.value) }),
                                           attention: e.attention, memory: e.memory, scaleUp: e.scaleUp, scaleOut: e.scaleOut,
                                           kernelOverhead: e.kernelOverhead, usableMemory: e.usableMemory),
                    cacheTier: Tier(name: a.cacheTier.name, bandwidth: a.cacheTier.bandwidth),
                    sources: a.sources.mapValues { Note(source: $0.source, date: $0.date) },
                    measuredAtRunTime: runTime.isEmpty ? nil : runTime)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(entries), as: UTF8.self))
        }

        // MARK: - CSV

        func printCSV(_ list: [Accelerator]) {
            print(csvLine(["name", "summary", "bf16_flops", "fp8_flops", "fp4_flops", "int8_flops", "hbm_capacity", "hbm_bandwidth",
                           "scale_up_bandwidth", "scale_up_domain", "scale_out_bandwidth", "tdp", "price_per_hour", "source",
                           "measured_at_run_time"]))
            for a in list {
                let peaks = ComputeFormat.allCases.map { a.peakFlops[$0].map(Format.plain) ?? "" }
                print(csvLine([a.name, a.summary] + peaks
                              + [Format.plain(a.hbmCapacity), Format.plain(a.hbmBandwidth), Format.plain(a.scaleUp.bandwidth),
                                 "\(a.scaleUp.domainSize)", Format.plain(a.scaleOut.bandwidth), Format.plain(a.tdp),
                                 Format.plain(a.pricePerHour), Self.mainSource(a),
                                 Self.runTimeFields(a).joined(separator: ";")]))
            }
        }

        func printSourcesCSV(_ list: [Accelerator]) {
            print(csvLine(["accelerator", "field", "value", "source", "date"]))
            for a in list {
                for (path, value) in Self.fields(a) {
                    let note = a.sources[path]
                    print(csvLine([a.name, path, Format.plain(value), note?.source ?? "", note?.date ?? ""]))
                }
            }
        }

        // MARK: - Tables

        func printTable(_ list: [Accelerator]) {
            var t = TextTable(leftAligned: true, ["name", "summary", "BF16", "FP8", "FP4", "INT8", "HBM GB", "HBM TB/s",
                                                  "scale-up GB/s", "scale-out GB/s", "TDP W", "$/h", "source"])
            t.leftAlignedColumns = [1, 12]
            var measured: [String] = []
            for a in list {
                let runTime = Set(Self.runTimeFields(a))
                if !runTime.isEmpty { measured.append(a.name) }
                func shown(_ path: String, _ text: String) -> String { runTime.contains(path) ? "measured" : text }
                let peaks = ComputeFormat.allCases.map { f in
                    a.peakFlops[f].map { shown("peak_flops.\(f)", Format.fixed($0 / 1e12, $0 < 1e13 ? 2 : 0)) } ?? "-"
                }
                let upDomain = "(\(a.scaleUp.domainSize))"
                t.append([a.name, a.summary] + peaks + [
                    shown("hbm_capacity", Format.fixed(a.hbmCapacity / 1e9, 0)),
                    shown("hbm_bandwidth", Format.fixed(a.hbmBandwidth / 1e12, 2)),
                    shown("scale_up.bandwidth", Format.fixed(a.scaleUp.bandwidth / 1e9, 0)) + " " + upDomain,
                    Format.fixed(a.scaleOut.bandwidth / 1e9, 0), a.tdp == 0 ? "n/a" : Format.fixed(a.tdp, 0),
                    Format.fixed(a.pricePerHour, 2), Self.shortSource(Self.mainSource(a))])
            }
            print(t.render(), terminator: "")
            print("TFLOPS dense; bandwidths per device and direction; scale-up domain in brackets; "
                  + "source of the BF16 peak (--sources for every field)")
            if !measured.isEmpty {
                print("\(measured.joined(separator: ", ")): peak, bandwidth and memory are measured at run time "
                      + "(--accelerator cpu measures them)")
            }
        }

        func printSourcesTable(_ list: [Accelerator]) {
            var t = TextTable(leftAligned: true, ["accelerator", "field", "value", "date", "source"])
            t.leftAlignedColumns = [1, 3, 4]
            for a in list {
                for (path, value) in Self.fields(a) {
                    let note = a.sources[path]
                    t.append([a.name, path, Format.plain(value), note?.date ?? "", note?.source ?? ""])
                }
            }
            print(t.render(), terminator: "")
        }

        /// `text` up to its first `;`, at most 60 characters.
        static func shortSource(_ text: String) -> String {
            let first = text.split(separator: ";", maxSplits: 1).first.map(String.init) ?? text
            return first.count <= 60 ? first : String(first.prefix(59)) + "…"
        }
    }
}
