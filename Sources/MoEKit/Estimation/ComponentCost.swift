//===--- ComponentCost.swift - Quantities split by model component --------===//

/// A quantity (parameters, FLOPs or bytes) split by the model component it belongs to.
public struct ComponentBreakdown<Value: AdditiveArithmetic & Hashable & Sendable>: Hashable, Sendable {
    /// Input embedding table (`vocab · h`; for costs, the rows looked up: bytes only, no FLOPs).
    public var embedding: Value = .zero
    /// Attention of all layers: projections, compressors, indexers, norms, sinks.
    public var attention: Value = .zero
    /// Dense FFN layers.
    public var denseFFN: Value = .zero
    /// Routed experts.
    public var routedExperts: Value = .zero
    /// Shared experts.
    public var sharedExperts: Value = .zero
    /// Routers (and their biases).
    public var router: Value = .zero
    /// Output head (`vocab · h`; 0 when tied to the embedding).
    public var outputHead: Value = .zero
    /// DeepSeek-V4 hyper-connection mixing matrices (a model; see ``ModelSpec/parameterCount``).
    public var hyperConnections: Value = .zero

    /// All components zero.
    public init() {}

    /// Sum of all components.
    public var total: Value {
        embedding + attention + denseFFN + routedExperts + sharedExperts + router + outputHead + hyperConnections
    }

    /// `(name, value)` pairs in a fixed order (the JSON keys).
    public var components: [(name: String, value: Value)] {
        [("embedding", embedding), ("attention", attention), ("dense_ffn", denseFFN),
         ("routed_experts", routedExperts), ("shared_experts", sharedExperts), ("router", router),
         ("output_head", outputHead), ("hyper_connections", hyperConnections)]
    }
}

/// FLOPs or bytes split by the component that incurs them.
public typealias ComponentCost = ComponentBreakdown<Double>

extension ComponentBreakdown where Value == Double {
    /// Every component multiplied by `factor`.
    public func scaled(by factor: Double) -> ComponentBreakdown {
        var c = self
        c.embedding *= factor; c.attention *= factor; c.denseFFN *= factor; c.routedExperts *= factor
        c.sharedExperts *= factor; c.router *= factor; c.outputHead *= factor; c.hyperConnections *= factor
        return c
    }
}
