//===--- RouterConfiguration+Presets.swift - Routers of real models -------===//
//
// A router preset is the router of a model preset: its values are read from the model's
// bundled config.json (Resources/Models) by RouterConfiguration(reading:modelType:), so each
// routing fact lives in one file. The short router names are aliases of model presets.
//
//===----------------------------------------------------------------------===//

extension RouterConfiguration {
    /// The short router names and the model preset each one stands for, in a stable order.
    /// Any model preset name (``ModelSpec/presetNames``) is accepted by ``preset(named:)`` too.
    public static let presetAliases: KeyValuePairs<String, String> = [
        "deepseek-v3": "deepseek-v3", "kimi-k2": "kimi-k2", "deepseek-v2": "deepseek-v2",
        "deepseek-v4-flash": "deepseek-v4-flash", "deepseek-v4-pro": "deepseek-v4-pro",
        "qwen3-moe": "qwen3-235b-a22b", "mixtral": "mixtral-8x7b", "gpt-oss": "gpt-oss-120b",
        "qwen3-next": "qwen3-next-80b-a3b", "qwen3.5-moe": "qwen3.5-397b-a17b", "glm-4.6": "glm-4.6",
        "glm-5": "glm-5", "minimax-m2": "minimax-m2", "kimi-linear": "kimi-linear-48b-a3b",
        "kimi-k3": "kimi-k3", "llama-4": "llama-4-maverick",
    ]

    /// The short router names (``presetAliases``), in a stable order.
    public static var presetNames: [String] { presetAliases.map { $0.key } }

    /// The model preset a router name stands for: an alias's model, or the name itself when it
    /// is a model preset (case-insensitive); `nil` for neither.
    public static func modelPresetName(forRouter name: String) -> String? {
        let lower = name.lowercased()
        if let alias = presetAliases.first(where: { $0.key == lower }) { return alias.value }
        return ModelSpec.presetNames.first { $0.lowercased() == lower }
    }

    /// The router of a model preset, by router alias (``presetNames``: `kimi-k2`, `qwen3-moe`, …)
    /// or model preset name (`kimi-k2.6`, `qwen3-235b-a22b`, …): exactly
    /// `ModelSpec.preset(named:).router`.
    ///
    /// - Throws: ``RoutingError/unknownPreset(_:suggestion:)`` with the closest known name,
    ///   ``RoutingError/noRouter(model:reason:)`` for a dense model or when the bundled presets
    ///   cannot be read.
    public static func preset(named name: String) throws(RoutingError) -> RouterConfiguration {
        guard let model = modelPresetName(forRouter: name) else {
            throw .unknownPreset(name, suggestion: closestMatch(to: name, in: presetNames + ModelSpec.presetNames))
        }
        let spec: ModelSpec
        do { spec = try ModelSpec.preset(named: model) }
        catch { throw .noRouter(model: model, reason: error.description) }
        guard let router = spec.router else { throw .noRouter(model: model, reason: "it is a dense model") }
        return router
    }

    /// DeepSeek-V3/R1 (model preset `deepseek-v3`): 256 experts, top-8, sigmoid + correction
    /// bias, 8 groups keep 4 (sum of the top 2 keys), renormalised with `+1e-20`, × 2.5.
    public static var deepSeekV3: RouterConfiguration { get throws(RoutingError) { try preset(named: "deepseek-v3") } }

    /// Kimi K2 / K2.5 / K2.6 (model preset `kimi-k2`): 384 experts, top-8, sigmoid + correction
    /// bias, one group (no group limit), renormalised with `+1e-20`, × 2.827.
    public static var kimiK2: RouterConfiguration { get throws(RoutingError) { try preset(named: "kimi-k2") } }

    /// DeepSeek-V2 (model preset `deepseek-v2`): 160 experts, top-6, softmax, 8 groups keep 3
    /// (group score = max), no renormalisation, × 16.
    public static var deepSeekV2: RouterConfiguration { get throws(RoutingError) { try preset(named: "deepseek-v2") } }

    /// DeepSeek-V4-Flash (model preset `deepseek-v4-flash`): 256 experts, top-6, sqrt-softplus +
    /// correction bias, renormalised with `+1e-20`, × 1.5. Its first `num_hash_layers` (3) MoE
    /// layers route by a token-id hash table instead; this is the learned router of the others.
    public static var deepSeekV4Flash: RouterConfiguration { get throws(RoutingError) { try preset(named: "deepseek-v4-flash") } }

    /// DeepSeek-V4-Pro (model preset `deepseek-v4-pro`): 384 experts, top-6, sqrt-softplus +
    /// correction bias, renormalised with `+1e-20`, × 2.5 (hash-routed first layers as Flash).
    public static var deepSeekV4Pro: RouterConfiguration { get throws(RoutingError) { try preset(named: "deepseek-v4-pro") } }

    /// Qwen3-MoE (model preset `qwen3-235b-a22b`): 128 experts, top-8, softmax over all
    /// experts, renormalised (`norm_topk_prob`, no epsilon).
    public static var qwen3MoE: RouterConfiguration { get throws(RoutingError) { try preset(named: "qwen3-moe") } }

    /// Mixtral 8x7B (model preset `mixtral-8x7b`): 8 experts, top-2, softmax over all experts,
    /// always renormalised.
    public static var mixtral: RouterConfiguration { get throws(RoutingError) { try preset(named: "mixtral") } }

    /// gpt-oss-120b (model preset `gpt-oss-120b`): 128 experts, top-4 of the logits, softmax
    /// over the 4 chosen logits. (The router's linear bias belongs to the GEMM; see ``RouterGEMM``.)
    public static var gptOSS: RouterConfiguration { get throws(RoutingError) { try preset(named: "gpt-oss") } }
}
