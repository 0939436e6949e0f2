//===--- AcceleratorTests.swift - Presets, files, overrides, the CPU ------===//

import Foundation
import Testing
@testable import MoEKit

/// The value at a field path of the file schema, looked up independently of the CLI.
private func value(_ a: Accelerator, _ path: String) -> Double? {
    let parts = path.split(separator: ".").map(String.init)
    switch parts.first {
    case "peak_flops": return ComputeFormat(rawValue: parts[1]).flatMap { a.peakFlops[$0] }
    case "hbm_capacity": return a.hbmCapacity
    case "hbm_bandwidth": return a.hbmBandwidth
    case "tdp": return a.tdp
    case "price_per_hour": return a.pricePerHour
    case "cache_tier": return a.cacheTier.bandwidth
    case "scale_up", "scale_out":
        let link = parts[0] == "scale_up" ? a.scaleUp : a.scaleOut
        switch parts[1] {
        case "bandwidth": return link.bandwidth
        case "latency": return link.latency
        default: return parts[0] == "scale_up" ? Double(link.domainSize) : nil
        }
    case "efficiency":
        let e = a.efficiency
        switch parts[1] {
        case "compute": return ComputeFormat(rawValue: parts[2]).flatMap { e.compute[$0] }
        case "attention": return e.attention
        case "memory": return e.memory
        case "scale_up": return e.scaleUp
        case "scale_out": return e.scaleOut
        case "kernel_overhead": return e.kernelOverhead
        case "usable_memory": return e.usableMemory
        default: return nil
        }
    default: return nil
    }
}

/// Every numeric field path `a` has.
private func fieldPaths(_ a: Accelerator) -> [String] {
    a.peakFlops.keys.map { "peak_flops.\($0)" } + a.efficiency.compute.keys.map { "efficiency.compute.\($0)" } + [
        "hbm_capacity", "hbm_bandwidth", "scale_up.bandwidth", "scale_up.latency", "scale_up.domain_size",
        "scale_out.bandwidth", "scale_out.latency", "tdp", "price_per_hour", "efficiency.attention", "efficiency.memory",
        "efficiency.scale_up", "efficiency.scale_out", "efficiency.kernel_overhead", "efficiency.usable_memory",
        "cache_tier.bandwidth",
    ]
}

/// A valid user file as a dictionary, to break one field at a time.
private func sampleDocument() -> [String: Any] {
    [
        "name": "mine", "summary": "My accelerator",
        "peak_flops": ["bf16": ["value": 1e15, "source": "datasheet", "date": "2026-01"], "fp8": 2e15],
        "hbm_capacity": 96e9, "hbm_bandwidth": ["value": 4e12],
        "scale_up": ["bandwidth": 400e9, "latency": 1e-5, "domain_size": 8],
        "scale_out": ["bandwidth": 50e9, "latency": 2e-5],
        "tdp": 600, "price_per_hour": 1.5,
        "efficiency": ["compute": ["bf16": 0.4, "fp8": 0.4], "attention": 0.4, "memory": 0.8, "scale_up": 0.8,
                       "scale_out": 0.8, "kernel_overhead": 2e-6, "usable_memory": 0.9],
        "cache_tier": ["name": "SSD", "bandwidth": 40e9],
    ]
}

private func load(_ document: [String: Any], file: String = "x.json") throws(AcceleratorError) -> Accelerator {
    let data = try! JSONSerialization.data(withJSONObject: document)
    return try Accelerator(json: data, file: file)
}

/// `document` with `value` set at a dotted path (`nil` removes the key).
private func setting(_ document: [String: Any], _ path: String, _ value: Any?) -> [String: Any] {
    var parts = path.split(separator: ".").map(String.init)
    let key = parts.removeFirst()
    var copy = document
    if parts.isEmpty { copy[key] = value } else {
        copy[key] = setting(document[key] as? [String: Any] ?? [:], parts.joined(separator: "."), value)
    }
    return copy
}

@Suite("Accelerator presets")
struct AcceleratorPresetTests {
    static let names = ["ascend-910b", "ascend-910c", "b200", "b300", "cpu", "gb200", "gb300", "h100", "h20", "h200",
                        "h800", "mi300x", "mi325x", "mi355x"]

    @Test func everyPresetLoads() throws {
        #expect(Accelerator.presetNames == Self.names)
        let all = try Accelerator.presets()
        #expect(all.count == 14)
        for a in all {
            #expect(!a.summary.isEmpty)
            #expect(a.peakFlops[.bf16] != nil)
            #expect(a.scaleOut.domainSize == .max)
        }
    }

    /// Figures from hardware.md §1–4, §6 and §8, typed in here independently of the files.
    static let figures: [(name: String, path: String, value: Double)] = [
        ("h100", "peak_flops.bf16", 989e12), ("h100", "peak_flops.fp8", 1.979e15), ("h100", "peak_flops.int8", 1.979e15),
        ("h100", "hbm_capacity", 80e9), ("h100", "hbm_bandwidth", 3.35e12), ("h100", "scale_up.bandwidth", 450e9),
        ("h100", "scale_up.domain_size", 8), ("h100", "scale_out.bandwidth", 50e9), ("h100", "tdp", 700),
        ("h800", "peak_flops.fp8", 1.979e15), ("h800", "scale_up.bandwidth", 200e9), ("h800", "hbm_capacity", 80e9),
        ("h20", "peak_flops.bf16", 148e12), ("h20", "peak_flops.fp8", 296e12), ("h20", "hbm_capacity", 96e9),
        ("h20", "hbm_bandwidth", 4.0e12), ("h20", "tdp", 400),
        ("h200", "hbm_bandwidth", 4.8e12), ("h200", "hbm_capacity", 141e9), ("h200", "peak_flops.fp8", 1.979e15),
        ("h200", "scale_up.bandwidth", 450e9),
        ("b200", "peak_flops.bf16", 2.25e15), ("b200", "peak_flops.fp4", 9e15), ("b200", "hbm_capacity", 180e9),
        ("b200", "scale_up.bandwidth", 900e9), ("b200", "scale_out.bandwidth", 50e9), ("b200", "tdp", 1000),
        ("gb200", "peak_flops.fp4", 10e15), ("gb200", "peak_flops.fp8", 5e15), ("gb200", "scale_up.domain_size", 72),
        ("gb200", "hbm_bandwidth", 8e12), ("gb200", "scale_out.bandwidth", 50e9), ("gb200", "tdp", 1200),
        ("b300", "peak_flops.fp4", 14e15), ("b300", "peak_flops.int8", 153.5e12), ("b300", "hbm_capacity", 288e9),
        ("b300", "scale_out.bandwidth", 100e9), ("b300", "scale_up.domain_size", 8), ("b300", "tdp", 1100),
        ("gb300", "peak_flops.fp4", 15e15), ("gb300", "hbm_capacity", 288e9), ("gb300", "scale_up.domain_size", 72),
        ("gb300", "scale_out.bandwidth", 100e9), ("gb300", "tdp", 1400),
        ("mi300x", "peak_flops.bf16", 1.3074e15), ("mi300x", "peak_flops.fp8", 2.6149e15), ("mi300x", "hbm_capacity", 192e9),
        ("mi300x", "hbm_bandwidth", 5.3e12), ("mi300x", "scale_up.bandwidth", 448e9), ("mi300x", "tdp", 750),
        ("mi325x", "hbm_capacity", 256e9), ("mi325x", "hbm_bandwidth", 6.0e12), ("mi325x", "scale_up.bandwidth", 448e9),
        ("mi355x", "peak_flops.fp8", 5.0332e15), ("mi355x", "hbm_capacity", 288e9), ("mi355x", "scale_up.bandwidth", 538e9),
        ("mi355x", "tdp", 1400),
        ("ascend-910b", "peak_flops.bf16", 353.8e12), ("ascend-910b", "hbm_capacity", 64e9),
        ("ascend-910b", "hbm_bandwidth", 1.6e12), ("ascend-910b", "scale_up.bandwidth", 196e9),
        ("ascend-910b", "scale_up.domain_size", 8), ("ascend-910b", "tdp", 0),
        ("ascend-910c", "peak_flops.bf16", 780e12), ("ascend-910c", "hbm_capacity", 128e9),
        ("ascend-910c", "hbm_bandwidth", 3.2e12), ("ascend-910c", "scale_up.bandwidth", 392e9),
        ("ascend-910c", "scale_up.domain_size", 384), ("ascend-910c", "scale_out.bandwidth", 50e9), ("ascend-910c", "tdp", 0),
        // Prices, USD per device-hour.
        ("h100", "price_per_hour", 2.00), ("h800", "price_per_hour", 2.00), ("h20", "price_per_hour", 1.00),
        ("h200", "price_per_hour", 2.30), ("b200", "price_per_hour", 2.90), ("gb200", "price_per_hour", 3.30),
        ("b300", "price_per_hour", 3.48), ("gb300", "price_per_hour", 3.96), ("mi300x", "price_per_hour", 1.55),
        ("mi325x", "price_per_hour", 1.80), ("mi355x", "price_per_hour", 2.10), ("ascend-910b", "price_per_hour", 1.00),
        ("ascend-910c", "price_per_hour", 2.00), ("cpu", "price_per_hour", 0.10),
        // Latencies, seconds per collective call.
        ("h200", "scale_up.latency", 10e-6), ("h200", "scale_out.latency", 20e-6), ("mi300x", "scale_up.latency", 12e-6),
        ("ascend-910c", "scale_up.latency", 50e-6), ("ascend-910c", "scale_out.latency", 30e-6),
        // The cpu file: what is not measured.
        ("cpu", "scale_up.domain_size", 1), ("cpu", "scale_out.bandwidth", 0), ("cpu", "cache_tier.bandwidth", 1e9),
    ]

    @Test(arguments: figures)
    func presetFigure(_ row: (name: String, path: String, value: Double)) throws {
        let a = try #require(try Accelerator.presets().first { $0.name == row.name })
        let v = try #require(value(a, row.path), "\(row.name) has no \(row.path)")
        #expect(abs(v - row.value) <= 1e-9 * abs(row.value), "\(row.name) \(row.path) = \(v), expected \(row.value)")
    }

    @Test func formatsTheHardwareLacksAreAbsent() throws {
        let all = Dictionary(uniqueKeysWithValues: try Accelerator.presets().map { ($0.name, $0) })
        for name in ["h100", "h800", "h20", "h200", "mi300x", "mi325x"] { #expect(all[name]?.peakFlops[.fp4] == nil, "\(name)") }
        for name in ["ascend-910b", "ascend-910c"] {
            #expect(all[name]?.peakFlops[.fp8] == nil && all[name]?.peakFlops[.fp4] == nil, "\(name)")
            #expect(all[name]?.peakFlops[.int8] != nil, "\(name)")
        }
        for name in ["b200", "gb200", "b300", "gb300", "mi355x"] { #expect(all[name]?.peakFlops[.fp4] != nil, "\(name)") }
    }

    /// The calibrated defaults, per family.
    @Test func efficiencyFactors() throws {
        func expect(_ names: [String], _ e: ServingEfficiency) throws {
            for name in names {
                #expect(try Accelerator.presets().first { $0.name == name }?.efficiency == e, "\(name)")
            }
        }
        try expect(["h100", "h800", "h200"], ServingEfficiency(
            compute: [.bf16: 0.30, .fp8: 0.30, .int8: 0.30], attention: 0.30, memory: 0.80, scaleUp: 0.80,
            scaleOut: 0.80, kernelOverhead: 2e-6, usableMemory: 0.88))
        try expect(["h20"], ServingEfficiency(
            compute: [.bf16: 0.55, .fp8: 0.55, .int8: 0.55], attention: 0.55, memory: 0.80, scaleUp: 0.80,
            scaleOut: 0.80, kernelOverhead: 2e-6, usableMemory: 0.88))
        try expect(["b200", "gb200", "b300", "gb300"], ServingEfficiency(
            compute: [.bf16: 0.30, .fp8: 0.30, .fp4: 0.26, .int8: 0.30], attention: 0.30, memory: 0.80, scaleUp: 0.80,
            scaleOut: 0.80, kernelOverhead: 2e-6, usableMemory: 0.88))
        try expect(["mi300x", "mi325x"], ServingEfficiency(
            compute: [.bf16: 0.30, .fp8: 0.30, .int8: 0.30], attention: 0.30, memory: 0.75, scaleUp: 0.70,
            scaleOut: 0.80, kernelOverhead: 3e-6, usableMemory: 0.88))
        try expect(["mi355x"], ServingEfficiency(
            compute: [.bf16: 0.30, .fp8: 0.30, .fp4: 0.25, .int8: 0.30], attention: 0.30, memory: 0.75, scaleUp: 0.70,
            scaleOut: 0.80, kernelOverhead: 3e-6, usableMemory: 0.88))
        try expect(["ascend-910b", "ascend-910c"], ServingEfficiency(
            compute: [.bf16: 0.35, .int8: 0.35], attention: 0.30, memory: 0.75, scaleUp: 0.55,
            scaleOut: 0.70, kernelOverhead: 5e-6, usableMemory: 0.85))
        try expect(["cpu"], ServingEfficiency(
            compute: [.bf16: 1.0], attention: 0.5, memory: 1.0, scaleUp: 1.0, scaleOut: 1.0, kernelOverhead: 1e-6,
            usableMemory: 0.8))
    }

    @Test func everyNumberHasASourceAndDate() throws {
        let date = try Regex("^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$")
        for a in try Accelerator.presets() {
            let paths = fieldPaths(a)
            #expect(Set(a.sources.keys) == Set(paths), "\(a.name): sources keyed \(a.sources.keys.sorted())")
            for path in paths {
                let note = try #require(a.sources[path], "\(a.name) \(path) has no source")
                #expect(!note.source.trimmingCharacters(in: .whitespaces).isEmpty, "\(a.name) \(path)")
                #expect(note.date.wholeMatch(of: date) != nil, "\(a.name) \(path) date '\(note.date)'")
            }
        }
    }

    @Test func placeholderPricesSaySo() throws {
        for name in ["h20", "ascend-910b", "ascend-910c"] {
            let a = try #require(try Accelerator.presets().first { $0.name == name })
            #expect(a.sources["price_per_hour"]?.source.hasPrefix("placeholder") == true, "\(name)")
        }
        for name in ["b300", "gb300"] {
            let a = try #require(try Accelerator.presets().first { $0.name == name })
            #expect(a.sources["price_per_hour"]?.source.contains("placeholder") == true, "\(name)")
        }
    }

    /// The cache tier reads at 0.8 of the scale-out NIC.
    @Test func cacheTierFollowsScaleOut() throws {
        for a in try Accelerator.presets() where a.name != "cpu" {
            #expect(abs(a.cacheTier.bandwidth - 0.8 * a.scaleOut.bandwidth) < 1, "\(a.name)")
            #expect(a.cacheTier.name.contains("3FS"))
        }
    }

    @Test func computeFormatForWeights() throws {
        let h100 = try Accelerator.preset(named: "h100"), b200 = try Accelerator.preset(named: "b200")
        let b910 = try Accelerator.preset(named: "ascend-910b"), c910 = try Accelerator.preset(named: "ascend-910c")
        #expect(h100.computeFormat(for: .mxfp4) == .fp8)
        #expect(h100.computeFormat(for: .nvfp4) == .fp8)
        #expect(b200.computeFormat(for: .nvfp4) == .fp4)
        #expect(b200.computeFormat(for: .mxfp4) == .fp4)
        #expect(b910.computeFormat(for: .fp8) == .bf16)
        #expect(b910.computeFormat(for: .mxfp4) == .bf16)
        #expect(c910.computeFormat(for: .int8) == .int8)
        for a in try Accelerator.presets() {
            #expect(a.computeFormat(for: .int4(groupSize: 32)) == .bf16, "\(a.name)")
            #expect(a.computeFormat(for: .int4(groupSize: 128)) == .bf16, "\(a.name)")
            #expect(a.computeFormat(for: .bf16) == .bf16, "\(a.name)")
        }
        #expect(b910.peak(.fp8) == b910.peakFlops[.bf16])
    }

    @Test func lookupIsCaseInsensitiveAndSuggests() throws {
        #expect(try Accelerator.preset(named: "H200").name == "h200")
        #expect(try Accelerator.preset(named: "Ascend-910C").scaleUp.domainSize == 384)
        #expect(throws: AcceleratorError.unknownPreset("h2O", suggestion: "h20", known: Accelerator.presetNames)) {
            try Accelerator.preset(named: "h2O")
        }
        let error = AcceleratorError.unknownPreset("h2O", suggestion: "h20", known: ["h20", "h200"])
        #expect(error.description == "unknown accelerator 'h2O'; did you mean 'h20'? (known: h20, h200)")
    }

    /// A preset file read back as a user's file gives the same accelerator.
    @Test func presetFileRoundTrip() throws {
        let directory = try BundledResources.directory("Accelerators")
        for name in ["h200", "gb200", "ascend-910c"] {
            let url = directory.appendingPathComponent("\(name).json")
            let copy = FileManager.default.temporaryDirectory.appendingPathComponent("moekit-\(UUID().uuidString).json")
            try FileManager.default.copyItem(at: url, to: copy)
            defer { try? FileManager.default.removeItem(at: copy) }
            #expect(try Accelerator(file: copy) == (try Accelerator.preset(named: name)))
        }
    }

    /// The code's fallback for a missing bundle agrees with cpu.json.
    @Test func builtInCPUMatchesItsFile() throws {
        var file = try #require(try Accelerator.presets().first { $0.name == "cpu" })
        var builtIn = Accelerator.builtInCPU
        file.sources = [:]
        builtIn.sources = [:]
        #expect(builtIn == file)
        #expect(Set(Accelerator.builtInCPU.sources.keys) == Set(fieldPaths(Accelerator.builtInCPU)))
    }
}

@Suite("Accelerator files")
struct AcceleratorFileTests {
    @Test func userFileLoads() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("moekit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var document = sampleDocument()
        document["name"] = nil
        document["summary"] = nil
        let url = dir.appendingPathComponent("my-npu.json")
        try JSONSerialization.data(withJSONObject: document).write(to: url)
        let a = try Accelerator(file: url)
        #expect(a.name == "my-npu" && a.summary == "my-npu")
        #expect(a.peakFlops == [.bf16: 1e15, .fp8: 2e15])
        #expect(a.hbmBandwidth == 4e12 && a.hbmCapacity == 96e9)
        #expect(a.scaleUp == Interconnect(bandwidth: 400e9, latency: 1e-5, domainSize: 8))
        #expect(a.scaleOut == Interconnect(bandwidth: 50e9, latency: 2e-5, domainSize: .max))
        #expect(a.efficiency.usableMemory == 0.9 && a.cacheTier == CacheTier(name: "SSD", bandwidth: 40e9))
        #expect(a.sources["peak_flops.bf16"] == SourceNote(source: "datasheet", date: "2026-01"))
        #expect(a.sources["hbm_bandwidth"] == SourceNote(source: "user file my-npu.json", date: "undated"))
        #expect(a.sources["tdp"]?.source == "user file my-npu.json")
        #expect(Set(a.sources.keys) == Set(fieldPaths(a)))
        #expect(a.computeFormat(for: .nvfp4) == .fp8)
    }

    @Test func zeroIsAllowedOnlyWhereItMeansNone() throws {
        let a = try load(setting(setting(setting(sampleDocument(), "scale_out.bandwidth", 0), "tdp", 0),
                                 "efficiency.kernel_overhead", 0))
        #expect(a.scaleOut.bandwidth == 0 && a.tdp == 0 && a.efficiency.kernelOverhead == 0)
        for path in ["hbm_bandwidth", "hbm_capacity", "scale_up.bandwidth", "scale_up.latency", "price_per_hour",
                     "peak_flops.bf16", "cache_tier.bandwidth"] {
            #expect(throws: AcceleratorError.invalidValue(file: "x.json", field: path, value: "0", reason: "must be positive")) {
                try load(setting(sampleDocument(), path, 0))
            }
        }
    }

    @Test func missingField() throws {
        #expect(throws: AcceleratorError.missingField(file: "x.json", field: "tdp")) {
            try load(setting(sampleDocument(), "tdp", nil))
        }
        #expect(throws: AcceleratorError.missingField(file: "x.json", field: "scale_up.bandwidth")) {
            try load(setting(sampleDocument(), "scale_up.bandwidth", nil))
        }
        #expect(throws: AcceleratorError.missingField(file: "x.json", field: "efficiency.memory")) {
            try load(setting(sampleDocument(), "efficiency.memory", NSNull()))
        }
        #expect(throws: AcceleratorError.missingField(file: "x.json", field: "peak_flops.bf16")) {
            try load(setting(sampleDocument(), "peak_flops.bf16", nil))
        }
        #expect(throws: AcceleratorError.missingField(file: "x.json", field: "hbm_bandwidth.value")) {
            try load(setting(sampleDocument(), "hbm_bandwidth", ["source": "s", "date": "2026-01"]))
        }
        #expect(throws: AcceleratorError.missingField(file: "x.json", field: "cache_tier.name")) {
            try load(setting(sampleDocument(), "cache_tier.name", nil))
        }
    }

    @Test func negativeNumber() throws {
        let expected = AcceleratorError.negative(file: "x.json", field: "hbm_bandwidth", value: -1)
        #expect(throws: expected) { try load(setting(sampleDocument(), "hbm_bandwidth", -1)) }
        #expect(expected.description == "accelerator file 'x.json': field 'hbm_bandwidth' is negative (-1)")
        #expect(throws: AcceleratorError.negative(file: "x.json", field: "scale_out.bandwidth", value: -5e10)) {
            try load(setting(sampleDocument(), "scale_out.bandwidth", ["value": -5e10, "source": "s"]))
        }
    }

    @Test func notANumber() throws {
        #expect(throws: AcceleratorError.wrongType(file: "x.json", field: "hbm_bandwidth", expected: "a number")) {
            try load(setting(sampleDocument(), "hbm_bandwidth", ["value": "NaN", "source": "s", "date": "2026-01"]))
        }
        #expect(throws: AcceleratorError.self) { try load(setting(sampleDocument(), "tdp", "700")) }
        // JSON has no NaN; an out-of-range literal must not become infinity silently.
        let text = String(decoding: try JSONSerialization.data(withJSONObject: sampleDocument()), as: UTF8.self)
            .replacingOccurrences(of: "\"tdp\":600", with: "\"tdp\":1e999")
        #expect(text.contains("1e999"))
        #expect(throws: AcceleratorError.self) { try Accelerator(json: Data(text.utf8), file: "x.json") }
    }

    @Test func unknownFormatKey() throws {
        let expected = AcceleratorError.unknownFormat(file: "x.json", field: "peak_flops", key: "fp16")
        #expect(throws: expected) { try load(setting(sampleDocument(), "peak_flops.fp16", 1e15)) }
        #expect(expected.description.contains("bf16, fp8, fp4, int8"))
        #expect(expected.description.contains("'peak_flops'") && expected.description.contains("'fp16'"))
        #expect(throws: AcceleratorError.unknownFormat(file: "x.json", field: "efficiency.compute", key: "tf32")) {
            try load(setting(sampleDocument(), "efficiency.compute.tf32", 0.5))
        }
    }

    @Test func efficiencyOutOfRange() throws {
        #expect(throws: AcceleratorError.invalidValue(file: "x.json", field: "efficiency.memory", value: "1.5",
                                                      reason: "must be in [0.001, 1]")) {
            try load(setting(sampleDocument(), "efficiency.memory", 1.5))
        }
        #expect(throws: AcceleratorError.invalidValue(file: "x.json", field: "efficiency.compute.fp8", value: "0",
                                                      reason: "must be in [0.001, 1]")) {
            try load(setting(sampleDocument(), "efficiency.compute.fp8", 0))
        }
        #expect(throws: AcceleratorError.invalidValue(file: "x.json", field: "efficiency.compute", value: "{}",
                                                      reason: "needs at least one format")) {
            try load(setting(sampleDocument(), "efficiency.compute", [String: Any]()))
        }
    }

    @Test func domainSizeIsAWholeNumber() throws {
        for bad in [0, 2.5] as [Double] {
            #expect(throws: AcceleratorError.self) { try load(setting(sampleDocument(), "scale_up.domain_size", bad)) }
        }
        #expect(try load(setting(sampleDocument(), "scale_up.domain_size", 384)).scaleUp.domainSize == 384)
    }

    @Test func notAnObject() throws {
        #expect(throws: AcceleratorError.malformedJSON(file: "x.json", reason: "the top level is not an object")) {
            try Accelerator(json: Data("[1, 2]".utf8), file: "x.json")
        }
        #expect(throws: AcceleratorError.self) { try Accelerator(json: Data("{\"name\": ".utf8), file: "x.json") }
        #expect(throws: AcceleratorError.wrongType(file: "x.json", field: "scale_up", expected: "an object")) {
            try load(setting(sampleDocument(), "scale_up", 5))
        }
    }

    @Test func tooLarge() throws {
        let big = Data(count: (1 << 20) + 1)
        #expect(throws: AcceleratorError.fileTooLarge(file: "x.json", bytes: (1 << 20) + 1, limit: 1 << 20)) {
            try Accelerator(json: big, file: "x.json")
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("moekit-big-\(UUID().uuidString).json")
        try big.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: AcceleratorError.fileTooLarge(file: url.relativePath, bytes: (1 << 20) + 1, limit: 1 << 20)) {
            try Accelerator(file: url)
        }
    }

    @Test func unreadableFile() throws {
        #expect(throws: AcceleratorError.unreadableFile(file: "/nonexistent/a.json", reason: "no such file")) {
            try Accelerator(file: URL(fileURLWithPath: "/nonexistent/a.json"))
        }
    }

    /// Presets must name every source and date; a user's file need not.
    @Test func presetsNeedSources() throws {
        let root = try JSONValue.decodeObject(try JSONSerialization.data(withJSONObject: sampleDocument()))
        #expect(throws: AcceleratorError.wrongType(file: "p.json", field: "peak_flops.fp8",
                                                   expected: "an object {\"value\": N, \"source\": \"...\", \"date\": \"...\"}")) {
            try Accelerator(document: root, file: "p.json", isPreset: true)
        }
        let noDate = try JSONValue.decodeObject(try JSONSerialization.data(
            withJSONObject: setting(sampleDocument(), "peak_flops", ["bf16": ["value": 1e15, "source": "s"]])))
        #expect(throws: AcceleratorError.missingField(file: "p.json", field: "peak_flops.bf16.date")) {
            try Accelerator(document: noDate, file: "p.json", isPreset: true)
        }
    }

    @Test func everyDescriptionIsOneLine() {
        let errors: [AcceleratorError] = [
            .unreadableFile(file: "a", reason: "no such file"), .fileTooLarge(file: "a", bytes: 2, limit: 1),
            .malformedJSON(file: "a", reason: "bad"), .missingField(file: "a", field: "tdp"),
            .wrongType(file: "a", field: "tdp", expected: "a number"), .negative(file: "a", field: "tdp", value: -1.5),
            .invalidValue(file: "a", field: "tdp", value: "0", reason: "must be positive"),
            .unknownFormat(file: "a", field: "peak_flops", key: "fp16"),
            .invalidOverride(field: "price_per_hour", value: -1, reason: "must not be negative"),
            .unknownPreset("x", suggestion: nil, known: ["h200"]), .presetsUnavailable("missing"),
        ]
        for e in errors {
            #expect(!e.description.contains("\n"))
            #expect(!e.description.isEmpty)
        }
    }
}

@Suite("Accelerator overrides")
struct AcceleratorOverrideTests {
    @Test func overridesApplyAndRecordTheirSource() throws {
        let h200 = try Accelerator.preset(named: "h200")
        let o = AcceleratorOverrides(pricePerHour: 3.1, hbmBandwidth: 5e12, hbmCapacity: 150e9,
                                     peakFlops: [.fp8: 2e15, .fp4: 4e15], scaleUpBandwidth: 400e9, scaleOutBandwidth: 0,
                                     scaleUpLatency: 5e-6, scaleOutLatency: 30e-6, scaleUpDomain: 16, memoryEfficiency: 0.9,
                                     computeEfficiency: [.fp8: 0.6], cacheBandwidth: 10e9)
        let a = try h200.applying(o)
        #expect(a.pricePerHour == 3.1 && a.hbmBandwidth == 5e12 && a.hbmCapacity == 150e9)
        #expect(a.peakFlops == [.bf16: 989e12, .fp8: 2e15, .fp4: 4e15, .int8: 1.979e15])
        #expect(a.scaleUp == Interconnect(bandwidth: 400e9, latency: 5e-6, domainSize: 16))
        #expect(a.scaleOut == Interconnect(bandwidth: 0, latency: 30e-6, domainSize: .max))
        #expect(a.efficiency.memory == 0.9 && a.efficiency.compute[.fp8] == 0.6 && a.efficiency.compute[.bf16] == 0.3)
        #expect(a.cacheTier.bandwidth == 10e9 && a.cacheTier.name == h200.cacheTier.name)
        for path in ["price_per_hour", "hbm_bandwidth", "hbm_capacity", "peak_flops.fp8", "peak_flops.fp4",
                     "scale_up.bandwidth", "scale_out.bandwidth", "scale_up.latency", "scale_out.latency",
                     "scale_up.domain_size", "efficiency.memory", "efficiency.compute.fp8", "cache_tier.bandwidth"] {
            #expect(a.sources[path] == SourceNote(source: "command line override", date: "override"), "\(path)")
        }
        #expect(a.sources["peak_flops.bf16"] == h200.sources["peak_flops.bf16"])
        #expect(a.sources["tdp"] == h200.sources["tdp"])
        #expect(try h200.applying(AcceleratorOverrides()) == h200)
        #expect(AcceleratorOverrides().isEmpty && !o.isEmpty)
    }

    @Test func overridesAreValidated() throws {
        let h100 = try Accelerator.preset(named: "h100")
        #expect(throws: AcceleratorError.invalidOverride(field: "price_per_hour", value: -1, reason: "must not be negative")) {
            try h100.applying(AcceleratorOverrides(pricePerHour: -1))
        }
        #expect(throws: AcceleratorError.invalidOverride(field: "efficiency.memory", value: 1.5, reason: "must be in [0.001, 1]")) {
            try h100.applying(AcceleratorOverrides(memoryEfficiency: 1.5))
        }
        #expect(throws: AcceleratorError.invalidOverride(field: "scale_up.domain_size", value: 0,
                                                         reason: "must be a whole number from 1 to 2^30")) {
            try h100.applying(AcceleratorOverrides(scaleUpDomain: 0))
        }
        #expect(throws: AcceleratorError.invalidOverride(field: "hbm_bandwidth", value: 0, reason: "must be positive")) {
            try h100.applying(AcceleratorOverrides(hbmBandwidth: 0))
        }
        #expect(throws: AcceleratorError.invalidOverride(field: "peak_flops.fp8", value: .infinity,
                                                         reason: "must be a finite number")) {
            try h100.applying(AcceleratorOverrides(peakFlops: [.fp8: .infinity]))
        }
        #expect(throws: AcceleratorError.self) { try h100.applying(AcceleratorOverrides(scaleUpLatency: .nan)) }
        #expect(throws: AcceleratorError.invalidOverride(field: "efficiency.compute.bf16", value: 0, reason: "must be in [0.001, 1]")) {
            try h100.applying(AcceleratorOverrides(computeEfficiency: [.bf16: 0]))
        }
        #expect(AcceleratorError.invalidOverride(field: "price_per_hour", value: -1, reason: "must not be negative").description
                == "override of 'price_per_hour' = -1 is invalid: must not be negative")
    }
}

@Suite("Measured CPU")
struct MeasuredCPUTests {
    /// Speeds are not asserted: only that the measurements happened.
    @Test func measuredCPUIsPositiveAndSourced() throws {
        let cpu = Accelerator.measuredCPU(threads: 1)
        #expect((cpu.peakFlops[.bf16] ?? 0) > 0)
        #expect(cpu.hbmBandwidth > 0 && cpu.scaleUp.bandwidth == cpu.hbmBandwidth)
        #expect(cpu.hbmCapacity > 0)
        #expect(cpu.sources["peak_flops.bf16"]?.source.hasPrefix("measured at run time") == true)
        #expect(cpu.sources["hbm_bandwidth"]?.source.hasPrefix("measured at run time") == true)
        #expect(cpu.sources["peak_flops.bf16"]?.date.count == 10)
        #expect(cpu.pricePerHour == 0.10 && cpu.scaleUp.domainSize == 1)
    }

    /// `preset(named: "cpu")` measures once per process; `presets()` does not measure.
    @Test func cpuPresetIsMeasuredOnce() throws {
        let listed = try #require(try Accelerator.presets().first { $0.name == "cpu" })
        #expect(listed.sources["peak_flops.bf16"]?.source.hasPrefix("placeholder: measured at run time") == true)
        let first = try Accelerator.preset(named: "cpu"), second = try Accelerator.preset(named: "CPU")
        #expect(first == second)
        #expect(first.sources["peak_flops.bf16"]?.source.hasPrefix("measured at run time") == true)
    }

    @Test func memoryBandwidthIsPositive() {
        #expect(MemoryBandwidth.measureRead(bytes: 1 << 20, repetitions: 2) > 0)
        #expect(MemoryBandwidth.measureRead(bytes: 100, repetitions: 0) > 0)
    }
}
