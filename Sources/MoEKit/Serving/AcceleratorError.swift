//===--- AcceleratorError.swift - Why an accelerator file was refused ------===//

/// An error that names the accelerator file and the field at fault, by its path in the file
/// (`scale_up.bandwidth`, `efficiency.compute.fp8`). Each description is one line.
public enum AcceleratorError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file could not be read.
    case unreadableFile(file: String, reason: String)
    /// The file is larger than 1 MiB; it was not read.
    case fileTooLarge(file: String, bytes: Int, limit: Int)
    /// The text is not a JSON object.
    case malformedJSON(file: String, reason: String)
    /// A required field is absent (or `null`).
    case missingField(file: String, field: String)
    /// A field has the wrong JSON type.
    case wrongType(file: String, field: String, expected: String)
    /// A number is below zero.
    case negative(file: String, field: String, value: Double)
    /// A field's value is out of range.
    case invalidValue(file: String, field: String, value: String, reason: String)
    /// `peak_flops` or `efficiency.compute` has a key that is not a ``ComputeFormat``.
    case unknownFormat(file: String, field: String, key: String)
    /// An ``AcceleratorOverrides`` value is out of range (`field` is its path in the file schema).
    case invalidOverride(field: String, value: Double, reason: String)
    /// No preset has this name.
    case unknownPreset(String, suggestion: String?, known: [String])
    /// The bundled preset files could not be found or read.
    case presetsUnavailable(String)

    /// One line; text echoed from an input is escaped (``PrintableText/escaping(_:)``).
    public var description: String { PrintableText.escaping(text) }

    private var text: String {
        switch self {
        case .unreadableFile(let file, let reason):
            return "cannot read accelerator file '\(file)': \(reason)"
        case .fileTooLarge(let file, let bytes, let limit):
            return "accelerator file '\(file)' is \(bytes) bytes, above the \(limit)-byte limit"
        case .malformedJSON(let file, let reason):
            return "accelerator file '\(file)' is not a valid JSON object: \(reason)"
        case .missingField(let file, let field):
            return "accelerator file '\(file)': missing field '\(field)'"
        case .wrongType(let file, let field, let expected):
            return "accelerator file '\(file)': field '\(field)' must be \(expected)"
        case .negative(let file, let field, let value):
            return "accelerator file '\(file)': field '\(field)' is negative (\(Self.number(value)))"
        case .invalidValue(let file, let field, let value, let reason):
            return "accelerator file '\(file)': field '\(field)' = \(value) is invalid: \(reason)"
        case .unknownFormat(let file, let field, let key):
            return "accelerator file '\(file)': field '\(field)' has unknown format '\(key)' (known: "
                + ComputeFormat.allCases.map(\.rawValue).joined(separator: ", ") + ")"
        case .invalidOverride(let field, let value, let reason):
            return "override of '\(field)' = \(Self.number(value)) is invalid: \(reason)"
        case .unknownPreset(let name, let suggestion, let known):
            let hint = suggestion.map { "; did you mean '\($0)'?" } ?? ""
            return "unknown accelerator '\(name)'\(hint) (known: \(known.joined(separator: ", ")))"
        case .presetsUnavailable(let reason):
            return "accelerator presets unavailable: \(reason)"
        }
    }

    /// `-1` rather than `-1.0`; other values in Swift's shortest form.
    static func number(_ value: Double) -> String {
        if value.isFinite, value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
