//===--- RouterOptions.swift - Router flags shared by bench and route -----===//

import ArgumentParser
import Foundation
import MoEKit

extension RouterConfiguration.Scoring: ExpressibleByArgument {}
extension RouterConfiguration.GroupScore: ExpressibleByArgument {}
extension RouterConfiguration.Weighting: ExpressibleByArgument {}
extension RouterGEMM.WeightFormat: ExpressibleByArgument {}

struct RouterOptions: ParsableArguments {
    @Option(name: [.customLong("preset"), .customLong("model")],
            help: ArgumentHelp("The router (and sizes) of a model preset: \(RouterConfiguration.presetNames.joined(separator: ", ")), or any model from `moebench models`.",
                               valueName: "name"))
    var preset: String?

    @Option(name: .customLong("config"), help: ArgumentHelp("The router (and sizes) of the model in a Hugging Face config.json.", valueName: "config.json"))
    var configFile: String?

    @Option(parsing: .unconditional, help: "Number of routed experts E, 1...16777216 (overrides the preset).",
            transform: wholeNumber(in: 1...Bounds.experts))
    var experts: Int?

    @Option(name: .customLong("topk"), parsing: .unconditional,
            help: "Experts chosen per token k, 1...E (overrides the preset).", transform: anyWholeNumber)
    var topK: Int?

    @Option(help: "Scoring: softmax, sigmoid, sqrtsoftplus or logits (overrides the preset).")
    var scoring: RouterConfiguration.Scoring?

    @Option(name: .customLong("n-group"), parsing: .unconditional,
            help: "Expert groups for group-limited selection (n_group), 1...E, dividing E.", transform: anyWholeNumber)
    var groups: Int?

    @Option(name: .customLong("topk-group"), parsing: .unconditional,
            help: "Groups kept per token (topk_group), 1...n-group.", transform: anyWholeNumber)
    var keptGroups: Int?

    @Option(name: .customLong("group-score"),
            help: "Group score: top2-sum (DeepSeek-V3) or max (DeepSeek-V2); default top2-sum with a correction bias, else max.")
    var groupScore: RouterConfiguration.GroupScore?

    @Flag(name: .customLong("no-normalize"), help: "Do not renormalise the chosen weights to sum 1.")
    var noNormalize = false

    @Option(parsing: .unconditional, help: "Routed scaling factor applied to the weights, 0...1e6 (overrides the preset).",
            transform: finiteFloat("in 0...1e6", { (0...1e6).contains($0) }))
    var scale: Float?

    @Option(help: "Weights: chosen (the chosen scores), softmax-chosen (softmax over the chosen, gpt-oss) or sigmoid-chosen (sigmoid of the chosen, Llama 4).")
    var weights: RouterConfiguration.Weighting?

    /// Warns on stderr (one line) when the router comes from a model (preset or config.json)
    /// that selects with a correction bias (`e_score_correction_bias`: DeepSeek-V3, Kimi K2, V4,
    /// GLM, MiniMax) but no bias is given, so routing uses a zero bias. `defaultPreset` names
    /// the preset used without `--preset`, `--config` and `--scoring`, if any.
    func warnIfBiasMissing(hasBias: Bool, defaultPreset: String? = nil) {
        guard !hasBias, let (name, config) = try? modelRouter(default: scoring == nil ? defaultPreset : nil),
              config.usesCorrectionBias else { return }
        warn("\(configFile.map { "config \($0)" } ?? "preset \(name)") selects experts with a correction bias (e_score_correction_bias) but no --bias B.npy was given; routing with a zero bias")
    }

    /// The model named by `--config`, `--preset`/`--model` or `defaultPreset` (`nil` when none
    /// is).
    func model(default defaultPreset: String? = nil) throws -> ModelSpec? {
        if preset != nil && configFile != nil { throw UsageError("--config cannot be combined with --preset/--model") }
        if let configFile {
            let url = URL(fileURLWithPath: configFile)
            return try ModelSpec(configFile: url, name: url.deletingPathExtension().lastPathComponent)
        }
        guard let name = preset ?? defaultPreset else { return nil }
        guard let model = RouterConfiguration.modelPresetName(forRouter: name) else {
            _ = try RouterConfiguration.preset(named: name)  // throws unknownPreset with a suggestion
            return nil
        }
        return try ModelSpec.preset(named: model)
    }

    /// The router of ``model(default:)`` and a label for it (preset name or config path).
    func modelRouter(default defaultPreset: String? = nil) throws -> (label: String, router: RouterConfiguration)? {
        guard let spec = try model(default: defaultPreset) else { return nil }
        let label = configFile ?? preset ?? defaultPreset ?? spec.name
        guard let router = spec.router else { throw RoutingError.noRouter(model: label, reason: "it is a dense model") }
        return (label, router)
    }

    /// The configuration these flags describe, starting from `--config`, `--preset`/`--model`,
    /// or `fallback`.
    func configuration(fallback: RouterConfiguration?, experts inferred: Int? = nil,
                       hasBias: Bool? = nil) throws -> RouterConfiguration {
        var config: RouterConfiguration
        if let (_, router) = try modelRouter() {
            config = router
        } else if let fallback {
            config = fallback
        } else {
            guard let scoring else {
                throw UsageError("choose a router with --preset NAME, --config config.json or --scoring (softmax|sigmoid|sqrtsoftplus|logits)")
            }
            guard let topK else { throw UsageError("--topk is required without --preset or --config") }
            // Raw logits are weighted by a softmax over the chosen ones (gpt-oss), never renormalised.
            config = RouterConfiguration(experts: inferred ?? experts ?? 1, topK: topK, scoring: scoring,
                                         usesCorrectionBias: hasBias ?? false,
                                         weighting: scoring == .logits ? .softmaxOverChosen : .chosenScores)
        }
        if let inferred {
            if let experts, experts != inferred {
                throw UsageError("--experts \(experts) does not match the \(inferred) experts in the input")
            }
            if let source = preset.map({ "preset \($0)" }) ?? configFile.map({ "config \($0)" }), experts == nil, config.experts != inferred {
                throw UsageError("\(source) has \(config.experts) experts but the input has \(inferred); pass --experts \(inferred) to override")
            }
            config.experts = inferred
        } else if let experts {
            config.experts = experts
        }
        if let topK { config.topK = topK }
        if let scoring { config.scoring = scoring }
        if let hasBias { config.usesCorrectionBias = hasBias }
        switch (groups, keptGroups) {
        case (nil, nil):
            break
        case (let g?, let kept?):
            let rule = groupScore ?? config.groupLimit?.score ?? (config.usesCorrectionBias ? .topTwoSum : .max)
            config.groupLimit = .init(groups: g, keptGroups: kept, score: rule)
        case (nil, _?):
            throw UsageError("--topk-group needs --n-group")
        case (_?, nil):
            throw UsageError("--n-group needs --topk-group")
        }
        if let groupScore, groups == nil {
            guard config.groupLimit != nil else { throw UsageError("--group-score needs --n-group and --topk-group") }
            config.groupLimit!.score = groupScore
        }
        if noNormalize { config.normalizesWeights = false }
        if let scale { config.scalingFactor = scale }
        if let weights { config.weighting = weights }
        try config.validate()
        return config
    }
}

extension RouterConfiguration {
    /// A one-line description for report headers.
    var summary: String {
        var parts = ["E=\(experts)", "k=\(topK)", scoring.rawValue + (usesCorrectionBias ? "+bias" : "")]
        if let g = groupLimit { parts.append("groups \(g.keptGroups)/\(g.groups) (\(g.score.rawValue))") }
        if weighting == .softmaxOverChosen { parts.append("softmax over chosen") }
        else if normalizesWeights { parts.append("renormalised") }
        if scalingFactor != 1 { parts.append("×\(scalingFactor)") }
        return parts.joined(separator: ", ")
    }
}
