//===--- EstimationError.swift - Why an estimate was refused --------------===//

/// An error that names the input an estimate cannot use.
public enum EstimationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A context length outside `1...2^40`.
    case contextOutOfRange(Int)
    /// A batch size below 1.
    case batchSizeOutOfRange(Int)
    /// Text that is not a context length such as `131072`, `128K` or `1M`.
    case invalidContext(String)
    /// A context range that is not `FROM..TO` with FROM ≤ TO.
    case invalidContextRange(String)
    /// A number of curve points outside `1...100_000`.
    case invalidPointCount(Int)
    /// A storage format the model's attention design does not have.
    case unsupportedFormat(model: String, design: String, option: String)
    /// An option the model's attention design does not have.
    case unsupportedOption(model: String, design: String, option: String, reason: String)

    public var description: String {
        switch self {
        case .contextOutOfRange(let n):
            return "context must be in 1...1099511627776 (2^40) tokens, got \(n)"
        case .batchSizeOutOfRange(let b):
            return "batch size must be at least 1, got \(b)"
        case .invalidContext(let text):
            return "invalid context '\(text)': expected a positive token count such as 131072, 128K or 1M"
        case .invalidContextRange(let text):
            return "invalid context range '\(text)': expected FROM..TO such as 1K..1M, with FROM <= TO"
        case .invalidPointCount(let p):
            return "number of points must be in 1...100000, got \(p)"
        case .unsupportedFormat(let model, let design, let option):
            return "model '\(model)' (\(design) attention) has no lightning indexer, so \(option) does not apply"
        case .unsupportedOption(let model, let design, let option, let reason):
            return "model '\(model)' (\(design) attention) cannot use \(option): \(reason)"
        }
    }
}
