//===--- MoELayer.swift - A Mixture-of-Experts layer that runs on the CPU --===//

/// A complete MoE feed-forward layer in float32: router GEMM, routing, dispatch, SwiGLU
/// experts on OpenBLAS (one GEMM per expert group), optional shared experts, and combine.
///
/// `[T, d]` in, `[T, d]` out:
/// `y[t] = Σ_j w[t, j] · expert_{i[t, j]}(x[t]) + shared(x[t])`, where `i` and `w` come from the
/// ``router`` on the logits `x · gateᵀ`, and each expert is `down(silu(gate(x)) · up(x))`.
/// The sum is in slot order, then the shared output is added (as DeepSeek's `moe_infer`
/// followed by `shared_experts`), so results are deterministic.
///
/// Under a capacity (``dispatchOptions``) a dropped slot contributes nothing; the residual
/// connection around the layer is the caller's.
public struct MoELayer: Sendable {
    /// Chooses the experts.
    public let router: Router
    /// The router's linear layer, gate `[E, d]`.
    public let gate: RouterGEMM
    /// The routed experts.
    public let experts: SwiGLUExperts
    /// The shared experts as one block, or `nil`.
    public let sharedExperts: SwiGLUExperts?
    /// Block padding and capacity of the dispatch.
    public let dispatchOptions: DispatchOptions

    /// Assembles a layer, checking that its parts agree.
    ///
    /// - Throws: ``MoELayerError/inconsistent(_:)`` when the router, gate and experts disagree
    ///   on `E` or `d`, or the shared block is not one expert; ``MoELayerError/dispatch(_:)``
    ///   for invalid dispatch options.
    public init(router: Router, gate: RouterGEMM, experts: SwiGLUExperts, sharedExperts: SwiGLUExperts? = nil,
                dispatchOptions: DispatchOptions = DispatchOptions()) throws(MoELayerError) {
        let e = router.configuration.experts
        guard gate.experts == e, experts.count == e else {
            throw .inconsistent("the router has \(e) experts, the gate \(gate.experts) and the expert weights \(experts.count)")
        }
        guard gate.hiddenSize == experts.hiddenSize else {
            throw .inconsistent("the gate has hidden size \(gate.hiddenSize) but the experts \(experts.hiddenSize)")
        }
        if let shared = sharedExperts {
            guard shared.count == 1 else { throw .inconsistent("shared experts must be packed as one block, got \(shared.count)") }
            guard shared.hiddenSize == experts.hiddenSize else {
                throw .inconsistent("the shared experts have hidden size \(shared.hiddenSize) but the routed experts \(experts.hiddenSize)")
            }
        }
        do { try dispatchOptions.validate() } catch { throw .dispatch(error) }
        self.router = router
        self.gate = gate
        self.experts = experts
        self.sharedExperts = sharedExperts
        self.dispatchOptions = dispatchOptions
    }

    /// A layer of `shape` with seeded random weights, for measurements: the gate uniform in
    /// `±3/sqrt(d)` (unit-variance logits for unit-variance inputs), a correction bias in
    /// `±0.05` when the router uses one, experts as ``SwiGLUExperts/random(experts:hiddenSize:intermediateSize:seed:)``.
    ///
    /// - Throws: ``MoELayerError`` for an invalid shape or a router whose `E` or `k` differ
    ///   from the shape's.
    public static func random(shape: MoELayerShape, router configuration: RouterConfiguration,
                              dispatchOptions: DispatchOptions = DispatchOptions(), seed: UInt64) throws(MoELayerError) -> MoELayer {
        try shape.validate()
        guard configuration.experts == shape.experts, configuration.topK == shape.topK else {
            throw .inconsistent("the router chooses \(configuration.topK) of \(configuration.experts) experts but the layer has top-\(shape.topK) of \(shape.experts)")
        }
        var g = SeededGenerator(seed: seed)
        let (e, d) = (shape.experts, shape.hiddenSize)
        do {
            let bias = configuration.usesCorrectionBias ? g.uniformFloats(count: e, scale: 0.05) : nil
            let router = try Router(configuration, correctionBias: bias)
            let gate = try RouterGEMM(gate: g.uniformFloats(count: e * d, scale: 3 / Float(d).squareRoot()),
                                      experts: e, hiddenSize: d)
            let experts = try SwiGLUExperts.random(experts: e, hiddenSize: d, intermediateSize: shape.intermediateSize,
                                                   seed: g.next())
            let shared = shape.sharedWidth > 0
                ? try SwiGLUExperts.random(experts: 1, hiddenSize: d, intermediateSize: shape.sharedWidth, seed: g.next())
                : nil
            return try MoELayer(router: router, gate: gate, experts: experts, sharedExperts: shared,
                                dispatchOptions: dispatchOptions)
        } catch let error as RoutingError {
            throw .routing(error)
        } catch let error as MoELayerError {
            throw error
        } catch {
            throw .inconsistent("\(error)")
        }
    }

    /// The layer's sizes.
    public var shape: MoELayerShape {
        MoELayerShape(hiddenSize: experts.hiddenSize, experts: experts.count, topK: router.configuration.topK,
                      intermediateSize: experts.intermediateSize, sharedExperts: sharedExperts == nil ? 0 : 1,
                      sharedIntermediateSize: sharedExperts?.intermediateSize ?? 0)
    }

    /// The steps of a forward pass, in order.
    public enum Stage: String, CaseIterable, Hashable, Sendable {
        /// Logits `[T, E]` = hidden · gateᵀ.
        case routerGEMM = "router-gemm"
        /// Scoring, bias, group limit, top-k and weights.
        case routing = "route"
        /// The counting sort of the `T·k` slots by expert.
        case dispatch
        /// Copying each slot's hidden state into expert order.
        case gather
        /// Every expert's gate and up projections, one GEMM per expert group.
        case gateUp = "gate-up"
        /// `silu(gate) · up`.
        case activation = "swiglu"
        /// Every expert's down projection.
        case down
        /// The shared experts on all tokens.
        case shared
        /// The weighted sum back into token order, plus the shared output.
        case combine

        /// The position in ``allCases`` (a linear search over nine cases; no hashing inside the timed region).
        var ordinal: Int { Self.allCases.firstIndex(of: self)! }
    }
}
