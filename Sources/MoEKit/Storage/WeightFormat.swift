//===--- WeightFormat.swift - How model weights are stored ----------------===//
//
// Byte costs of the weight formats MoE models ship in, scale overhead included.
//
//===----------------------------------------------------------------------===//

/// A storage format for weight matrices, with its per-block scale overhead.
///
/// Bytes per parameter, scales included (`bytesPerParameter`):
///
/// | format | layout | bytes per parameter |
/// |---|---|---|
/// | `bf16` | 2 B per element | 2 |
/// | `fp8` | e4m3, one fp32 scale per 128 × 128 block (DeepSeek / Kimi checkpoints) | 1 + 4/16384 |
/// | `int8` | symmetric int8 with one fp32 scale per output channel (W8A8; CloudMatrix-Infer's DeepSeek-R1); the scales are `4/h` B, counted as 0 | 1 |
/// | `mxfp4` | e2m1, one UE8M0 (1 B) scale per 32 elements (OCP MX v1.0; gpt-oss, DeepSeek-V4 experts) | 0.5 + 1/32 = 0.53125 |
/// | `nvfp4` | e2m1, one e4m3 (1 B) scale per 16 elements (NVIDIA NVFP4; the per-tensor fp32 scale is ignored) | 0.5 + 1/16 = 0.5625 |
/// | `int4(groupSize: g)` | symmetric int4, one BF16 scale per `g` elements (compressed-tensors `pack-quantized`) | 0.5 + 2/g (g = 32: 0.5625) |
///
/// Sources: block size 128 × 128 from `quantization_config.weight_block_size` of the
/// `deepseek-ai/DeepSeek-V3` config.json; group size 16 for NVFP4 and 32 for Kimi INT4 from the
/// `quantization_config` in the Hugging Face config.json of `nvidia/Kimi-K2.6-NVFP4` and of
/// `moonshotai/Kimi-K2.5`; MXFP4's 32-element UE8M0 blocks from the OCP Microscaling Formats v1.0
/// specification.
public enum WeightFormat: Hashable, Sendable, CustomStringConvertible {
    /// bfloat16, 2 bytes per parameter.
    case bf16
    /// FP8 e4m3 with one fp32 scale per 128 × 128 block.
    case fp8
    /// INT8 with per-channel scales (W8A8 deployments).
    case int8
    /// OCP MXFP4: FP4 e2m1 with one UE8M0 scale per 32 elements.
    case mxfp4
    /// NVIDIA NVFP4: FP4 e2m1 with one FP8 e4m3 scale per 16 elements.
    case nvfp4
    /// Symmetric INT4 with one BF16 scale per `groupSize` elements.
    case int4(groupSize: Int)

    /// Storage bytes per parameter, block scales included.
    public var bytesPerParameter: Double {
        switch self {
        case .bf16: return 2
        case .fp8: return 1 + 4.0 / (128 * 128)
        case .int8: return 1
        case .mxfp4: return 0.5 + 1.0 / 32
        case .nvfp4: return 0.5 + 1.0 / 16
        case .int4(let g): return 0.5 + 2.0 / Double(g)
        }
    }

    /// The name used on the command line and in JSON (`bf16`, `fp8`, `int8`, `mxfp4`, `nvfp4`, `int4`,
    /// or `int4-g64` for a group size other than 32).
    public var description: String {
        switch self {
        case .bf16: return "bf16"
        case .fp8: return "fp8"
        case .int8: return "int8"
        case .mxfp4: return "mxfp4"
        case .nvfp4: return "nvfp4"
        case .int4(let g): return g == 32 ? "int4" : "int4-g\(g)"
        }
    }

    /// Parses a name written by ``description``; `fp4` is accepted as `mxfp4`.
    public init?(name: String) {
        switch name.lowercased() {
        case "bf16": self = .bf16
        case "fp8": self = .fp8
        case "int8": self = .int8
        case "mxfp4", "fp4": self = .mxfp4
        case "nvfp4": self = .nvfp4
        case "int4": self = .int4(groupSize: 32)
        default:
            let lower = name.lowercased()
            guard lower.hasPrefix("int4-g"), let g = Int(lower.dropFirst(6)), g > 0 else { return nil }
            self = .int4(groupSize: g)
        }
    }
}

/// Where each weight format applies in a model.
///
/// MoE checkpoints usually quantize the routed experts harder than the rest: DeepSeek-V4 ships
/// "FP4 + FP8 Mixed" (FP4 experts, FP8 elsewhere; the DeepSeek-V4 model cards), gpt-oss MXFP4
/// experts with BF16 attention (`quantization_config.modules_to_not_convert`), Kimi K2.5/K2.6 INT4
/// experts with BF16 attention, shared experts and dense layers (the `ignore` list of its config).
public struct WeightPrecision: Hashable, Sendable, CustomStringConvertible {
    /// Format of everything except the routed experts: embedding, attention, dense FFN, shared
    /// experts, router, output head.
    public var dense: WeightFormat
    /// Format of the routed experts.
    public var experts: WeightFormat

    /// `dense` for everything but the routed experts, `experts` for those.
    public init(dense: WeightFormat, experts: WeightFormat) {
        self.dense = dense
        self.experts = experts
    }

    /// One format everywhere.
    public init(_ format: WeightFormat) { self.init(dense: format, experts: format) }

    /// `fp8` when uniform, otherwise `fp8+mxfp4-experts`.
    public var description: String {
        dense == experts ? dense.description : "\(dense)+\(experts)-experts"
    }
}
