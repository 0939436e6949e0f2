//===--- RecurrentStateFormat.swift - How a linear layer's state is stored ===//
//
// The recurrent state of Gated DeltaNet and KDA layers. vLLM keeps it in the dtype named by the
// model config's `mamba_ssm_dtype` (Qwen3.5's config.json: "float32"); without that key MoEKit
// assumes fp32, the dtype of the fla chunked kernels' final state
// (`fla-org/flash-linear-attention`, `chunk_gated_delta_rule(..., output_final_state=True)`).
//
//===----------------------------------------------------------------------===//

/// The storage format of a linear-attention layer's recurrent state `[n_v, d_k, d_v]`.
///
/// The short-convolution state (the last `K − 1` inputs of the convolution channels) is kept
/// in the activation dtype, BF16, whatever this format is.
public enum RecurrentStateFormat: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// 4 bytes per element.
    case fp32
    /// 2 bytes per element.
    case bf16
    /// 2 bytes per element.
    case fp16

    /// Bytes per state element.
    public var bytesPerElement: Int { self == .fp32 ? 4 : 2 }

    /// The format a config's `mamba_ssm_dtype` names (`float32`, `bfloat16`, `float16`, with or
    /// without a `torch.` prefix), or `nil` for any other text.
    public init?(configDType text: String) {
        switch text.hasPrefix("torch.") ? String(text.dropFirst(6)) : text {
        case "float32", "fp32": self = .fp32
        case "bfloat16", "bf16": self = .bf16
        case "float16", "fp16", "half": self = .fp16
        default: return nil
        }
    }

    /// The format's name (`fp32`, `bf16`, `fp16`).
    public var description: String { rawValue }
}
