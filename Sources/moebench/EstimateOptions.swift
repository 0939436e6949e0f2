//===--- EstimateOptions.swift - Options shared by the estimator commands ---===//
//
// Model selection (--model / --config), storage formats and output format for
// `estimate`, `curve`, `compare` and `models`. Parsing only; numbers come from MoEKit.
//
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import MoEKit

/// A KV-cache format option value.
enum KVFormatOption: String, ExpressibleByArgument, CaseIterable {
    case bf16, fp8
    var format: KVCacheFormat { KVCacheFormat(rawValue: rawValue)! }
}

/// An indexer-key format option value.
enum IndexerFormatOption: String, ExpressibleByArgument, CaseIterable {
    case bf16, fp8, fp4
    var format: IndexerKeyFormat { IndexerKeyFormat(rawValue: rawValue)! }
}

/// A recurrent-state format option value.
enum StateFormatOption: String, ExpressibleByArgument, CaseIterable {
    case fp32, bf16, fp16
    var format: RecurrentStateFormat { RecurrentStateFormat(rawValue: rawValue)! }
}

/// `--kv-format`, `--indexer-format` and `--state-format`.
struct StorageOptions: ParsableArguments {
    @Option(name: .customLong("kv-format"), help: "KV-cache format: bf16 or fp8 (default: how the model is served).")
    var kvFormat: KVFormatOption?

    @Option(name: .customLong("indexer-format"), help: "Lightning-indexer key format: bf16, fp8 or fp4 (DSA and V4 models only).")
    var indexerFormat: IndexerFormatOption?

    @Option(name: .customLong("state-format"), help: "Linear-attention recurrent state format: fp32, bf16 or fp16 (default: the config's mamba_ssm_dtype, else fp32; GDN and KDA models only).")
    var stateFormat: StateFormatOption?

    @Option(name: .customLong("weights"), help: "Format of non-expert weights: bf16, fp8, int8, mxfp4, nvfp4, int4 (default: as served).")
    var weights: String?

    @Option(name: .customLong("expert-weights"), help: "Format of routed-expert weights: bf16, fp8, int8, mxfp4, nvfp4, int4 (default: as served).")
    var expertWeights: String?

    @Option(name: .customLong("mla-prefill"), help: "MLA prefill mode: naive (default) or absorbed (MLA models only).")
    var mlaPrefill: MLAModeOption?

    @Option(name: .customLong("mla-decode"), help: "MLA decode mode: absorbed (default) or naive (MLA models only).")
    var mlaDecode: MLAModeOption?

    enum MLAModeOption: String, ExpressibleByArgument, CaseIterable {
        case naive, absorbed
        var mode: MultiHeadLatentAttention.Mode { self == .naive ? .naive : .absorbed }
    }

    /// An estimator for `model` with these options applied; with `strict`, options the model's
    /// design does not have are errors, otherwise they apply only where they exist.
    func estimator(for model: ModelSpec, strict: Bool) throws -> CostEstimator {
        var spec = model
        if strict || spec.attentionModel.design == .multiHeadLatent || spec.attentionModel.design == .kimiDeltaHybrid {
            spec = try spec.withLatentAttentionModes(prefill: mlaPrefill?.mode, decode: mlaDecode?.mode)
        }
        var precision = spec.serving.weights
        if let weights { precision.dense = try Self.weightFormat(weights, option: "--weights") }
        if let expertWeights { precision.experts = try Self.weightFormat(expertWeights, option: "--expert-weights") }
        return CostEstimator(model: spec, kvStorage: try storage(for: spec, strict: strict), weights: precision)
    }

    static func weightFormat(_ text: String, option: String) throws -> WeightFormat {
        guard let f = WeightFormat(name: text) else {
            throw UsageError("\(option) '\(text)' is not a weight format (bf16, fp8, int8, mxfp4, nvfp4, int4, int4-gN)")
        }
        return f
    }

    /// The storage for `model`; with `strict`, an indexer or state format for a model without an
    /// indexer or linear layers is an error, otherwise it is applied only where it exists.
    func storage(for model: ModelSpec, strict: Bool) throws -> KVStorage {
        let indexer = (strict || model.attentionModel.hasIndexer) ? indexerFormat?.format : nil
        let state = (strict || model.attentionModel.hasRecurrentState) ? stateFormat?.format : nil
        return try CostEstimator.kvStorage(for: model, kv: kvFormat?.format, indexer: indexer, state: state)
    }
}

/// Resolves `--model NAME` or `--config PATH` to a model.
func loadModel(name: String?, config: String?) throws -> ModelSpec {
    switch (name, config) {
    case (let name?, nil):
        return try ModelSpec.preset(named: name)
    case (nil, let path?):
        let url = URL(fileURLWithPath: path)
        return try ModelSpec(configFile: url, name: url.deletingPathExtension().lastPathComponent)
    case (nil, nil):
        throw UsageError("give a model with --model NAME or --config PATH (see 'moebench models')")
    case (_?, _?):
        throw UsageError("give either --model or --config, not both")
    }
}

/// Splits `a,b,c` into preset names or config paths (entries ending in `.json` are files);
/// an empty item is refused, naming `option`.
func loadModels(_ list: String, option: String = "--models") throws -> [ModelSpec] {
    let names = try listItems(list, option: option)
    return try names.map { entry in
        entry.hasSuffix(".json") ? try loadModel(name: nil, config: entry) : try loadModel(name: entry, config: nil)
    }
}

/// Warns on stderr, in one line, when `context` is beyond the `max_position_embeddings` of
/// some of `specs`: legal, and computed, but past what those models were trained for.
func warnIfBeyondMaximumContext(_ context: Int, of specs: [ModelSpec]) {
    var seen = Set<String>()
    let beyond = specs.filter { context > $0.maxContext && seen.insert($0.name).inserted }
    guard !beyond.isEmpty else { return }
    let list = beyond.map { "\($0.name) (\($0.maxContext))" }.joined(separator: ", ")
    warn("context \(context) is beyond the max_position_embeddings of \(list); the figures extrapolate past what the model supports")
}

/// Parses a context option value.
func parseContext(_ text: String) throws -> Int { try ContextLength.parse(text) }
