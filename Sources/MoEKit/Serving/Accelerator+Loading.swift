//===--- Accelerator+Loading.swift - Presets and user files in JSON -------===//
//
// One JSON object per accelerator (Resources/Accelerators/<name>.json, or a user's file).
// Every number is {"value": N, "source": "...", "date": "YYYY-MM-DD"}, in base units:
// FLOP/s dense, bytes (decimal), bytes/s per direction per device, seconds, watts, USD per
// device-hour. The Accelerators article of the documentation gives the whole schema.
//
//===----------------------------------------------------------------------===//

import Foundation

extension Accelerator {
    /// Names of the built-in presets, sorted (empty if the bundled files cannot be read; see
    /// ``presets()`` for the error).
    public static var presetNames: [String] {
        (try? AcceleratorLibrary.shared.get().map(\.name)) ?? []
    }

    /// All built-in presets, in ``presetNames`` order, with the values of their files.
    ///
    /// The `cpu` preset is listed with its file's placeholder peak, bandwidth and capacity;
    /// nothing is measured. ``preset(named:)`` measures them (``measuredCPU(threads:)``).
    ///
    /// - Throws: ``AcceleratorError/presetsUnavailable(_:)`` if the bundled files are missing
    ///   or malformed.
    public static func presets() throws(AcceleratorError) -> [Accelerator] {
        try AcceleratorLibrary.shared.get()
    }

    /// The preset called `name` (case-insensitive).
    ///
    /// For `cpu` this is ``measuredCPU(threads:)`` with one thread, measured on the first call
    /// (a 2048³ sgemm and a 256 MiB read, about a second) and cached for the rest of the
    /// process; concurrent first calls measure once.
    ///
    /// - Throws: ``AcceleratorError/unknownPreset(_:suggestion:known:)`` with the closest name,
    ///   or ``AcceleratorError/presetsUnavailable(_:)``.
    public static func preset(named name: String) throws(AcceleratorError) -> Accelerator {
        let all = try presets()
        guard let found = all.first(where: { $0.name.lowercased() == name.lowercased() }) else {
            let names = all.map(\.name)
            throw .unknownPreset(name, suggestion: closestMatch(to: name, in: names), known: names)
        }
        return found.name == cpuPresetName ? MeasuredCPU.shared : found
    }

    /// Loads an accelerator from a JSON file in the preset schema.
    ///
    /// Files over 1 MiB are refused before they are read (a special file such as a FIFO is
    /// read up to that limit, and reported as limit + 1 bytes). Errors name the file as given
    /// (`url.relativePath`).
    ///
    /// - Throws: ``AcceleratorError/unreadableFile(file:reason:)``,
    ///   ``AcceleratorError/fileTooLarge(file:bytes:limit:)``, and the errors of
    ///   ``init(json:file:)``.
    public init(file url: URL) throws(AcceleratorError) {
        let file = url.relativePath
        let bytes: [UInt8]
        do { bytes = try InputFile.contents(of: url.path, limit: Self.maximumFileBytes) }
        catch {
            switch error {
            case .unreadable(let reason): throw .unreadableFile(file: file, reason: reason)
            case .tooLarge(let size, let limit): throw .fileTooLarge(file: file, bytes: size ?? limit + 1, limit: limit)
            }
        }
        try self.init(json: Data(bytes), file: file)
    }

    /// Loads an accelerator from the bytes of a JSON file in the preset schema.
    ///
    /// Every numeric field must be present, a finite number and in range: 0 is allowed only for
    /// `scale_out.bandwidth`, `tdp` and `efficiency.kernel_overhead`; `scale_up.domain_size` is a
    /// whole number ≥ 1; efficiency fractions are in [0.001, 1]; bandwidths and capacities are at
    /// most 1e15, peak FLOP/s 1e18, latencies and the kernel overhead 1 s, TDP 1e6 W and the
    /// price 1e6 USD per hour. `peak_flops` needs at least `bf16`
    /// and `efficiency.compute` at least one format; their keys must be `bf16`, `fp8`, `fp4` or
    /// `int8`. Unlike a preset, a user's file may give a number bare (`"tdp": 700`) or leave out
    /// `source` and `date`: the source is then recorded as `user file <name>` and the date as
    /// `undated`. `name` defaults to the file name without its extension and `summary` to the
    /// name. Other keys are ignored.
    ///
    /// - Parameters:
    ///   - json: The file's bytes (at most 1 MiB).
    ///   - file: The file's name, for error messages and the recorded sources.
    /// - Throws: ``AcceleratorError`` naming the file and the field path (`scale_up.bandwidth`).
    public init(json: Data, file: String) throws(AcceleratorError) {
        guard json.count <= Self.maximumFileBytes else {
            throw .fileTooLarge(file: file, bytes: json.count, limit: Self.maximumFileBytes)
        }
        let root: [String: JSONValue]
        do { root = try JSONValue.decodeObject(json) }
        catch { throw .malformedJSON(file: file, reason: error.message) }
        try self.init(document: root, file: file, isPreset: false)
    }

    /// Largest accelerator file read, bytes.
    static let maximumFileBytes = 1 << 20

    /// The preset that ``preset(named:)`` measures.
    static let cpuPresetName = "cpu"

    /// Reads a parsed document; a preset must give every source and date.
    init(document root: [String: JSONValue], file: String, isPreset: Bool) throws(AcceleratorError) {
        var d = AcceleratorDocument(file: file, isPreset: isPreset)
        let baseName = (file as NSString).lastPathComponent
        let defaultName = isPreset ? nil : (baseName as NSString).deletingPathExtension
        let name = try d.text(root, "name", default: defaultName)
        let summary = try d.text(root, "summary", default: isPreset ? nil : name)

        let peakFlops = try d.formats(root, "peak_flops")
        guard peakFlops[.bf16] != nil else { throw .missingField(file: file, field: "peak_flops.bf16") }
        let hbmCapacity = try d.number(root, "hbm_capacity")
        let hbmBandwidth = try d.number(root, "hbm_bandwidth")

        let up = try d.object(root, "scale_up")
        let scaleUp = Interconnect(bandwidth: try d.number(up, "scale_up.bandwidth"),
                                   latency: try d.number(up, "scale_up.latency"),
                                   domainSize: Int(try d.number(up, "scale_up.domain_size")))
        let out = try d.object(root, "scale_out")
        let scaleOut = Interconnect(bandwidth: try d.number(out, "scale_out.bandwidth"),
                                    latency: try d.number(out, "scale_out.latency"), domainSize: .max)
        let tdp = try d.number(root, "tdp")
        let price = try d.number(root, "price_per_hour")

        let e = try d.object(root, "efficiency")
        let compute = try d.formats(e, "efficiency.compute")
        guard !compute.isEmpty else {
            throw .invalidValue(file: file, field: "efficiency.compute", value: "{}", reason: "needs at least one format")
        }
        let efficiency = ServingEfficiency(
            compute: compute, attention: try d.number(e, "efficiency.attention"),
            memory: try d.number(e, "efficiency.memory"), scaleUp: try d.number(e, "efficiency.scale_up"),
            scaleOut: try d.number(e, "efficiency.scale_out"),
            kernelOverhead: try d.number(e, "efficiency.kernel_overhead"),
            usableMemory: try d.number(e, "efficiency.usable_memory"))

        let c = try d.object(root, "cache_tier")
        let cacheTier = CacheTier(name: try d.text(c, "cache_tier.name", default: nil),
                                  bandwidth: try d.number(c, "cache_tier.bandwidth"))

        self.init(name: name, summary: summary, peakFlops: peakFlops, hbmCapacity: hbmCapacity,
                  hbmBandwidth: hbmBandwidth, scaleUp: scaleUp, scaleOut: scaleOut, tdp: tdp, pricePerHour: price,
                  efficiency: efficiency, cacheTier: cacheTier, sources: d.sources)
    }
}

/// What values a numeric field accepts, by its path; shared by files and overrides.
enum FieldRule {
    /// Finite, above zero and at most the maximum.
    case positive(minimum: Double, maximum: Double)
    /// Finite, zero or above and at most the maximum.
    case nonNegative(maximum: Double)
    /// In [0.001, 1]: a fraction of peak far below 0.1% is a typo, and would make a
    /// projection's times overflow.
    case fraction
    /// A whole number from 1 to 2^30.
    case count

    /// The rule of the field at `path` (`scale_up.bandwidth`). The maxima are far above any
    /// device (the presets' largest values are 8e12 B/s, 288e9 B, 1.5e16 FLOP/s) and keep
    /// every projection's arithmetic finite: bandwidths and capacities 1e15 (bytes, bytes/s),
    /// peak FLOP/s 1e18, latencies and per-kernel overheads 1 s, TDP 1e6 W, price 1e6 USD/h.
    /// The minima (1 byte, 1 byte/s, 1 FLOP/s, 1 ns, $1e-6 per hour) keep them finite too.
    static func of(_ path: String) -> FieldRule {
        switch path {
        case "scale_out.bandwidth": return .nonNegative(maximum: 1e15)
        case "tdp": return .nonNegative(maximum: 1e6)
        case "efficiency.kernel_overhead": return .nonNegative(maximum: 1)
        case "scale_up.domain_size": return .count
        case "scale_up.latency", "scale_out.latency": return .positive(minimum: 1e-9, maximum: 1)
        case "price_per_hour": return .positive(minimum: 1e-6, maximum: 1e6)
        default:
            if path.hasPrefix("efficiency.") { return .fraction }
            if path.hasPrefix("peak_flops.") { return .positive(minimum: 1, maximum: 1e18) }
            return .positive(minimum: 1, maximum: 1e15)
        }
    }

    /// Why a value breaks a rule.
    enum Violation: Equatable {
        case negative
        case invalid(String)
    }

    /// What is wrong with `value`, or `nil` when it is accepted.
    func violation(_ value: Double) -> Violation? {
        guard value.isFinite else { return .invalid("must be a finite number") }
        if value < 0 { return .negative }
        switch self {
        case .positive(let minimum, let maximum):
            if value == 0 { return .invalid("must be positive") }
            if value < minimum { return .invalid("must be at least \(AcceleratorError.number(minimum))") }
            return value <= maximum ? nil : .invalid("must be at most \(AcceleratorError.number(maximum))")
        case .nonNegative(let maximum):
            return value <= maximum ? nil : .invalid("must be at most \(AcceleratorError.number(maximum))")
        case .fraction: return value >= 1e-3 && value <= 1 ? nil : .invalid("must be in [0.001, 1]")
        case .count:
            return value >= 1 && value <= Double(1 << 30) && value.rounded() == value
                ? nil : .invalid("must be a whole number from 1 to 2^30")
        }
    }
}

/// Reads the fields of one accelerator document, recording each number's source under its
/// field path. Every error names the file and the path.
struct AcceleratorDocument {
    let file: String
    let isPreset: Bool
    var sources: [String: SourceNote] = [:]

    init(file: String, isPreset: Bool) {
        self.file = file
        self.isPreset = isPreset
    }

    /// The last component of a field path: the key inside its object.
    private func key(_ path: String) -> String {
        path.split(separator: ".").last.map(String.init) ?? path
    }

    /// `object[key]`, treating `null` as absent.
    private func value(_ object: [String: JSONValue], _ key: String) -> JSONValue? {
        guard let v = object[key], v != .null else { return nil }
        return v
    }

    func object(_ parent: [String: JSONValue], _ path: String) throws(AcceleratorError) -> [String: JSONValue] {
        guard let v = value(parent, key(path)) else { throw .missingField(file: file, field: path) }
        guard case .object(let o) = v else { throw .wrongType(file: file, field: path, expected: "an object") }
        return o
    }

    /// A non-empty string, or `defaultValue` when absent (required when `nil`).
    func text(_ parent: [String: JSONValue], _ path: String, default defaultValue: String?) throws(AcceleratorError) -> String {
        guard let v = value(parent, key(path)) else {
            guard let defaultValue else { throw .missingField(file: file, field: path) }
            return defaultValue
        }
        guard case .string(let s) = v, !s.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw .wrongType(file: file, field: path, expected: "a non-empty string")
        }
        return s
    }

    /// A numeric leaf, validated by its ``FieldRule``; its source is recorded under `path`.
    mutating func number(_ parent: [String: JSONValue], _ path: String) throws(AcceleratorError) -> Double {
        guard let v = value(parent, key(path)) else { throw .missingField(file: file, field: path) }
        let number: JSONValue
        var note = SourceNote(source: "user file \((file as NSString).lastPathComponent)", date: "undated")
        switch v {
        case .object(let leaf):
            guard let n = value(leaf, "value") else { throw .missingField(file: file, field: path + ".value") }
            number = n
            if let source = try optionalText(leaf, path + ".source") { note.source = source }
            else if isPreset { throw .missingField(file: file, field: path + ".source") }
            if let date = try optionalText(leaf, path + ".date") { note.date = date }
            else if isPreset { throw .missingField(file: file, field: path + ".date") }
        case .number where !isPreset:
            number = v
        default:
            let object = "an object {\"value\": N, \"source\": \"...\", \"date\": \"...\"}"
            throw .wrongType(file: file, field: path, expected: isPreset ? object : "a number or " + object)
        }
        guard case .number(let d) = number else { throw .wrongType(file: file, field: path, expected: "a number") }
        switch FieldRule.of(path).violation(d) {
        case nil: break
        case .negative: throw .negative(file: file, field: path, value: d)
        case .invalid(let reason):
            throw .invalidValue(file: file, field: path, value: AcceleratorError.number(d), reason: reason)
        }
        sources[path] = note
        return d
    }

    private func optionalText(_ leaf: [String: JSONValue], _ path: String) throws(AcceleratorError) -> String? {
        guard let v = value(leaf, key(path)) else { return nil }
        guard case .string(let s) = v, !s.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw .wrongType(file: file, field: path, expected: "a non-empty string")
        }
        return s
    }

    /// An object keyed by ``ComputeFormat`` raw values (`peak_flops`, `efficiency.compute`).
    mutating func formats(_ parent: [String: JSONValue], _ path: String) throws(AcceleratorError) -> [ComputeFormat: Double] {
        let o = try object(parent, path)
        for key in o.keys.sorted() where ComputeFormat(rawValue: key) == nil {
            throw .unknownFormat(file: file, field: path, key: key)
        }
        var result: [ComputeFormat: Double] = [:]
        for format in ComputeFormat.allCases where value(o, format.rawValue) != nil {
            result[format] = try number(o, path + "." + format.rawValue)
        }
        return result
    }
}

/// Loads the bundled presets once.
enum AcceleratorLibrary {
    static let shared: Result<[Accelerator], AcceleratorError> = Result { () throws(AcceleratorError) -> [Accelerator] in
        let directory: URL
        do throws(MissingResource) { directory = try BundledResources.directory("Accelerators") }
        catch { throw .presetsUnavailable(error.description) }
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "json" }
        } catch { throw .presetsUnavailable("cannot list \(directory.path)") }
        var all: [Accelerator] = []
        for url in files {
            let file = url.lastPathComponent
            guard let data = try? Data(contentsOf: url) else { throw .presetsUnavailable("cannot read \(url.path)") }
            let accelerator: Accelerator
            do {
                let root = try JSONValue.decodeObject(data)
                accelerator = try Accelerator(document: root, file: file, isPreset: true)
            } catch let error as JSONValue.SyntaxError {
                throw .presetsUnavailable("\(file) is not a JSON object: \(error.message)")
            } catch {
                throw .presetsUnavailable("\(error)")
            }
            guard accelerator.name == url.deletingPathExtension().lastPathComponent else {
                throw .presetsUnavailable("\(file) has name '\(accelerator.name)'")
            }
            all.append(accelerator)
        }
        return all.sorted { $0.name < $1.name }
    }
}
