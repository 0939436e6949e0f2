//===--- RouterConfigReadingTests.swift - Routers read from config.json keys ===//
//
// Small hand-written config fragments per family; the expected routers are written out from
// each family's reference router (see RouterConfiguration+ConfigReading.swift for the files)
// and its published config.json values.
//
//===----------------------------------------------------------------------===//

import Foundation
import Testing
@testable import MoEKit

/// The router `RouterConfiguration(reading:modelType:)` reads from a JSON fragment.
func readRouter(_ json: String, _ modelType: String, prefix: String = "") throws(ModelSpecError) -> RouterConfiguration {
    let object = try JSONValue.parseObject(Array(json.utf8))
    return try RouterConfiguration(reading: ConfigReader(object: object, modelType: modelType, prefix: prefix), modelType: modelType)
}

/// The error reading a fragment throws, or `nil`.
func routerReadingError(_ json: String, _ modelType: String, prefix: String = "") -> ModelSpecError? {
    do { _ = try readRouter(json, modelType, prefix: prefix); return nil } catch { return error }
}

/// Fragments with the published routing keys of each new family and the router they mean.
let newRouterFamilies: [(label: String, type: String, json: String, expected: RouterConfiguration)] = [
        // Qwen/Qwen3-Next-80B-A3B-Instruct config.json: 512 experts, top-10, norm_topk_prob true.
        ("qwen3-next", "qwen3_next", #"{"num_experts": 512, "num_experts_per_tok": 10, "norm_topk_prob": true}"#,
         RouterConfiguration(experts: 512, topK: 10, scoring: .softmax, normalizesWeights: true)),
        // Qwen3.5 MoE: Qwen3_5MoeTopKRouter always renormalises (no norm_topk_prob key).
        ("qwen3.5-moe", "qwen3_5_moe", #"{"num_experts": 512, "num_experts_per_tok": 10}"#,
         RouterConfiguration(experts: 512, topK: 10, scoring: .softmax, normalizesWeights: true)),
        // zai-org/GLM-4.6 config.json: 160 experts, top-8, n_group 1, rsf 2.5; sigmoid + bias.
        ("glm-4.6", "glm4_moe",
         #"{"n_routed_experts": 160, "num_experts_per_tok": 8, "n_group": 1, "topk_group": 1, "norm_topk_prob": true, "routed_scaling_factor": 2.5}"#,
         RouterConfiguration(experts: 160, topK: 8, scoring: .sigmoid, usesCorrectionBias: true,
                             normalizesWeights: true, normalizationEpsilon: 1e-20, scalingFactor: 2.5)),
        // GLM-5 (glm_moe_dsa): 256 experts, top-8, rsf 2.5; here with 8 groups keeping 4 to
        // exercise the group limit the DeepSeek-V3 router shares.
        ("glm-moe-dsa grouped", "glm_moe_dsa",
         #"{"n_routed_experts": 256, "num_experts_per_tok": 8, "n_group": 8, "topk_group": 4, "norm_topk_prob": true, "routed_scaling_factor": 2.5}"#,
         RouterConfiguration(experts: 256, topK: 8, scoring: .sigmoid, usesCorrectionBias: true,
                             groupLimit: .init(groups: 8, keptGroups: 4, score: .topTwoSum),
                             normalizesWeights: true, normalizationEpsilon: 1e-20, scalingFactor: 2.5)),
        // MiniMaxAI/MiniMax-M2 config.json: 256 experts, top-8, scoring_func sigmoid, use_routing_bias.
        ("minimax-m2", "minimax_m2",
         #"{"num_local_experts": 256, "num_experts_per_tok": 8, "scoring_func": "sigmoid", "use_routing_bias": true}"#,
         RouterConfiguration(experts: 256, topK: 8, scoring: .sigmoid, usesCorrectionBias: true, normalizesWeights: true)),
        // moonshotai/Kimi-Linear-48B-A3B-Instruct config.json: 256 experts, top-8, rsf 2.446.
        ("kimi-linear", "kimi_linear",
         #"{"num_experts": 256, "num_experts_per_token": 8, "moe_router_activation_func": "sigmoid", "num_expert_group": 1, "topk_group": 1, "routed_scaling_factor": 2.446, "moe_renormalize": true}"#,
         RouterConfiguration(experts: 256, topK: 8, scoring: .sigmoid, usesCorrectionBias: true,
                             normalizesWeights: true, normalizationEpsilon: 1e-20, scalingFactor: 2.446)),
        // Kimi K3 (third-party copies of its config): 896 experts, top-16, rsf 1.0.
        ("kimi-k3", "kimi_k3",
         #"{"num_experts": 896, "num_experts_per_token": 16, "moe_router_activation_func": "sigmoid", "num_expert_group": 1, "topk_group": 1, "routed_scaling_factor": 1.0, "moe_renormalize": true}"#,
         RouterConfiguration(experts: 896, topK: 16, scoring: .sigmoid, usesCorrectionBias: true,
                             normalizesWeights: true, normalizationEpsilon: 1e-20, scalingFactor: 1)),
        // meta-llama/Llama-4-Maverick text_config: 128 experts, top-1; top-k on the logits,
        // then the sigmoid of the chosen logit.
        ("llama-4", "llama4", #"{"num_local_experts": 128, "num_experts_per_tok": 1}"#,
         RouterConfiguration(experts: 128, topK: 1, scoring: .logits, weighting: .sigmoidOfChosen, normalizesWeights: false)),
    ]

@Suite("Routers read from config.json")
struct RouterConfigReadingTests {
    @Test("Each new family's keys give its reference router")
    func newFamilies() throws {
        for family in newRouterFamilies {
            let router = try readRouter(family.json, family.type)
            #expect(router == family.expected, "\(family.label)")
            try router.validate()
        }
    }

    @Test("Family defaults for absent keys follow the reference configuration classes")
    func defaults() throws {
        // Qwen3NextConfig defaults norm_topk_prob to true, Qwen3MoeConfig to false.
        #expect(try readRouter(#"{"num_experts": 8, "num_experts_per_tok": 2}"#, "qwen3_next").normalizesWeights)
        #expect(try !readRouter(#"{"num_experts": 8, "num_experts_per_tok": 2}"#, "qwen3_moe").normalizesWeights)
        // DeepSeek-V2-Lite: greedy top-k, softmax, no groups even with n_group > 1, × rsf.
        let lite = try readRouter(#"{"n_routed_experts": 64, "num_experts_per_tok": 6, "topk_method": "greedy", "n_group": 8, "topk_group": 3}"#, "deepseek_v2")
        #expect(lite == RouterConfiguration(experts: 64, topK: 6, scoring: .softmax, normalizesWeights: false))
        // DeepSeek-V3 keys absent: sigmoid + bias (noaux_tc), renormalised, no group limit, × 1.
        #expect(try readRouter(#"{"n_routed_experts": 16, "num_experts_per_tok": 2}"#, "deepseek_v3")
                == RouterConfiguration(experts: 16, topK: 2, scoring: .sigmoid, usesCorrectionBias: true,
                                       normalizesWeights: true, normalizationEpsilon: 1e-20))
        // Kimi's gate renormalises only when it chooses more than one expert.
        #expect(try !readRouter(#"{"num_experts": 16, "num_experts_per_token": 1, "moe_renormalize": true}"#, "kimi_linear").normalizesWeights)
        // GLM: transformers 5 names the expert count num_local_experts; either key is read.
        #expect(try readRouter(#"{"num_local_experts": 160, "num_experts_per_tok": 8}"#, "glm4_moe").experts == 160)
        // MiniMax-M2 without use_routing_bias: no bias; softmax scoring is read too.
        #expect(try readRouter(#"{"num_local_experts": 8, "num_experts_per_tok": 2, "use_routing_bias": false, "scoring_func": "softmax"}"#, "minimax_m2")
                == RouterConfiguration(experts: 8, topK: 2, scoring: .softmax, normalizesWeights: true))
    }

    @Test("Unknown scoring functions, methods and contradictory keys are typed errors naming the key")
    func badKeys() {
        #expect(routerReadingError(#"{"n_routed_experts": 8, "num_experts_per_tok": 2, "scoring_func": "tanh"}"#, "deepseek_v3")
                == .invalidValue(key: "scoring_func", value: "'tanh'", reason: "expected 'softmax', 'sigmoid', 'sqrtsoftplus'"))
        #expect(routerReadingError(#"{"num_experts": 8, "num_experts_per_token": 2, "moe_router_activation_func": "relu"}"#,
                                   "kimi_k3", prefix: "text_config.")
                == .invalidValue(key: "text_config.moe_router_activation_func", value: "'relu'", reason: "expected 'sigmoid', 'softmax'"))
        #expect(routerReadingError(#"{"num_local_experts": 8, "num_experts_per_tok": 2, "scoring_func": "sqrtsoftplus"}"#, "minimax_m2")
                == .invalidValue(key: "scoring_func", value: "'sqrtsoftplus'", reason: "expected 'sigmoid', 'softmax'"))
        #expect(routerReadingError(#"{"n_routed_experts": 8, "num_experts_per_tok": 2, "topk_method": "random"}"#, "deepseek_v3")
                == .invalidValue(key: "topk_method", value: "'random'", reason: "expected 'greedy', 'group_limited_greedy', 'noaux_tc'"))
        func keys(_ error: ModelSpecError?) -> [String]? {
            if case .contradictoryKeys(let keys, _)? = error { return keys }
            return nil
        }
        #expect(keys(routerReadingError(#"{"n_routed_experts": 256, "num_experts_per_tok": 8, "n_group": 7, "topk_group": 3}"#, "glm4_moe"))
                == ["n_group", "n_routed_experts"])
        #expect(keys(routerReadingError(#"{"num_experts": 256, "num_experts_per_token": 8, "num_expert_group": 8, "topk_group": 9}"#, "kimi_linear"))
                == ["topk_group", "num_expert_group"])
        #expect(keys(routerReadingError(#"{"n_routed_experts": 256, "num_experts_per_tok": 33, "n_group": 8, "topk_group": 1}"#, "deepseek_v3"))
                == ["num_experts_per_tok", "topk_group"])
        #expect(keys(routerReadingError(#"{"num_experts": 8, "num_experts_per_tok": 9}"#, "qwen3_next"))
                == ["num_experts_per_tok", "num_experts"])
        #expect(routerReadingError(#"{"n_routed_experts": 8, "num_experts_per_tok": 2, "routed_scaling_factor": -1}"#, "glm_moe_dsa")
                == .invalidValue(key: "routed_scaling_factor", value: "-1.0", reason: "must be in 0...1e6"))
        #expect(routerReadingError(#"{"n_routed_experts": 8, "num_experts_per_tok": 2, "routed_scaling_factor": "2.5"}"#, "glm4_moe")
                == .wrongType(key: "routed_scaling_factor", expected: "a number"))
        #expect(keys(routerReadingError(#"{"n_routed_experts": 160, "num_local_experts": 128, "num_experts_per_tok": 8}"#, "glm_moe_dsa"))
                == ["n_routed_experts", "num_local_experts"])
        #expect(routerReadingError(#"{"num_experts": 8}"#, "kimi_linear") == .missingKey("num_experts_per_token", modelType: "kimi_linear"))
        #expect(routerReadingError(#"{"num_experts": 8, "num_experts_per_tok": 2}"#, "qwen9_moe")
                == .unsupportedModelType("qwen9_moe", suggestion: "qwen3_moe"))
    }

    @Test("The correction bias chooses but does not weight (MiniMax-M2, Kimi Linear), worked by hand")
    func biasedSigmoidByHand() throws {
        // Logits [0, ln 3, -ln 3, 0] → sigmoid [1/2, 3/4, 1/4, 1/2]; bias [0, 0, 1/2, 0.1] →
        // keys [0.5, 0.75, 0.75, 0.6]: experts 1 and 2 (equal keys, lower index first), weighted
        // by their unbiased scores 3/4 and 1/4, which already sum to 1.
        let logits: [Float] = [0, Float(log(3.0)), -Float(log(3.0)), 0]
        let bias: [Float] = [0, 0, 0.5, 0.1]
        let minimax = try readRouter(#"{"num_local_experts": 4, "num_experts_per_tok": 2, "scoring_func": "sigmoid", "use_routing_bias": true}"#, "minimax_m2")
        let m = try Router(minimax, correctionBias: bias).route(logits: logits)
        #expect(m.indices == [1, 2])
        #expect(abs(m.weights[0] - 0.75) < 1e-6 && abs(m.weights[1] - 0.25) < 1e-6)
        // Kimi Linear with routed_scaling_factor 2: the same experts, weights × 2.
        let kimi = try readRouter(#"{"num_experts": 4, "num_experts_per_token": 2, "routed_scaling_factor": 2, "moe_renormalize": true}"#, "kimi_linear")
        let k = try Router(kimi, correctionBias: bias).route(logits: logits)
        #expect(k.indices == [1, 2])
        #expect(abs(k.weights[0] - 1.5) < 1e-6 && abs(k.weights[1] - 0.5) < 1e-6)
    }

    @Test("Llama 4: top-k of the logits, then the sigmoid of each chosen logit, worked by hand")
    func llama4ByHand() throws {
        // Logits [0.5, 2, -1, 1]: top-1 is expert 1 with σ(2) = 1/(1 + e^-2) = 0.8807971;
        // top-2 adds expert 3 with σ(1) = 0.7310586. No renormalisation.
        let logits: [Float] = [0.5, 2, -1, 1]
        var config = try readRouter(#"{"num_local_experts": 4, "num_experts_per_tok": 1}"#, "llama4")
        let one = try Router(config).route(logits: logits)
        #expect(one.indices == [1] && abs(one.weights[0] - 0.8807971) < 1e-6)
        config.topK = 2
        let two = try Router(config).route(logits: logits)
        #expect(two.indices == [1, 3])
        #expect(abs(two.weights[0] - 0.8807971) < 1e-6 && abs(two.weights[1] - 0.7310586) < 1e-6)
        // Saturated logits keep their precision: σ(-30) = 9.357623e-14, σ(30) = 1.
        let far = try Router(config).route(logits: [-30, -40, -50, -60])
        #expect(far.indices == [0, 1])
        #expect(abs(far.weights[0] - 9.357623e-14) <= 1e-6 * 9.357623e-14)
        #expect(try Router(config).route(logits: [30, 0, 0, 0]).weights[0] == 1)
    }

    @Test("New families' routers match the scalar reference on random logits",
          arguments: newRouterFamilies.map(\.label))
    func parity(_ label: String) throws {
        let family = try #require(newRouterFamilies.first { $0.label == label })
        let config = try readRouter(family.json, family.type)
        let tokens = 300
        let logits = randomLogits(tokens * config.experts, seed: UInt64(label.utf8.count) &* 104_729)
        var g = SeededGenerator(seed: 7)
        let bias = config.usesCorrectionBias ? g.uniformFloats(count: config.experts, scale: 0.3) : nil
        let c = try compareWithReference(config, tokens: tokens, logits: logits, bias: bias)
        expectMatches(c, label)
        // bf16-rounded logits: many exact ties, decided by the lower index on both sides.
        let rounded = logits.map(bfloat16Rounded)
        expectMatches(try compareWithReference(config, tokens: tokens, logits: rounded, bias: bias, threads: 2),
                      "\(label) bf16", nearTiesAreRare: false)
    }
}
