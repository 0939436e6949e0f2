//===--- RouterConfiguration+Presets.swift - Routers of real models -------===//
//
// Values from the models' own configs and reference code (Hugging Face transformers router
// modules, DeepSeek's `inference/model.py`):
//   deepseek-v3   deepseek-ai/DeepSeek-V3 inference/configs/config_671B.json; HF DeepseekV3TopkRouter
//   kimi-k2       moonshotai/Kimi-K2-Instruct config.json (n_group 1, topk_group 1, rsf 2.827)
//   deepseek-v2   DeepSeek-V3 inference/configs/config_236B.json; HF DeepseekV2TopkRouter
//   deepseek-v4-* deepseek-ai/DeepSeek-V4-{Flash,Pro} config.json; HF DeepseekV4TopKRouter
//   qwen3-moe     Qwen/Qwen3-235B-A22B config.json; HF Qwen3MoeTopKRouter
//   mixtral       mistralai/Mixtral-8x7B-v0.1 config.json; HF MixtralTopKRouter
//   gpt-oss       openai/gpt-oss gpt_oss/torch/model.py (120b); HF GptOssTopKRouter
//
//===----------------------------------------------------------------------===//

extension RouterConfiguration {
    /// The names accepted by ``preset(named:)``, in a stable order.
    public static let presetNames: [String] = [
        "deepseek-v3", "kimi-k2", "deepseek-v2", "deepseek-v4-flash", "deepseek-v4-pro",
        "qwen3-moe", "mixtral", "gpt-oss",
    ]

    /// DeepSeek-V3/R1: 256 experts, top-8, sigmoid + correction bias, 8 groups keep 4
    /// (group score = sum of the top 2 keys), renormalised with `+1e-20`, × 2.5.
    public static let deepSeekV3 = RouterConfiguration(
        experts: 256, topK: 8, scoring: .sigmoid, usesCorrectionBias: true,
        groupLimit: GroupLimit(groups: 8, keptGroups: 4, score: .topTwoSum),
        normalizesWeights: true, normalizationEpsilon: 1e-20, scalingFactor: 2.5)

    /// Kimi K2 / K2.5 / K2.6: 384 experts, top-8, sigmoid + correction bias, one group
    /// (no group limit), renormalised with `+1e-20`, × 2.827.
    public static let kimiK2 = RouterConfiguration(
        experts: 384, topK: 8, scoring: .sigmoid, usesCorrectionBias: true,
        normalizesWeights: true, normalizationEpsilon: 1e-20, scalingFactor: 2.827)

    /// DeepSeek-V2: 160 experts, top-6, softmax, 8 groups keep 3 (group score = max), no
    /// renormalisation, × 16.
    public static let deepSeekV2 = RouterConfiguration(
        experts: 160, topK: 6, scoring: .softmax,
        groupLimit: GroupLimit(groups: 8, keptGroups: 3, score: .max),
        normalizesWeights: false, scalingFactor: 16)

    /// DeepSeek-V4-Flash: 256 experts, top-6, sqrt-softplus + correction bias, renormalised
    /// with `+1e-20`, × 1.5. (Its first three MoE layers route by a token-id hash table
    /// instead; this preset is the learned router of the other layers.)
    public static let deepSeekV4Flash = RouterConfiguration(
        experts: 256, topK: 6, scoring: .sqrtSoftplus, usesCorrectionBias: true,
        normalizesWeights: true, normalizationEpsilon: 1e-20, scalingFactor: 1.5)

    /// DeepSeek-V4-Pro: 384 experts, top-6, sqrt-softplus + correction bias, renormalised
    /// with `+1e-20`, × 2.5.
    public static let deepSeekV4Pro = RouterConfiguration(
        experts: 384, topK: 6, scoring: .sqrtSoftplus, usesCorrectionBias: true,
        normalizesWeights: true, normalizationEpsilon: 1e-20, scalingFactor: 2.5)

    /// Qwen3-MoE (Qwen3-235B-A22B, Qwen3-30B-A3B): 128 experts, top-8, softmax over all
    /// experts, renormalised (`norm_topk_prob`, no epsilon).
    public static let qwen3MoE = RouterConfiguration(
        experts: 128, topK: 8, scoring: .softmax, normalizesWeights: true)

    /// Mixtral 8x7B: 8 experts, top-2, softmax over all experts, always renormalised.
    public static let mixtral = RouterConfiguration(
        experts: 8, topK: 2, scoring: .softmax, normalizesWeights: true)

    /// gpt-oss-120b: 128 experts, top-4 of the logits, softmax over the 4 chosen logits.
    /// (The router's linear bias belongs to the GEMM; see ``RouterGEMM``.)
    public static let gptOSS = RouterConfiguration(
        experts: 128, topK: 4, scoring: .logits, weighting: .softmaxOverChosen,
        normalizesWeights: false)

    /// The preset with this name (see ``presetNames``).
    ///
    /// - Throws: ``RoutingError/unknownPreset(_:suggestion:)`` with the closest known name.
    public static func preset(named name: String) throws(RoutingError) -> RouterConfiguration {
        switch name.lowercased() {
        case "deepseek-v3": return deepSeekV3
        case "kimi-k2": return kimiK2
        case "deepseek-v2": return deepSeekV2
        case "deepseek-v4-flash": return deepSeekV4Flash
        case "deepseek-v4-pro": return deepSeekV4Pro
        case "qwen3-moe": return qwen3MoE
        case "mixtral": return mixtral
        case "gpt-oss": return gptOSS
        default:
            throw .unknownPreset(name, suggestion: closestMatch(to: name, in: presetNames))
        }
    }
}
