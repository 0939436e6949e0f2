//===--- RoutingError.swift - Why a router refused its input --------------===//

/// An error that names exactly what is wrong with a router configuration or its input.
public enum RoutingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The number of experts is below 1.
    case invalidExpertCount(Int)
    /// Top-k is not in `1...experts`.
    case invalidTopK(Int, experts: Int)
    /// `n_group` does not divide the number of experts.
    case groupsDoNotDivideExperts(groups: Int, experts: Int)
    /// `topk_group` is not in `1...n_group`.
    case invalidKeptGroups(Int, groups: Int)
    /// Top-k is larger than the number of experts in the kept groups.
    case topKExceedsKeptExperts(Int, keptExperts: Int)
    /// A numeric parameter is out of range.
    case invalidParameter(String, Double)
    /// The weighting cannot apply to these scores.
    case invalidWeighting(String)
    /// A buffer holds the wrong number of elements.
    case bufferSizeMismatch(buffer: String, expected: Int, actual: Int)
    /// A buffer's element count is not a whole number of rows.
    case raggedBuffer(buffer: String, count: Int, rowLength: Int)
    /// A logit is NaN or infinite.
    case nonFiniteLogit(token: Int, expert: Int, value: Float)
    /// Finite logits gave a token a NaN or infinite weight: its chosen scores sum to 0 with no
    /// normalization epsilon, or the scaling factor overflows them.
    case nonFiniteWeights(token: Int)
    /// A correction-bias entry is NaN or infinite.
    case nonFiniteBias(expert: Int, value: Float)
    /// A hidden-state or gate-weight value is NaN or infinite.
    case nonFiniteInput(buffer: String, index: Int, value: Float)
    /// No router alias or model preset has this name.
    case unknownPreset(String, suggestion: String?)
    /// The model preset has no router: it is dense, or the bundled presets cannot be read.
    case noRouter(model: String, reason: String)
    /// A buffer sized from the input would not fit in the available memory; nothing was allocated.
    case insufficientMemory(InsufficientMemory)

    /// One line; text echoed from an input is escaped (``PrintableText/escaping(_:)``).
    public var description: String { PrintableText.escaping(text) }

    private var text: String {
        switch self {
        case .invalidExpertCount(let e):
            return "number of experts must be in 1...\(RouterConfiguration.maximumExperts), got \(e)"
        case .invalidTopK(let k, let e):
            return "top-k must be in 1...\(e) (the number of experts), got \(k)"
        case .groupsDoNotDivideExperts(let g, let e):
            return "n_group \(g) does not divide the \(e) experts"
        case .invalidKeptGroups(let kept, let g):
            return "topk_group must be in 1...\(g) (n_group), got \(kept)"
        case .topKExceedsKeptExperts(let k, let kept):
            return "top-k \(k) is larger than the \(kept) experts in the kept groups"
        case .invalidParameter(let name, let value):
            return "\(name) must be finite and non-negative, got \(value)"
        case .invalidWeighting(let why):
            return why
        case .bufferSizeMismatch(let name, let expected, let actual):
            return "\(name) must hold \(expected) elements, got \(actual)"
        case .raggedBuffer(let name, let count, let row):
            return "\(name) holds \(count) values, not a whole number of rows of \(row)"
        case .nonFiniteLogit(let t, let e, let v):
            return "logit of token \(t), expert \(e) is \(v); logits must be finite"
        case .nonFiniteWeights(let t):
            return "routing weights of token \(t) are not finite: its chosen scores sum to 0 with no normalization epsilon, or the scaling factor overflows them"
        case .nonFiniteBias(let e, let v):
            return "correction bias of expert \(e) is \(v); the bias must be finite"
        case .nonFiniteInput(let name, let i, let v):
            return "\(name) element \(i) is \(v); inputs must be finite"
        case .unknownPreset(let name, let suggestion):
            let known = RouterConfiguration.presetNames.joined(separator: ", ")
            if let suggestion { return "unknown preset '\(name)'; did you mean '\(suggestion)'? (known: \(known), or any model preset)" }
            return "unknown preset '\(name)' (known: \(known), or any model preset)"
        case .noRouter(let model, let reason):
            return "model '\(model)' has no router: \(reason)"
        case .insufficientMemory(let e):
            return e.description
        }
    }
}
