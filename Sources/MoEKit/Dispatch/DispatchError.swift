//===--- DispatchError.swift - Why dispatch or combine refused its input --===//

/// An error that names exactly what is wrong with a dispatch or combine request.
public enum DispatchError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The number of experts is below 1.
    case invalidExpertCount(Int)
    /// Top-k is below 1.
    case invalidTopK(Int)
    /// The block size is below 1.
    case invalidBlockSize(Int)
    /// The capacity factor is not a finite number above 0.
    case invalidCapacityFactor(Double)
    /// An expert index is outside `0..<experts`.
    case expertOutOfRange(token: Int, slot: Int, expert: Int32, experts: Int)
    /// The index buffer is not a whole number of rows of `k`.
    case raggedIndices(count: Int, topK: Int)
    /// The batch has more slots (`T·k`, plus padding) than 32-bit positions can address.
    case tooManySlots(Int)
    /// A buffer holds the wrong number of elements.
    case bufferSizeMismatch(buffer: String, expected: Int, actual: Int)
    /// The hidden size is below 1.
    case invalidHiddenSize(Int)
    /// A buffer of `rows × hiddenSize` elements would not be addressable.
    case bufferTooLarge(buffer: String, rows: Int, hiddenSize: Int)

    public var description: String {
        switch self {
        case .invalidExpertCount(let e):
            return "number of experts must be in 1...\(RouterConfiguration.maximumExperts), got \(e)"
        case .invalidTopK(let k):
            return "top-k must be at least 1, got \(k)"
        case .invalidBlockSize(let b):
            return "block size must be at least 1, got \(b)"
        case .invalidCapacityFactor(let f):
            return "capacity factor must be finite and above 0, got \(f)"
        case .expertOutOfRange(let t, let j, let e, let experts):
            return "expert index \(e) of token \(t), slot \(j) is outside 0..<\(experts)"
        case .raggedIndices(let count, let k):
            return "expert indices hold \(count) values, not a whole number of rows of top-k \(k)"
        case .tooManySlots(let n):
            return "the batch needs \(n) dispatch slots, more than the 2147483647 that Int32 positions address"
        case .bufferSizeMismatch(let name, let expected, let actual):
            return "\(name) must hold \(expected) elements, got \(actual)"
        case .invalidHiddenSize(let d):
            return "hidden size must be at least 1, got \(d)"
        case .bufferTooLarge(let name, let rows, let d):
            return "\(name) of \(rows) rows × hidden size \(d) would be too large to address"
        }
    }
}
