//===--- MoELayerError.swift - Why an MoE layer refused its input ---------===//


/// An error that names what is wrong with an MoE layer, its weights or its input.
public enum MoELayerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A size (hidden, intermediate, experts, tokens, ...) is out of range.
    case invalidSize(String, Int)
    /// A buffer holds the wrong number of elements.
    case bufferSizeMismatch(buffer: String, expected: Int, actual: Int)
    /// Two parts of the layer disagree (for example the router's experts and the experts').
    case inconsistent(String)
    /// A size or a product of sizes is beyond what the layer's buffers and BLAS calls address.
    case tooLarge(String)
    /// The layer and its buffers (`memory`) would need more than the `available` bytes.
    case insufficientMemory(MoELayerShape.Memory, available: Int)
    /// The routing step failed.
    case routing(RoutingError)
    /// The dispatch or combine step failed.
    case dispatch(DispatchError)

    public var description: String {
        switch self {
        case .invalidSize(let name, let value):
            return "\(name) must be at least 1, got \(value)"
        case .bufferSizeMismatch(let name, let expected, let actual):
            return "\(name) must hold \(expected) elements, got \(actual)"
        case .inconsistent(let why):
            return why
        case .tooLarge(let what):
            return what
        case .insufficientMemory(let m, let available):
            return "the layer needs \(formatBytes(m.total)) (routed experts \(formatBytes(m.routedWeights)), shared experts \(formatBytes(m.sharedWeights)), router \(formatBytes(m.routerWeights)), buffers \(formatBytes(m.buffers))) but \(formatBytes(Double(available))) of memory is available"
        case .routing(let e):
            return e.description
        case .dispatch(let e):
            return e.description
        }
    }
}
