//===--- ServingError.swift - Why a projection was refused ----------------===//

/// An error that names the deployment value or accelerator field a projection cannot use.
public enum ServingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A value outside its range.
    case outOfRange(field: String, value: String, expected: String)
    /// Tensor- or expert-parallel size that does not divide the devices.
    case notDivisible(field: String, value: Int, devices: Int)
    /// More EP ranks than expert replicas.
    case tooManyExpertRanks(ep: Int, experts: Int, redundant: Int)
    /// A measured expert load for a different number of experts.
    case expertLoadMismatch(counts: Int, experts: Int)
    /// A measured expert load whose selections per token are not the model's `k`.
    case expertLoadSelections(perToken: Double, topK: Int)
    /// An expert setting for a model without routed experts.
    case notMixtureOfExperts(model: String, setting: String)
    /// Traffic must leave the scale-up domain but the accelerator has no scale-out link.
    case noScaleOut(accelerator: String, devices: Int, domain: Int)
    /// The model's estimates were refused.
    case estimation(EstimationError)

    public var description: String {
        switch self {
        case .outOfRange(let field, let value, let expected):
            return "\(field) must be in \(expected), got \(value)"
        case .notDivisible(let field, let value, let devices):
            return "\(field) size \(value) must be at least 1 and divide the \(devices) devices"
        case .tooManyExpertRanks(let ep, let experts, let redundant):
            return "expert parallel size \(ep) is larger than the \(experts) routed experts plus \(redundant) redundant ones"
        case .expertLoadMismatch(let counts, let experts):
            return "the expert load has \(counts) experts but the model has \(experts)"
        case .expertLoadSelections(let perToken, let topK):
            return "the expert load has \(perToken) selections per token (its counts over its tokens) but the model routes each token to \(topK) experts"
        case .notMixtureOfExperts(let model, let setting):
            return "model '\(model)' has no routed experts, so \(setting) does not apply"
        case .noScaleOut(let accelerator, let devices, let domain):
            return "accelerator '\(accelerator)' has no scale-out link, so \(devices) devices cannot go beyond its scale-up domain of \(domain)"
        case .estimation(let e):
            return e.description
        }
    }
}
