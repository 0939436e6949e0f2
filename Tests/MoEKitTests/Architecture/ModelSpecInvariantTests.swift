//===--- ModelSpecInvariantTests.swift - A hand-built spec is checked -----===//

import Foundation
import Testing
@testable import MoEKit

@Suite("ModelSpec invariants")
struct ModelSpecInvariantTests {
    /// A two-layer GQA model (h = 64), layer 1 MoE with E = 4, k = 2, built from its parts.
    struct Parts {
        var hidden = 64, layers = 2, vocabulary = 100, context = 1 << 10, streams = 1, mtp = 0
        var attentionKinds: [AttentionLayerKind] = [.full, .full]
        var attentionHidden = 64
        var ffnHidden = 64
        var ffnKinds: [FeedForwardSpec.LayerKind] = [.dense, .moe]
        var denseWidth = 128
        var moe: MixtureOfExperts? = MixtureOfExperts(router: RouterConfiguration(experts: 4, topK: 2, scoring: .softmax),
                                                      sharedExperts: 0, expertIntermediateSize: 32)

        func build() throws(ModelSpecError) -> ModelSpec {
            let attention = GroupedQueryAttention(hiddenSize: attentionHidden, queryHeads: 4, kvHeads: 2, headDim: 16,
                                                  layerKinds: attentionKinds)
            return try ModelSpec(name: "toy", modelType: "toy", hiddenSize: hidden, layerCount: layers, vocabularySize: vocabulary,
                                 tiesWordEmbeddings: false, mtpLayerCount: mtp, maxContext: context, hyperConnectionStreams: streams,
                                 attention: .grouped(attention),
                                 feedForward: FeedForwardSpec(hiddenSize: ffnHidden, denseIntermediateSize: denseWidth, moe: moe, layerKinds: ffnKinds),
                                 serving: ServingDefaults(weights: WeightPrecision(.bf16), kvStorage: KVStorage(), source: "test"))
        }

        /// The reason of the error building these parts, or `nil` when they build.
        func reason() -> String? {
            do { _ = try build(); return nil } catch {
                guard case .inconsistentSpec(let model, let reason) = error else { return "unexpected \(error)" }
                return model == "toy" ? reason : "wrong model \(model)"
            }
        }
    }

    @Test("Consistent parts build, and the router is the MoE's")
    func consistent() throws {
        let spec = try Parts().build()
        #expect(spec.router == RouterConfiguration(experts: 4, topK: 2, scoring: .softmax))
        #expect(spec.feedForward.moe?.routedExperts == 4 && spec.feedForward.moe?.activeExperts == 2)
        var dense = Parts()
        dense.moe = nil
        dense.ffnKinds = [.dense, .dense]
        #expect(try dense.build().router == nil)
    }

    @Test("Mismatched layer lists, hidden sizes and zero sizes are errors, not traps")
    func mismatches() {
        var p = Parts()
        p.attentionKinds = [.full, .full, .full]
        #expect(p.reason() == "the attention has 3 layers but the model has 2")
        p = Parts()
        p.ffnKinds = [.moe]
        #expect(p.reason() == "the FFN has 1 layers but the model has 2")
        p = Parts()
        p.attentionHidden = 32
        #expect(p.reason() == "the attention's hidden size 32 differs from the model's 64")
        p = Parts()
        p.ffnHidden = 65
        #expect(p.reason() == "the FFN's hidden size 65 differs from the model's 64")
        p = Parts()
        p.vocabulary = 0
        #expect(p.reason() == "vocabulary size must be at least 1, got 0")
        p = Parts()
        p.layers = 0
        p.attentionKinds = []
        p.ffnKinds = []
        #expect(p.reason() == "layer count must be at least 1, got 0")
        p = Parts()
        p.streams = 0
        #expect(p.reason() == "hyper-connection streams must be at least 1, got 0")
        p = Parts()
        p.mtp = -1
        #expect(p.reason() == "MTP layer count must be at least 0, got -1")
        p = Parts()
        p.denseWidth = 0
        #expect(p.reason() == "dense layers need an intermediate size of at least 1, got 0")
    }

    @Test("MoE layers need experts, and the router must be able to run")
    func moeChecks() {
        var p = Parts()
        p.moe = nil
        #expect(p.reason() == "1 MoE layers but no experts")
        p = Parts()
        p.moe?.activeExperts = 5
        #expect(p.reason() == "router: top-k must be in 1...4 (the number of experts), got 5")
        p = Parts()
        p.moe?.router.groupLimit = .init(groups: 3, keptGroups: 1, score: .max)
        #expect(p.reason() == "router: n_group 3 does not divide the 4 experts")
        p = Parts()
        p.moe?.expertIntermediateSize = 0
        #expect(p.reason() == "the expert intermediate size must be at least 1, got 0")
        p = Parts()
        p.moe?.sharedExperts = 1
        p.moe?.sharedIntermediateSize = 0
        #expect(p.reason() == "1 shared experts of width 0")
        p = Parts()
        p.moe = MixtureOfExperts(router: RouterConfiguration(experts: 4, topK: 2, scoring: .sigmoid, usesCorrectionBias: true),
                                 sharedExperts: 0, expertIntermediateSize: 32, routerBias: false)
        #expect(p.reason() == "the router selects with a correction bias but the MoE counts no router bias")
        #expect("\(ModelSpecError.inconsistentSpec(model: "toy", "x"))" == "model 'toy' is inconsistent: x")
    }

    /// A latent MoE's width must lie in 1...h: a latent of 0 would make every expert count 0
    /// parameters, one above h is not a down-projection (h = 64 here).
    @Test("A latent expert width outside 1...h is an error")
    func latentWidth() {
        var p = Parts()
        p.moe?.latentSize = 65
        #expect(p.reason() == "the routed experts' latent width must be in 1...64 (the hidden size), got 65")
        p.moe?.latentSize = 0
        #expect(p.reason() == "the routed experts' latent width must be in 1...64 (the hidden size), got 0")
        p.moe?.latentSize = 32
        #expect(p.reason() == nil)
    }

    /// Hand-built linear-attention and MLA stacks with a negative layer count used to trap in
    /// `Array(repeating:count:)` when the spec counted their layers; now they count 0 layers
    /// and the spec names the mismatch.
    @Test("Negative layer counts of hand-built attention stacks are errors, not traps")
    func negativeLayerCounts() {
        let gdn = GatedDeltaNet(hiddenSize: 64, keyHeads: 2, valueHeads: 4, keyHeadDim: 8, valueHeadDim: 8,
                                convolutionKernel: 4, layers: -3)
        let kda = KimiDeltaAttention(hiddenSize: 64, heads: 2, headDim: 8, convolutionKernel: 4, layers: -1)
        let mla = MultiHeadLatentAttention(hiddenSize: 64, heads: 2, queryLatentRank: nil, kvLatentRank: 16,
                                           nopeHeadDim: 8, ropeHeadDim: 4, valueHeadDim: 8, layers: -2)
        #expect(gdn.layerKinds.isEmpty && kda.layerKinds.isEmpty && mla.layerKinds.isEmpty)
        let p = Parts()
        do {
            _ = try ModelSpec(name: "toy", modelType: "toy", hiddenSize: 64, layerCount: 2, vocabularySize: 100,
                              tiesWordEmbeddings: false, mtpLayerCount: 0, maxContext: 1 << 10, attention: .latent(mla),
                              feedForward: FeedForwardSpec(hiddenSize: 64, denseIntermediateSize: 128, moe: p.moe, layerKinds: p.ffnKinds),
                              serving: ServingDefaults(weights: WeightPrecision(.bf16), kvStorage: KVStorage(), source: "test"))
            Issue.record("a -2-layer MLA built")
        } catch {
            #expect("\(error)" == "model 'toy' is inconsistent: the attention has 0 layers but the model has 2")
        }
    }

    @Test("Experts and k live in the router: setting one sets the other")
    func oneSourceOfTruth() throws {
        var moe = MixtureOfExperts(router: RouterConfiguration(experts: 8, topK: 2, scoring: .softmax),
                                   sharedExperts: 0, expertIntermediateSize: 16)
        moe.routedExperts = 16
        moe.activeExperts = 4
        #expect(moe.router.experts == 16 && moe.router.topK == 4)
        let spec = try ModelSpec.preset(named: "qwen3-235b-a22b")
        #expect(spec.router?.experts == spec.feedForward.moe?.routedExperts)
        #expect(spec.router?.topK == spec.feedForward.moe?.activeExperts)
        #expect(spec.attention.hiddenSize == spec.hiddenSize && spec.feedForward.hiddenSize == spec.hiddenSize)
    }
}
