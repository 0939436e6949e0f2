//===--- ModelSpecError.swift - Why a config or preset was refused --------===//

/// An error that names the config key, preset or file at fault.
public enum ModelSpecError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file could not be read.
    case unreadableFile(path: String, reason: String)
    /// The file is larger than ``ModelSpec/maximumConfigBytes``; it was not read (`bytes` is
    /// `nil` for a special file, read only up to the limit).
    case fileTooLarge(path: String, bytes: Int?, limit: Int)
    /// The text is not a JSON object; the reason starts with the line and column where the
    /// parser stopped.
    case malformedJSON(reason: String)
    /// Arrays and objects nest deeper than `limit` levels (at the given line and column).
    case nestingTooDeep(limit: Int, line: Int, column: Int)
    /// An error in the config file at `path` (any of the other cases).
    indirect case inFile(path: String, ModelSpecError)
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
    /// The parts of a hand-built ``ModelSpec`` disagree or hold an impossible size.
    case inconsistentSpec(model: String, String)
    /// No preset has this name.
    case unknownPreset(String, suggestion: String?, known: [String])
    /// The bundled preset files could not be found or read.
    case presetsUnavailable(String)

    /// The model types ``ModelSpec/init(configJSON:name:)`` accepts.
    public static let supportedModelTypes = [
        "deepseek_v2", "deepseek_v3", "kimi_k2", "kimi_k25", "deepseek_v32", "deepseek_v4",
        "qwen3_moe", "mixtral", "gpt_oss", "llama",
        "glm4_moe", "glm_moe_dsa", "minimax_m2", "llama4",
        "qwen3_next", "qwen3_5_moe", "kimi_linear", "kimi_k3",
    ]

    /// One line; text echoed from the file is escaped (``PrintableText/escaping(_:)``).
    public var description: String { PrintableText.escaping(text) }

    private var text: String {
        switch self {
        case .unreadableFile(let path, let reason):
            return "cannot read config '\(path)': \(reason)"
        case .fileTooLarge(let path, let bytes?, let limit):
            return "config '\(path)' is \(bytes) bytes, above the \(limit)-byte limit"
        case .fileTooLarge(let path, nil, let limit):
            return "config '\(path)' holds more than the \(limit)-byte limit"
        case .malformedJSON(let reason):
            return "config is not a valid JSON object: \(reason)"
        case .nestingTooDeep(let limit, let line, let column):
            return "config is not a valid JSON object: line \(line), column \(column): arrays and objects nested deeper than \(limit) levels"
        case .inFile(let path, let error):
            return "\(path): \(error.text)"
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
        case .inconsistentSpec(let model, let reason):
            return "model '\(model)' is inconsistent: \(reason)"
        case .unknownPreset(let name, let suggestion, let known):
            let hint = suggestion.map { "; did you mean '\($0)'?" } ?? ""
            return "unknown model '\(name)'\(hint) (known: \(known.joined(separator: ", ")))"
        case .presetsUnavailable(let reason):
            return "model presets unavailable: \(reason)"
        }
    }
}
