//===--- ComponentCost.swift - A cost split by model component ------------===//

/// FLOPs or bytes split by the component that incurs them.
public struct ComponentCost: Hashable, Sendable {
    /// Embedding rows looked up (bytes only; a lookup has no FLOPs).
    public var embedding: Double = 0
    /// Attention projections, compressors and indexer projections.
    public var attention: Double = 0
    /// Dense FFN layers.
    public var denseFFN: Double = 0
    /// Routed experts.
    public var routedExperts: Double = 0
    /// Shared experts.
    public var sharedExperts: Double = 0
    /// Routers.
    public var router: Double = 0
    /// Output head.
    public var outputHead: Double = 0
    /// DeepSeek-V4 hyper-connection mixers.
    public var hyperConnections: Double = 0

    /// All components zero.
    public init() {}

    /// Sum of all components.
    public var total: Double {
        embedding + attention + denseFFN + routedExperts + sharedExperts + router + outputHead + hyperConnections
    }

    /// `(name, value)` pairs in a fixed order (JSON keys).
    public var components: [(name: String, value: Double)] {
        [("embedding", embedding), ("attention", attention), ("dense_ffn", denseFFN),
         ("routed_experts", routedExperts), ("shared_experts", sharedExperts), ("router", router),
         ("output_head", outputHead), ("hyper_connections", hyperConnections)]
    }

    /// Every component multiplied by `factor`.
    public func scaled(by factor: Double) -> ComponentCost {
        var c = self
        c.embedding *= factor; c.attention *= factor; c.denseFFN *= factor; c.routedExperts *= factor
        c.sharedExperts *= factor; c.router *= factor; c.outputHead *= factor; c.hyperConnections *= factor
        return c
    }
}
