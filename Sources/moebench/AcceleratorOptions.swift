//===--- AcceleratorOptions.swift - Choosing accelerators and overriding numbers ===//
//
// --accelerator / --accelerator-file and the override flags, for any command that costs a
// model on hardware. Parsing only: MoEKit validates the values and names the field; this file
// maps field paths back to flags.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import MoEKit

/// `--accelerator`, `--accelerator-file` and the flags that override an accelerator's numbers.
///
/// Number flags are read as text (so `--price-per-hour -1` reaches the range check instead of
/// being taken for a flag) and accept plain and scientific notation and the SI suffixes
/// k, M, G, T, P: `4.8T` is 4.8e12, `141G` is 141e9.
struct AcceleratorOptions: ParsableArguments {
    @Option(name: .customLong("accelerator"),
            help: ArgumentHelp("Accelerator presets, comma-separated (see 'moebench accelerators').", valueName: "names"))
    var accelerator: String?

    @Option(name: .customLong("accelerator-file"),
            help: ArgumentHelp("An accelerator JSON file in the preset schema (comes first when --accelerator is also given).",
                               valueName: "path"))
    var acceleratorFile: String?

    @Option(name: .customLong("price-per-hour"), parsing: .unconditional,
            help: ArgumentHelp("Price per device-hour, US dollars, up to 1e6.", valueName: "usd"))
    var pricePerHour: String?

    @Option(name: .customLong("hbm-bandwidth"), parsing: .unconditional,
            help: ArgumentHelp("HBM bandwidth, bytes/s, up to 1P (4.8T).", valueName: "bytes/s"))
    var hbmBandwidth: String?

    @Option(name: .customLong("hbm-capacity"), parsing: .unconditional,
            help: ArgumentHelp("HBM capacity, bytes, up to 1P (141G).", valueName: "bytes"))
    var hbmCapacity: String?

    @Option(name: .customLong("peak-flops"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("Dense peak FLOP/s of a format: bf16, fp8, fp4 or int8, up to 1e18 (fp8=1.979P); repeatable.",
                               valueName: "format=flops"))
    var peakFlops: [String] = []

    @Option(name: .customLong("scale-up-bandwidth"), parsing: .unconditional,
            help: ArgumentHelp("Scale-up bandwidth per device and direction, bytes/s, up to 1P (450G).", valueName: "bytes/s"))
    var scaleUpBandwidth: String?

    @Option(name: .customLong("scale-out-bandwidth"), parsing: .unconditional,
            help: ArgumentHelp("Scale-out bandwidth per device and direction, bytes/s, up to 1P (50G; 0 = no network).", valueName: "bytes/s"))
    var scaleOutBandwidth: String?

    @Option(name: .customLong("scale-up-latency"), parsing: .unconditional,
            help: ArgumentHelp("Fixed cost of one scale-up collective call, seconds, up to 1 (10e-6).", valueName: "seconds"))
    var scaleUpLatency: String?

    @Option(name: .customLong("scale-out-latency"), parsing: .unconditional,
            help: ArgumentHelp("Fixed cost of one scale-out collective call, seconds, up to 1 (20e-6).", valueName: "seconds"))
    var scaleOutLatency: String?

    @Option(name: .customLong("scale-up-domain"), parsing: .unconditional,
            help: ArgumentHelp("Devices in the scale-up domain, 1...2^30 (8, 72, 384).", valueName: "devices"))
    var scaleUpDomain: String?

    @Option(name: .customLong("memory-efficiency"), parsing: .unconditional,
            help: ArgumentHelp("Fraction of HBM bandwidth memory-bound kernels reach, in [0.001, 1].", valueName: "fraction"))
    var memoryEfficiency: String?

    @Option(name: .customLong("compute-efficiency"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("Fraction of a format's peak GEMMs reach, in [0.001, 1] (fp8=0.5); repeatable.",
                               valueName: "format=fraction"))
    var computeEfficiency: [String] = []

    @Option(name: .customLong("cache-bandwidth"), parsing: .unconditional,
            help: ArgumentHelp("Prefix-cache tier read bandwidth per device, bytes/s, up to 1P (40G).", valueName: "bytes/s"))
    var cacheBandwidth: String?

    /// Whether `--accelerator` or `--accelerator-file` was given.
    var hasSelection: Bool { accelerator != nil || acceleratorFile != nil }

    /// The accelerators to use, overrides applied: the file's (if `--accelerator-file` is
    /// given), then the presets named by `--accelerator`; `defaultNames` when neither is given.
    ///
    /// - Throws: A one-line ``UsageError`` naming the flag at fault.
    func accelerators(default defaultNames: [String]) throws -> [Accelerator] {
        var list: [Accelerator] = []
        if let path = acceleratorFile {
            do { list.append(try Accelerator(file: URL(fileURLWithPath: path))) }
            catch { throw UsageError("--accelerator-file: \(error)") }
        }
        let names: [String]
        if let accelerator {
            names = try listItems(accelerator, option: "--accelerator")
        } else {
            names = acceleratorFile == nil ? defaultNames : []
        }
        for name in names {
            do { list.append(try Accelerator.preset(named: name)) }
            catch { throw UsageError("--accelerator: \(error)") }
        }
        return try applyOverrides(to: list)
    }

    /// `list` with the override flags applied to each accelerator.
    ///
    /// - Throws: A ``UsageError`` naming the flag and the value it was given.
    func applyOverrides(to list: [Accelerator]) throws -> [Accelerator] {
        let (overrides, shown) = try parsedOverrides()
        guard !overrides.isEmpty else { return list }
        return try list.map { a in
            do throws(AcceleratorError) { return try a.applying(overrides) } catch {
                guard case .invalidOverride(let field, let value, let reason) = error else { throw UsageError("\(error)") }
                throw UsageError("\(shown[field] ?? Self.shown(field, "\(value)")): \(reason)")
            }
        }
    }

    /// The override flags as ``AcceleratorOverrides``, and for each field path set, the flag
    /// and value as given (`--price-per-hour -1`), for messages.
    func parsedOverrides() throws -> (AcceleratorOverrides, [String: String]) {
        var o = AcceleratorOverrides()
        var shown: [String: String] = [:]
        func number(_ text: String?, _ path: String) throws -> Double? {
            guard let text else { return nil }
            shown[path] = Self.shown(path, text)
            return try Self.quantity(text, shown: shown[path]!)
        }
        o.pricePerHour = try number(pricePerHour, "price_per_hour")
        o.hbmBandwidth = try number(hbmBandwidth, "hbm_bandwidth")
        o.hbmCapacity = try number(hbmCapacity, "hbm_capacity")
        for entry in peakFlops {
            let (format, text) = try Self.formatValue(entry, flag: "--peak-flops")
            o.peakFlops[format] = try number(text, "peak_flops.\(format)")
        }
        o.scaleUpBandwidth = try number(scaleUpBandwidth, "scale_up.bandwidth")
        o.scaleOutBandwidth = try number(scaleOutBandwidth, "scale_out.bandwidth")
        o.scaleUpLatency = try number(scaleUpLatency, "scale_up.latency")
        o.scaleOutLatency = try number(scaleOutLatency, "scale_out.latency")
        if let d = try number(scaleUpDomain, "scale_up.domain_size") {
            guard d.rounded() == d, abs(d) <= 1e15 else {
                throw UsageError("\(shown["scale_up.domain_size"]!): must be a whole number of devices")
            }
            o.scaleUpDomain = Int(d)
        }
        o.memoryEfficiency = try number(memoryEfficiency, "efficiency.memory")
        for entry in computeEfficiency {
            let (format, text) = try Self.formatValue(entry, flag: "--compute-efficiency")
            o.computeEfficiency[format] = try number(text, "efficiency.compute.\(format)")
        }
        o.cacheBandwidth = try number(cacheBandwidth, "cache_tier.bandwidth")
        return (o, shown)
    }

    /// The flag that sets `path`, with `value`: `--hbm-bandwidth 4.8T`, `--peak-flops fp8=2P`.
    static func shown(_ path: String, _ value: String) -> String {
        let f = flag(for: path)
        return f.hasSuffix("=") ? f + value : f + " " + value
    }

    /// The flag that sets the field at `path` (for a per-format field, the flag and `format=`).
    static func flag(for path: String) -> String {
        switch path {
        case "price_per_hour": return "--price-per-hour"
        case "hbm_bandwidth": return "--hbm-bandwidth"
        case "hbm_capacity": return "--hbm-capacity"
        case "scale_up.bandwidth": return "--scale-up-bandwidth"
        case "scale_out.bandwidth": return "--scale-out-bandwidth"
        case "scale_up.latency": return "--scale-up-latency"
        case "scale_out.latency": return "--scale-out-latency"
        case "scale_up.domain_size": return "--scale-up-domain"
        case "efficiency.memory": return "--memory-efficiency"
        case "cache_tier.bandwidth": return "--cache-bandwidth"
        default:
            if path.hasPrefix("peak_flops.") { return "--peak-flops \(path.dropFirst("peak_flops.".count))=" }
            if path.hasPrefix("efficiency.compute.") {
                return "--compute-efficiency \(path.dropFirst("efficiency.compute.".count))="
            }
            return path
        }
    }

    /// Splits `FORMAT=VALUE`.
    static func formatValue(_ entry: String, flag: String) throws -> (ComputeFormat, String) {
        let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let formats = ComputeFormat.allCases.map(\.rawValue).joined(separator: ", ")
        guard parts.count == 2 else { throw UsageError("\(flag) '\(entry)' must be FORMAT=VALUE with FORMAT one of \(formats)") }
        let name = parts[0].trimmingCharacters(in: .whitespaces).lowercased()
        guard let format = ComputeFormat(rawValue: name) else {
            throw UsageError("\(flag) '\(entry)': unknown format '\(parts[0])' (known: \(formats))")
        }
        return (format, String(parts[1]))
    }

    /// A finite number in plain or scientific notation with an optional SI suffix
    /// (k/K 1e3, M 1e6, G 1e9, T 1e12, P 1e15): `4.8T` = 4.8e12. `shown` is the flag and value
    /// as given, for the message.
    static func quantity(_ text: String, shown: String) throws -> Double {
        let exponents: [Character: String] = ["k": "e3", "K": "e3", "M": "e6", "G": "e9", "T": "e12", "P": "e15"]
        var body = text.trimmingCharacters(in: .whitespaces)
        if let last = body.last, let exponent = exponents[last] {
            body.removeLast()
            // "4.8T" parses as "4.8e12", the same Double as the literal; a body with its own
            // exponent ("1e3k") is refused.
            body = body.contains(where: { $0 == "e" || $0 == "E" }) ? "?" : body + exponent
        }
        guard body.allSatisfy({ !$0.isLetter || $0 == "e" || $0 == "E" }), let value = Double(body), value.isFinite else {
            throw UsageError("\(shown): not a number (plain, 1.5e12, or with a suffix k/M/G/T/P: 4.8T)")
        }
        return value
    }
}
