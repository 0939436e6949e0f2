//===--- RouterCostProjection.swift - The router's cost on an accelerator ===//
//
// What `moebench` measures on the CPU (router GEMM + top-k routing of one MoE layer), projected
// onto an accelerator with the same roofline terms as the step model.
//
//===----------------------------------------------------------------------===//

/// The router of one MoE layer (`[T, d] · [E, d]ᵀ` GEMM, then top-`k` routing of the `[T, E]`
/// logits) for `tokens` tokens on one device.
public struct RouterCost: Hashable, Sendable {
    /// Tokens routed together, `T`.
    public var tokens: Int
    /// Seconds of the router GEMM.
    public var gemmSeconds: Double
    /// Seconds of the routing kernel.
    public var routingSeconds: Double
    /// Router seconds per token for one layer.
    public var secondsPerToken: Double { (gemmSeconds + routingSeconds) / Double(tokens) }

    /// Projects the router of `experts` experts, `topK` per token, hidden size `hiddenSize`,
    /// on `accelerator` for `tokens` tokens per device.
    ///
    /// - GEMM: `2·T·E·d` FLOPs at the BF16 peak × compute efficiency, or the bytes of the BF16
    ///   gate `E·d·2`, the BF16 hidden states `T·d·2` and the FP32 logits `T·E·4` at the HBM
    ///   bandwidth × memory efficiency, whichever is slower, plus one kernel launch.
    /// - Routing: memory-bound, reading the logits and writing `T·k` indices and weights
    ///   (`T·k·8` bytes), plus one kernel launch.
    public init(experts: Int, topK: Int, hiddenSize: Int, tokens: Int, accelerator a: Accelerator) {
        let t = Double(tokens), e = Double(experts), d = Double(hiddenSize), k = Double(topK)
        let rate = a.peak(.bf16) * a.efficiency.compute(.bf16), bandwidth = a.hbmBandwidth * a.efficiency.memory
        let overhead = a.efficiency.kernelOverhead
        self.tokens = tokens
        gemmSeconds = Swift.max(2 * t * e * d / rate, (e * d * 2 + t * d * 2 + t * e * 4) / bandwidth) + overhead
        routingSeconds = (t * e * 4 + t * k * 8) / bandwidth + overhead
    }

    /// Dollars per million tokens for `layers` MoE layers at `pricePerHour` per device-hour.
    public func dollarsPerMillionTokens(layers: Int, pricePerHour: Double) -> Double {
        Self.dollarsPerMillionTokens(secondsPerToken: secondsPerToken, layers: layers, pricePerHour: pricePerHour)
    }

    /// Dollars per million tokens of a router that takes `secondsPerToken` per layer (measured
    /// or projected), for `layers` MoE layers at `pricePerHour`: `s · layers · price / 3600 · 10⁶`.
    public static func dollarsPerMillionTokens(secondsPerToken: Double, layers: Int, pricePerHour: Double) -> Double {
        secondsPerToken * Double(layers) * pricePerHour / 3600 * 1e6
    }
}
