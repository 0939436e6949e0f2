//===--- Router.swift - A validated router with its correction bias -------===//

/// A top-k router ready to run: a validated ``RouterConfiguration`` plus the optional
/// selection-only correction bias `[E]`.
///
/// Shapes: `T` tokens, `E` = `configuration.experts`, `k` = `configuration.topK`.
///
/// - Routing from logits `[T, E]` (row-major float32) writes expert indices `[T, k]` (Int32)
///   and weights `[T, k]` (float32); see ``route(logits:indices:weights:threads:)``.
/// - Each output row lists the chosen experts by descending selection key
///   (`score + bias`); equal keys are ordered by ascending expert index, and the lower index
///   wins a tie for the last place. Groups with equal group scores: the lower group wins.
/// - NaN policy: a NaN or infinite logit or bias is an error
///   (``RoutingError/nonFiniteLogit(token:expert:value:)``), never a silent result.
///
/// Against the Hugging Face reference code of each family, for identical float32 logits the
/// chosen index sets are equal outside exact ties (where the rule above decides) and the
/// weights agree within 1e-6 relative. Experts outside the kept groups are never chosen, as
/// in transformers 5, which masks them with -inf (transformers 4.x and the original V2/V3
/// hub code mask with 0.0, which differs when fewer than k keys in the kept groups are
/// above zero).
public struct Router: Sendable {
    /// What the router computes.
    public let configuration: RouterConfiguration
    /// The selection-only correction bias `[E]`, or `nil` for none.
    public let correctionBias: [Float]?

    /// Creates a router.
    ///
    /// - Parameters:
    ///   - configuration: What the router computes.
    ///   - correctionBias: Optional bias `[E]` added to the scores for selection only.
    /// - Throws: ``RoutingError`` if the configuration is invalid, the bias does not hold
    ///   `E` values or holds a NaN or infinite value.
    public init(_ configuration: RouterConfiguration, correctionBias: [Float]? = nil) throws(RoutingError) {
        try configuration.validate()
        if let bias = correctionBias {
            guard bias.count == configuration.experts else {
                throw .bufferSizeMismatch(
                    buffer: "correction bias", expected: configuration.experts, actual: bias.count)
            }
            if let bad = bias.firstIndex(where: { !$0.isFinite }) {
                throw .nonFiniteBias(expert: bad, value: bias[bad])
            }
        }
        self.configuration = configuration
        self.correctionBias = correctionBias
    }
}

/// The result of routing `T` tokens: expert indices and weights, each `[T, k]` row-major.
public struct RoutingResult: Hashable, Sendable {
    /// Number of tokens, `T`.
    public var tokens: Int
    /// Experts per token, `k`.
    public var topK: Int
    /// Expert indices `[T, k]`, each row in descending key order (ties: lower index first).
    public var indices: [Int32]
    /// Routing weights `[T, k]`, aligned with ``indices``.
    public var weights: [Float]

    public init(tokens: Int, topK: Int, indices: [Int32], weights: [Float]) {
        self.tokens = tokens
        self.topK = topK
        self.indices = indices
        self.weights = weights
    }

    /// The experts chosen for token `t`.
    public func experts(ofToken t: Int) -> ArraySlice<Int32> {
        indices[(t * topK)..<((t + 1) * topK)]
    }

    /// The weights of token `t`'s chosen experts.
    public func weights(ofToken t: Int) -> ArraySlice<Float> {
        weights[(t * topK)..<((t + 1) * topK)]
    }
}

extension Router {
    /// The number of tokens `T` of logits `[T, E]` routed into indices and weights `[T, k]`.
    ///
    /// - Throws: ``RoutingError/raggedBuffer(buffer:count:rowLength:)`` when the logits are not
    ///   whole rows, ``RoutingError/bufferSizeMismatch(buffer:expected:actual:)`` when an output
    ///   does not hold `T · k` entries.
    static func tokenCount(logits: Int, indices: Int, weights: Int, experts: Int, topK k: Int) throws(RoutingError) -> Int {
        guard logits % experts == 0 else {
            throw .raggedBuffer(buffer: "logits", count: logits, rowLength: experts)
        }
        let tokens = logits / experts
        guard indices == tokens * k else {
            throw .bufferSizeMismatch(buffer: "indices", expected: tokens * k, actual: indices)
        }
        guard weights == tokens * k else {
            throw .bufferSizeMismatch(buffer: "weights", expected: tokens * k, actual: weights)
        }
        return tokens
    }
}
