//===--- ModelSpec+Presets.swift - Built-in models from bundled JSON files ===//
//
// Each preset is a config.json-style file in Resources/Models carrying the model's published
// config values, plus a "moekit" object: name, serving defaults and published parameter counts,
// each with its source.
//
//===----------------------------------------------------------------------===//

import Foundation

extension ModelSpec {
    /// Names of the built-in presets, sorted (empty if the bundled files cannot be read; see
    /// ``presets()`` for the error).
    public static var presetNames: [String] {
        (try? PresetLibrary.shared.get().map(\.name)) ?? []
    }

    /// All built-in presets, in ``presetNames`` order.
    ///
    /// - Throws: ``ModelSpecError/presetsUnavailable(_:)`` if the bundled files are missing or
    ///   malformed.
    public static func presets() throws(ModelSpecError) -> [ModelSpec] {
        try PresetLibrary.shared.get()
    }

    /// The preset called `name` (case-insensitive).
    ///
    /// - Throws: ``ModelSpecError/unknownPreset(_:suggestion:known:)`` with the closest name.
    public static func preset(named name: String) throws(ModelSpecError) -> ModelSpec {
        let all = try presets()
        if let spec = all.first(where: { $0.name.lowercased() == name.lowercased() }) { return spec }
        let names = all.map(\.name)
        throw .unknownPreset(name, suggestion: closestMatch(to: name, in: names), known: names)
    }

    /// Loads one preset document: a config plus its `moekit` metadata.
    static func preset(document data: Data, file: String) throws(ModelSpecError) -> ModelSpec {
        let root = try JSONValue.parseObject(data)
        let meta = ConfigReader(object: root, modelType: "preset", prefix: "")
        guard let m = try meta.nested("moekit"), let name = try m.string("name") else {
            throw .presetsUnavailable("\(file) has no moekit.name")
        }
        var spec = try ModelSpec(root: root, name: name)
        if let s = try m.nested("serving") {
            func weight(_ key: String) throws(ModelSpecError) -> WeightFormat {
                let text = try s.string(key) ?? "bf16"
                guard let f = WeightFormat(name: text) else { throw .invalidValue(key: s.name(key), value: text, reason: "unknown weight format") }
                return f
            }
            let kvName = try s.string("kv_cache") ?? "bf16", indexerName = try s.string("indexer") ?? "bf16"
            guard let kv = KVCacheFormat(rawValue: kvName) else { throw .invalidValue(key: s.name("kv_cache"), value: kvName, reason: "unknown KV format") }
            guard let indexer = IndexerKeyFormat(rawValue: indexerName) else { throw .invalidValue(key: s.name("indexer"), value: indexerName, reason: "unknown indexer format") }
            // The recurrent-state format stays the config's (`mamba_ssm_dtype`) unless named here.
            var state = spec.serving.kvStorage.state
            if let stateName = try s.string("recurrent_state") {
                guard let f = RecurrentStateFormat(rawValue: stateName) else {
                    throw .invalidValue(key: s.name("recurrent_state"), value: stateName, reason: "unknown state format")
                }
                state = f
            }
            spec.serving = ServingDefaults(weights: WeightPrecision(dense: try weight("weights"), experts: try weight("expert_weights")),
                                           kvStorage: KVStorage(kv: kv, indexer: indexer, state: state), source: try s.string("source") ?? "")
        }
        if let p = try m.nested("published") {
            func number(_ key: String) throws(ModelSpecError) -> Double {
                guard case .number(let d)? = p.value(key) else { throw .missingKey(p.name(key), modelType: "preset") }
                return d
            }
            let convention = ActiveParameterConvention(rawValue: try p.string("active_convention") ?? "") ?? .excludingEmbedding
            spec.published = PublishedParameters(total: try number("total"), active: try number("active"),
                                                 activeConvention: convention, source: try p.string("source") ?? "")
        }
        if case .array(let items)? = m.value("api_prices") {
            for (i, item) in items.enumerated() {
                guard case .object(let o) = item else { throw .wrongType(key: "moekit.api_prices[\(i)]", expected: "an object") }
                let r = ConfigReader(object: o, modelType: "preset", prefix: "moekit.api_prices[\(i)].")
                func price(_ key: String) throws(ModelSpecError) -> Double {
                    guard case .number(let d)? = r.value(key), d.isFinite, d >= 0 else { throw .missingKey(r.name(key), modelType: "preset") }
                    return d
                }
                spec.apiPrices.append(APIPrice(provider: try r.string("provider") ?? "", date: try r.string("date") ?? "",
                                               cacheHitInput: try price("cache_hit_input"), cacheMissInput: try price("cache_miss_input"),
                                               output: try price("output"), source: try r.string("source") ?? ""))
            }
        }
        return spec
    }
}

/// Loads the bundled presets once.
enum PresetLibrary {
    static let shared: Result<[ModelSpec], ModelSpecError> = Result { () throws(ModelSpecError) -> [ModelSpec] in
        let directory = try resourceDirectory()
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "json" }
        } catch { throw .presetsUnavailable("cannot list \(directory.path)") }
        var specs: [ModelSpec] = []
        for file in files {
            guard let data = try? Data(contentsOf: file) else { throw .presetsUnavailable("cannot read \(file.path)") }
            do { specs.append(try ModelSpec.preset(document: data, file: file.lastPathComponent)) }
            catch { throw .presetsUnavailable("\(file.lastPathComponent): \(error)") }
        }
        return specs.sorted { $0.name < $1.name }
    }

    /// `Models` inside the SwiftPM resource bundle.
    static func resourceDirectory() throws(ModelSpecError) -> URL {
        do { return try BundledResources.directory("Models") }
        catch { throw .presetsUnavailable(error.description) }
    }
}
