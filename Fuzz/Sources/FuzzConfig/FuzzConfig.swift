//===--- FuzzConfig.swift - libFuzzer target: the config.json loader ------===//
//
// Loads the input as a Hugging Face `config.json`. Either loading throws a `ModelSpecError`,
// or the model it returns has positive sizes, a router that can run, and can be costed: parameter counts, the KV cache
// at its longest context, a decode step and a short prefill, all without trapping.
//
//===----------------------------------------------------------------------===//

import Foundation
import MoEKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafeRawPointer?, _ count: Int) -> CInt {
    let json = Data(UnsafeRawBufferPointer(start: data, count: count))
    let spec: ModelSpec
    do {
        spec = try ModelSpec(configJSON: json, name: "fuzz")
    } catch {
        _ = error.description
        return 0
    }
    guard spec.hiddenSize > 0, spec.layerCount > 0, spec.vocabularySize > 0, spec.maxContext > 0 else {
        fatalError("accepted a model with a non-positive size: \(spec)")
    }
    // A loaded MoE model's router can run (ModelSpec checks it at construction).
    if let router = spec.router {
        do { try router.validate() } catch { fatalError("accepted a model whose router cannot run: \(error)") }
    }
    let parameters = spec.parameterCount
    guard parameters.total.total > 0, parameters.active() > 0, parameters.active() <= parameters.total.total else {
        fatalError("parameter counts out of order: \(parameters)")
    }
    let estimator = CostEstimator(model: spec)
    for context in [1, min(spec.maxContext, 4096), spec.maxContext] {
        do { _ = try estimator.kvCacheBytes(context: context) } catch { _ = error.description }
        do { _ = try estimator.decode(context: context, batchSize: 1) } catch { _ = error.description }
    }
    do { _ = try estimator.prefill(tokens: 16) } catch { _ = error.description }
    return 0
}
