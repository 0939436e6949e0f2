//===--- ConfigReader.swift - Typed access to a config.json object --------===//
//
// Every accessor throws a ModelSpecError that names the key (with its `text_config.` prefix
// when nested). Unknown keys are never looked at, so they are ignored.
//
//===----------------------------------------------------------------------===//

import Foundation

extension JSONValue {
    /// Parses `data` as a JSON object (a config.json).
    ///
    /// - Throws: ``ModelSpecError/malformedJSON(reason:)`` with the line and column, or
    ///   ``ModelSpecError/nestingTooDeep(limit:line:column:)``.
    static func parseObject<Bytes: Collection<UInt8>>(_ data: Bytes) throws(ModelSpecError) -> [String: JSONValue] {
        do { return try decodeObject(data) }
        catch {
            if error.tooDeep, let line = error.line, let column = error.column {
                throw .nestingTooDeep(limit: maximumDepth, line: line, column: column)
            }
            throw .malformedJSON(reason: error.message)
        }
    }
}

/// Typed, key-naming access to one config object.
struct ConfigReader {
    let object: [String: JSONValue]
    let modelType: String
    /// `"text_config."` for a nested text config, `""` otherwise.
    let prefix: String

    func name(_ key: String) -> String { prefix + key }

    /// The value of `key`, treating `null` as absent.
    func value(_ key: String) -> JSONValue? {
        guard let v = object[key], v != .null else { return nil }
        return v
    }

    func has(_ key: String) -> Bool { value(key) != nil }

    /// Largest accepted value per key. They are far above any real model and keep every
    /// parameter count below 2^63 (the worst case, routed experts
    /// `3 · hidden · moe_intermediate · experts · layers`, is 3 · 2^60), so that no config can make
    /// the integer arithmetic overflow. Other keys accept up to 2^40.
    static let limits: [String: Int] = [
        "hidden_size": 1 << 17, "intermediate_size": 1 << 19, "moe_intermediate_size": 1 << 19,
        "num_hidden_layers": 1 << 11, "num_attention_heads": 1 << 12, "num_key_value_heads": 1 << 12,
        "head_dim": 1 << 13, "qk_nope_head_dim": 1 << 13, "qk_rope_head_dim": 1 << 13, "v_head_dim": 1 << 13,
        "q_lora_rank": 1 << 16, "kv_lora_rank": 1 << 16, "o_lora_rank": 1 << 16, "o_groups": 1 << 12,
        "vocab_size": 1 << 22, "n_routed_experts": 1 << 13, "num_experts": 1 << 13, "num_local_experts": 1 << 13,
        "num_experts_per_tok": 1 << 13, "experts_per_token": 1 << 13, "n_shared_experts": 1 << 6,
        "index_n_heads": 1 << 12, "index_head_dim": 1 << 13, "index_topk": 1 << 30, "hc_mult": 64,
        "num_nextn_predict_layers": 64, "first_k_dense_replace": 1 << 11, "moe_layer_freq": 1 << 11,
        "decoder_sparse_step": 1 << 11, "max_window_layers": 1 << 11, "group_size": 1 << 20,
        "intermediate_size_mlp": 1 << 19, "shared_intermediate_size": 1 << 19,
        "interleave_moe_layer_step": 1 << 11, "num_mtp_modules": 64, "mtp_transformer_layers": 64,
        // Linear-attention hybrids (Qwen3-Next, Qwen3.5, Kimi Linear, Kimi K3); `num_heads`,
        // `head_dim` and `short_conv_kernel_size` are read inside `linear_attn_config`.
        "linear_num_key_heads": 1 << 12, "linear_num_value_heads": 1 << 12, "num_heads": 1 << 12,
        "linear_key_head_dim": 1 << 13, "linear_value_head_dim": 1 << 13,
        "linear_conv_kernel_dim": 1 << 6, "short_conv_kernel_size": 1 << 6, "full_attention_interval": 1 << 11,
        "shared_expert_intermediate_size": 1 << 19, "num_experts_per_token": 1 << 13, "num_shared_experts": 1 << 6,
        "routed_expert_hidden_size": 1 << 17, "mtp_num_hidden_layers": 64,
    ]

    func optionalInt(_ key: String) throws(ModelSpecError) -> Int? {
        guard let v = value(key) else { return nil }
        guard case .number(let d) = v, d.rounded() == d, abs(d) < 9.0e15 else {
            throw .wrongType(key: name(key), expected: "an integer")
        }
        let limit = Self.limits[key] ?? (1 << 40)
        guard Int(d) <= limit else {
            throw .invalidValue(key: name(key), value: "\(Int(d))", reason: "must be at most \(limit)")
        }
        return Int(d)
    }

    func int(_ key: String) throws(ModelSpecError) -> Int {
        guard let i = try optionalInt(key) else { throw .missingKey(name(key), modelType: modelType) }
        return i
    }

    /// A required integer ≥ `minimum` (1 by default).
    func positiveInt(_ key: String, minimum: Int = 1) throws(ModelSpecError) -> Int {
        let i = try int(key)
        guard i >= minimum else { throw .invalidValue(key: name(key), value: "\(i)", reason: "must be at least \(minimum)") }
        return i
    }

    /// An optional integer ≥ `minimum`, or `defaultValue` when absent.
    func int(_ key: String, default defaultValue: Int, minimum: Int = 0) throws(ModelSpecError) -> Int {
        guard let i = try optionalInt(key) else { return defaultValue }
        guard i >= minimum else { throw .invalidValue(key: name(key), value: "\(i)", reason: "must be at least \(minimum)") }
        return i
    }

    func bool(_ key: String, default defaultValue: Bool) throws(ModelSpecError) -> Bool {
        guard let v = value(key) else { return defaultValue }
        guard case .bool(let b) = v else { throw .wrongType(key: name(key), expected: "true or false") }
        return b
    }

    func string(_ key: String) throws(ModelSpecError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw .wrongType(key: name(key), expected: "a string") }
        return s
    }

    func intArray(_ key: String) throws(ModelSpecError) -> [Int]? {
        guard let v = value(key) else { return nil }
        guard case .array(let items) = v else { throw .wrongType(key: name(key), expected: "an array of integers") }
        var result: [Int] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard case .number(let d) = item, d.rounded() == d, abs(d) < 9.0e15 else {
                throw .wrongType(key: name(key), expected: "an array of integers")
            }
            result.append(Int(d))
        }
        return result
    }

    func stringArray(_ key: String) throws(ModelSpecError) -> [String]? {
        guard let v = value(key) else { return nil }
        guard case .array(let items) = v else { throw .wrongType(key: name(key), expected: "an array of strings") }
        var result: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw .wrongType(key: name(key), expected: "an array of strings") }
            result.append(s)
        }
        return result
    }

    /// A per-layer list of names (`layer_types`, `mlp_layer_types`): `count` entries, each one of
    /// the names in `values`, mapped to its value; `nil` when `key` is absent.
    ///
    /// - Throws: ``ModelSpecError/contradictoryKeys(_:reason:)`` naming `key` and `countKey` when
    ///   the list does not hold `count` entries ("3 `what` for 4 layers"), and
    ///   ``ModelSpecError/invalidValue(key:value:reason:)`` naming `key[i]` for a name not in
    ///   `values`.
    /// - Complexity: O(`count` · `values.count`).
    func perLayerNames<T>(_ key: String, count: Int, countKey: String, what: String,
                          values: [(name: String, value: T)]) throws(ModelSpecError) -> [T]? {
        guard let names = try stringArray(key) else { return nil }
        guard names.count == count else {
            throw .contradictoryKeys([name(key), name(countKey)], reason: "\(names.count) \(what) for \(count) layers")
        }
        var result: [T] = []
        result.reserveCapacity(count)
        for (i, entry) in names.enumerated() {
            guard let match = values.first(where: { $0.name == entry }) else {
                throw .invalidValue(key: name(key) + "[\(i)]", value: "'\(entry)'",
                                    reason: "expected " + values.map { "'\($0.name)'" }.joined(separator: " or "))
            }
            result.append(match.value)
        }
        return result
    }

    /// A nested object as a reader (keys named `prefix + key + "."`).
    func nested(_ key: String) throws(ModelSpecError) -> ConfigReader? {
        guard let v = value(key) else { return nil }
        guard case .object(let o) = v else { throw .wrongType(key: name(key), expected: "an object") }
        return ConfigReader(object: o, modelType: modelType, prefix: name(key) + ".")
    }
}
