//===--- MoELayerError.swift - Why an MoE layer refused its input ---------===//

import Foundation

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
    /// The layer and its buffers would need more memory than is available (bytes).
    case insufficientMemory(required: Double, available: Int, breakdown: String)
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
        case .insufficientMemory(let required, let available, let breakdown):
            return "the layer needs \(formatBytes(required)) (\(breakdown)) but \(formatBytes(Double(available))) of memory is available"
        case .routing(let e):
            return e.description
        case .dispatch(let e):
            return e.description
        }
    }
}

/// Bytes in decimal units with three significant digits: `67.6 GB`.
func formatBytes(_ bytes: Double) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
    var value = bytes, unit = 0
    while value >= 999.5 && unit < units.count - 1 { value /= 1000; unit += 1 }
    if unit == 0 { return "\(Int(bytes)) B" }
    let digits = value >= 99.95 ? 0 : value >= 9.995 ? 1 : 2
    return String(format: "%.\(digits)f %@", value, units[unit])
}
