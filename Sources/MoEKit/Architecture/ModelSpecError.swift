//===--- ModelSpecError.swift - Why a config or preset was refused --------===//

/// An error that names the config key, preset or file at fault.
public enum ModelSpecError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file could not be read.
    case unreadableFile(path: String, reason: String)
    /// The text is not a JSON object.
    case malformedJSON(reason: String)
    /// A required key is absent (or `null`).
    case missingKey(String, modelType: String)
    /// A key has the wrong JSON type.
    case wrongType(key: String, expected: String)
    /// A key's value is out of range.
    case invalidValue(key: String, value: String, reason: String)
    /// Two or more keys disagree.
    case contradictoryKeys([String], reason: String)
    /// `model_type` is not one MoEKit models.
    case unsupportedModelType(String, suggestion: String?)
    /// No preset has this name.
    case unknownPreset(String, suggestion: String?, known: [String])
    /// The bundled preset files could not be found or read.
    case presetsUnavailable(String)

    /// The model types ``ModelSpec/init(configJSON:name:)`` accepts.
    public static let supportedModelTypes = [
        "deepseek_v2", "deepseek_v3", "kimi_k2", "kimi_k25", "deepseek_v32", "deepseek_v4",
        "qwen3_moe", "mixtral", "gpt_oss", "llama",
    ]

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason):
            return "cannot read config '\(path)': \(reason)"
        case .malformedJSON(let reason):
            return "config is not a valid JSON object: \(reason)"
        case .missingKey(let key, let type):
            return "config (model_type '\(type)') is missing required key '\(key)'"
        case .wrongType(let key, let expected):
            return "config key '\(key)' must be \(expected)"
        case .invalidValue(let key, let value, let reason):
            return "config key '\(key)' = \(value) is invalid: \(reason)"
        case .contradictoryKeys(let keys, let reason):
            return "config keys \(keys.map { "'\($0)'" }.joined(separator: " and ")) contradict each other: \(reason)"
        case .unsupportedModelType(let type, let suggestion):
            let hint = suggestion.map { "; did you mean '\($0)'?" } ?? ""
            return "unsupported model_type '\(type)'\(hint) (supported: \(Self.supportedModelTypes.joined(separator: ", ")))"
        case .unknownPreset(let name, let suggestion, let known):
            let hint = suggestion.map { "; did you mean '\($0)'?" } ?? ""
            return "unknown model '\(name)'\(hint) (known: \(known.joined(separator: ", ")))"
        case .presetsUnavailable(let reason):
            return "model presets unavailable: \(reason)"
        }
    }
}
