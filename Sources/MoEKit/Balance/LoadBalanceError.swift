//===--- LoadBalanceError.swift - Why a load measurement refused its input -===//

/// An error that names exactly what is wrong with expert counts, routing indices, an expert
/// placement, a bias update or a synthetic workload.
public enum LoadBalanceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The number of experts is below 1.
    case invalidExpertCount(Int)
    /// Top-k is not in `1...experts`.
    case invalidTopK(Int, experts: Int)
    /// A token count is negative.
    case negativeTokens(Int)
    /// An expert's count is negative.
    case negativeCount(expert: Int, count: Int)
    /// An expert was chosen more often than there are tokens (a token chooses an expert once).
    case countExceedsTokens(expert: Int, count: Int, tokens: Int)
    /// The counts add up to more than the `tokens · topK` slots of the batch.
    case slotsExceedCapacity(slots: Int, tokens: Int, topK: Int)
    /// A count, token or slot total does not fit in `Int`.
    case overflow(String)
    /// The routing indices are not a whole number of rows of `topK`.
    case raggedIndices(count: Int, topK: Int)
    /// A routing index is outside `0..<experts`.
    case indexOutOfRange(token: Int, slot: Int, value: Int32, experts: Int)
    /// A token lists the same expert in two of its slots.
    case duplicateExpert(token: Int, expert: Int)
    /// The number of expert-parallel ranks is below 1.
    case invalidRankCount(Int)
    /// The ranks cannot each host the same number of experts.
    case ranksDoNotDivideExperts(ranks: Int, experts: Int)
    /// A placement puts an expert on a rank outside `0..<ranks`.
    case rankOutOfRange(expert: Int, rank: Int, ranks: Int)
    /// An array holds the wrong number of elements.
    case sizeMismatch(String, expected: Int, actual: Int)
    /// A batch chooses a different number of experts per token than the batches before it.
    case topKMismatch(expected: Int, actual: Int)
    /// The bias update rate is negative, NaN or infinite.
    case invalidRate(Float)
    /// A bias entry is NaN or infinite.
    case nonFiniteBias(expert: Int, value: Float)
    /// The popularity exponent of a synthetic workload is negative, non-finite or too large.
    case invalidSkew(Double)
    /// A buffer sized from the input would not fit in the available memory; nothing was allocated.
    case insufficientMemory(InsufficientMemory)

    public var description: String {
        switch self {
        case .invalidExpertCount(let e):
            return "number of experts must be in 1...\(RouterConfiguration.maximumExperts), got \(e)"
        case .invalidTopK(let k, let e):
            return "top-k must be in 1...\(e) (the number of experts), got \(k)"
        case .negativeTokens(let t):
            return "token count must not be negative, got \(t)"
        case .negativeCount(let e, let c):
            return "count of expert \(e) is \(c); counts must not be negative"
        case .countExceedsTokens(let e, let c, let t):
            return "expert \(e) was chosen \(c) times, more than the \(t) tokens (a token chooses an expert at most once)"
        case .slotsExceedCapacity(let s, let t, let k):
            return "counts add up to \(s), more than the \(t) tokens × top-k \(k) = \(t * k) slots"
        case .overflow(let what):
            return "\(what) does not fit in a 64-bit integer"
        case .raggedIndices(let count, let k):
            return "indices hold \(count) values, not a whole number of rows of top-k \(k)"
        case .indexOutOfRange(let t, let j, let v, let e):
            return "index of token \(t), slot \(j) is \(v), outside the experts 0..<\(e)"
        case .duplicateExpert(let t, let e):
            return "token \(t) lists expert \(e) twice; a token's top-k experts must be distinct"
        case .invalidRankCount(let r):
            return "number of expert-parallel ranks must be at least 1, got \(r)"
        case .ranksDoNotDivideExperts(let r, let e):
            return "\(r) expert-parallel ranks do not divide the \(e) experts"
        case .rankOutOfRange(let e, let r, let ranks):
            return "expert \(e) is placed on rank \(r), outside the ranks 0..<\(ranks)"
        case .sizeMismatch(let what, let expected, let actual):
            return "\(what) must hold \(expected) elements, got \(actual)"
        case .topKMismatch(let expected, let actual):
            return "batch chooses \(actual) experts per token, but the accumulated batches choose \(expected)"
        case .invalidRate(let rate):
            return "bias update rate must be finite and non-negative, got \(rate)"
        case .nonFiniteBias(let e, let v):
            return "bias of expert \(e) is \(v); the bias must be finite"
        case .invalidSkew(let s):
            return "popularity skew must be finite and in 0...\(Int(SyntheticLogits.maximumSkew)), got \(s)"
        case .insufficientMemory(let e):
            return e.description
        }
    }
}
