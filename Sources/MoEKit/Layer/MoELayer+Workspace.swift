//===--- MoELayer+Workspace.swift - Buffers for a layer's forward pass -----===//

extension MoELayer {
    /// The buffers one forward pass needs, allocated once for batches of up to ``capacity``
    /// tokens, so that repeated forward passes allocate nothing. It also keeps the last
    /// pass's routing and dispatch for inspection.
    ///
    /// Not thread-safe: give each concurrent caller its own workspace.
    public final class Workspace {
        /// The largest batch, in tokens.
        public let capacity: Int
        let hiddenSize: Int, experts: Int, topK: Int, intermediateSize: Int, sharedWidth: Int
        let logits: UnsafeMutableBufferPointer<Float>
        let indices: UnsafeMutableBufferPointer<Int32>
        let weights: UnsafeMutableBufferPointer<Float>
        /// Gathered inputs `[rows, d]`, gate/up outputs `[rows, 2I]`, activations `[rows, I]`
        /// and expert outputs `[rows, d]`, for up to `T·k + E·(block − 1)` rows.
        let rows: UnsafeMutableBufferPointer<Float>
        let gateUp: UnsafeMutableBufferPointer<Float>
        let activations: UnsafeMutableBufferPointer<Float>
        let expertOutputs: UnsafeMutableBufferPointer<Float>
        /// Shared block: gate/up `[T, 2I_s]`, activations `[T, I_s]`, output `[T, d]` (empty
        /// without shared experts).
        let sharedGateUp: UnsafeMutableBufferPointer<Float>
        let sharedActivations: UnsafeMutableBufferPointer<Float>
        let sharedOutput: UnsafeMutableBufferPointer<Float>
        /// The dispatch of the last forward pass.
        public internal(set) var plan: DispatchPlan
        /// Tokens of the last forward pass.
        public internal(set) var tokens = 0

        /// Allocates the buffers of `layer` for batches of up to `capacity` tokens
        /// (``MoELayerShape/memory(tokens:options:)`` gives their size).
        ///
        /// - Throws: ``MoELayerError/invalidSize(_:_:)`` if `capacity` is below 1.
        public init(layer: MoELayer, capacity: Int) throws(MoELayerError) {
            guard capacity >= 1 else { throw .invalidSize("workspace capacity (tokens)", capacity) }
            let (d, e, k) = (layer.experts.hiddenSize, layer.experts.count, layer.router.configuration.topK)
            let i = layer.experts.intermediateSize, s = layer.sharedExperts?.intermediateSize ?? 0
            // Every buffer's element count, checked before anything is allocated.
            let rowCount = Double(capacity) * Double(k) + Double(e) * Double(layer.dispatchOptions.blockSize - 1)
            let largest = max(rowCount * Double(max(d, 2 * i)), Double(capacity) * Double(max(e, d, 2 * s)))
            guard largest < 0x1p40, rowCount <= Double(Int32.max) else {
                throw .tooLarge("a workspace for \(capacity) tokens would need a buffer of \(formatBytes(4 * largest))")
            }
            let maxRows = Int(rowCount)
            do { plan = try DispatchPlan(experts: e, options: layer.dispatchOptions) } catch { throw .dispatch(error) }
            self.capacity = capacity
            (hiddenSize, experts, topK, intermediateSize, sharedWidth) = (d, e, k, i, s)
            logits = .allocate(capacity: capacity * e)
            indices = .allocate(capacity: capacity * k)
            weights = .allocate(capacity: capacity * k)
            rows = .allocate(capacity: maxRows * d)
            gateUp = .allocate(capacity: maxRows * 2 * i)
            activations = .allocate(capacity: maxRows * i)
            expertOutputs = .allocate(capacity: maxRows * d)
            sharedGateUp = .allocate(capacity: capacity * 2 * s)
            sharedActivations = .allocate(capacity: capacity * s)
            sharedOutput = .allocate(capacity: s > 0 ? capacity * d : 0)
            // Touch every page now, so the first timed pass does not pay for page faults.
            for buffer in floatBuffers { buffer.initialize(repeating: 0) }
            indices.initialize(repeating: 0)
        }

        deinit {
            for buffer in floatBuffers { buffer.deallocate() }
            indices.deallocate()
        }

        /// Every float buffer, for initialisation and deallocation.
        private var floatBuffers: [UnsafeMutableBufferPointer<Float>] {
            [logits, weights, rows, gateUp, activations, expertOutputs, sharedGateUp, sharedActivations, sharedOutput]
        }

        /// The routing of the last forward pass: indices and weights `[T, k]`.
        public var routing: RoutingResult {
            RoutingResult(tokens: tokens, topK: topK, indices: Array(indices[0..<(tokens * topK)]),
                          weights: Array(weights[0..<(tokens * topK)]))
        }

        /// The router logits `[T, E]` of the last forward pass.
        public var lastLogits: [Float] { Array(logits[0..<(tokens * experts)]) }
    }
}
