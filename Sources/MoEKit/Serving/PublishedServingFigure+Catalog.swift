//===--- PublishedServingFigure+Catalog.swift - The validation table ------===//
//
// Per-device figures are the published per-node figures divided by the devices of a node
// (8 GPUs; a CloudMatrix "NPU" is one 910C package).
//
//===----------------------------------------------------------------------===//

extension PublishedServingFigure {
    /// DeepSeek's production decode (Day-6): its throughput and its cost rows share it.
    static let deepSeekProductionDecode = ServingSetup(
        model: "deepseek-v3", accelerator: "h800", phase: .decode, devices: 144, expertParallel: 144,
        redundantExperts: 32, weights: .fp8, expertWeights: .fp8, kvFormat: .bf16, context: 4989,
        speculation: Speculation(draftTokens: 1, acceptance: 0.85), batch: .timePerOutputToken(seconds: 0.0476))

    /// SGLang's Kimi K2 decode unit on 96 H200s: its throughput and its cost rows share it.
    static let kimiK2Decode = ServingSetup(
        model: "kimi-k2", accelerator: "h200", phase: .decode, devices: 96, expertParallel: 96,
        redundantExperts: 96, context: 2050, batch: .fixed(480))

    /// Every published figure `moebench validate` projects, calibration rows first.
    public static let catalog: [PublishedServingFigure] = [
        // DeepSeek Day-6 (github.com/deepseek-ai/open-infra-index, 202502OpenSourceWeek/
        // day_6_one_more_thing_deepseekV3R1_inference_system_overview.md, 2025-03-01): H800, decode
        // EP144 with 32 redundant experts, FP8 matmuls, BF16 MLA, average KV 4,989, 20–22 tokens/s
        // per user, MTP; 14.8k output tokens/s per node.
        PublishedServingFigure(
            id: "deepseek-v3-decode-h800", title: "DeepSeek V3/R1 production decode, H800 EP144",
            metric: .decodeTokensPerSecondPerDevice, value: 14_800.0 / 8, role: .calibration, tolerance: 0.25,
            setup: deepSeekProductionDecode,
            source: "DeepSeek Day-6 overview, 2025-03-01: 14.8k output tokens/s per H800 node, 20-22 tokens/s per user, KV 4,989; MTP acceptance about 85% (DeepSeek-V3 report)"),
        // Day-6: $87,072 per day at $2 per GPU-hour; decode share priced per output token.
        PublishedServingFigure(
            id: "deepseek-v3-decode-cost-h800", title: "DeepSeek V3/R1 decode cost at $2 per H800-hour",
            metric: .costPerMillionOutputTokens, value: 0.30, role: .calibration, tolerance: 0.25,
            setup: deepSeekProductionDecode.priced(at: 2.0),
            source: "derived from DeepSeek Day-6: $2 / 3600 s / 1,850 tokens/s per GPU = $0.30 per million output tokens"),
        // LMSYS, "Deploying DeepSeek with PD Disaggregation and Large-scale Expert Parallelism on 96
        // H100 GPUs" (lm-sys/lm-sys.github.io blog/2025-05-05-large-scale-ep.md): prefill on 4 nodes,
        // EP32, 16,384 tokens per device, EPLB.
        PublishedServingFigure(
            id: "sglang-v3-prefill-h100-4k", title: "SGLang DeepSeek-V3 prefill, H100 EP32, 4K prompts",
            metric: .prefillTokensPerSecondPerDevice, value: 50_302.0 / 8, role: .calibration, tolerance: 0.25,
            setup: ServingSetup(model: "deepseek-v3", accelerator: "h100", phase: .prefill, devices: 32, expertParallel: 32,
                                redundantExperts: 32, weights: .fp8, expertWeights: .fp8, kvFormat: .bf16, context: 4096),
            source: "LMSYS blog 2025-05-05: 50,302 tokens/s per node at 4K prompts on 4x8 H100, EP32"),
        PublishedServingFigure(
            id: "sglang-v3-prefill-h100-1k", title: "SGLang DeepSeek-V3 prefill, H100 EP32, 1K prompts",
            metric: .prefillTokensPerSecondPerDevice, value: 57_674.0 / 8, role: .check, tolerance: 0.25,
            setup: ServingSetup(model: "deepseek-v3", accelerator: "h100", phase: .prefill, devices: 32, expertParallel: 32,
                                redundantExperts: 32, weights: .fp8, expertWeights: .fp8, kvFormat: .bf16, context: 1024),
            source: "LMSYS blog 2025-05-05: 57,674 tokens/s per node at 1K prompts"),
        PublishedServingFigure(
            id: "sglang-v3-prefill-h100-2k", title: "SGLang DeepSeek-V3 prefill, H100 EP32, 2K prompts",
            metric: .prefillTokensPerSecondPerDevice, value: 54_543.0 / 8, role: .check, tolerance: 0.25,
            setup: ServingSetup(model: "deepseek-v3", accelerator: "h100", phase: .prefill, devices: 32, expertParallel: 32,
                                redundantExperts: 32, weights: .fp8, expertWeights: .fp8, kvFormat: .bf16, context: 2048),
            source: "LMSYS blog 2025-05-05: 54,543 tokens/s per node at 2K prompts"),
        PublishedServingFigure(
            id: "sglang-v3-decode-h100", title: "SGLang DeepSeek-V3 decode, H100 EP72, 256 per GPU, 2K",
            metric: .decodeTokensPerSecondPerDevice, value: 22_282.0 / 8, role: .check, tolerance: 0.25,
            setup: ServingSetup(model: "deepseek-v3", accelerator: "h100", phase: .decode, devices: 72, expertParallel: 72,
                                redundantExperts: 32, weights: .fp8, expertWeights: .fp8, kvFormat: .bf16, context: 2000,
                                batch: .fixed(256)),
            source: "LMSYS blog 2025-05-05: 22,282 tokens/s per node for 2K inputs, 9x8 H100, EP72, 256 sequences per GPU, no MTP"),
        // LMSYS, Kimi K2 on 128 H200 (blog/2025-07-20-k2-large-scale-ep.md): 1 prefill unit of 4
        // nodes, 1 decode unit of 12 nodes with 96 redundant experts, 2,000 in / 100 out. The
        // setup is partly inferred (the batch read as per GPU, the prefill chunk not stated), so
        // these rows carry ±30%.
        PublishedServingFigure(
            id: "sglang-k2-decode-h200", title: "SGLang Kimi K2 decode, H200 EP96, 480 per GPU",
            metric: .decodeTokensPerSecondPerDevice, value: 288_000.0 / 96, role: .check, tolerance: 0.30,
            setup: kimiK2Decode,
            source: "LMSYS blog 2025-07-20: 288k tokens/s on 12 decode nodes, decode batch size 480 (read as per GPU), 2,000 in / 100 out"),
        PublishedServingFigure(
            id: "sglang-k2-decode-cost-h200", title: "SGLang Kimi K2 decode cost at $2.3 per H200-hour",
            metric: .costPerMillionOutputTokens, value: 0.21, role: .check, tolerance: 0.30,
            setup: kimiK2Decode.priced(at: 2.3),
            source: "LMSYS blog 2025-07-20: about $0.21 per million output tokens at $2.3 per H200-hour"),
        PublishedServingFigure(
            id: "sglang-k2-prefill-h200", title: "SGLang Kimi K2 prefill, H200 EP32, 2K prompts",
            metric: .prefillTokensPerSecondPerDevice, value: 224_000.0 / 32, role: .check, tolerance: 0.30,
            setup: ServingSetup(model: "kimi-k2", accelerator: "h200", phase: .prefill, devices: 32, expertParallel: 32,
                                context: 2000),
            source: "LMSYS blog 2025-07-20: 224k tokens/s on 4 prefill nodes, 2,000-token prompts"),
        // LMSYS, GB200 NVL72 part 2 (blog/2025-09-25-gb200-part-2.md): decode on 48 GPUs, FP8
        // attention and KV, NVFP4 experts, batch 1,408 per GPU at 2K input.
        PublishedServingFigure(
            id: "sglang-v3-decode-gb200", title: "SGLang DeepSeek-V3 decode, GB200 NVL72 EP48, NVFP4 experts",
            metric: .decodeTokensPerSecondPerDevice, value: 13_386, role: .check, tolerance: 0.25,
            setup: ServingSetup(model: "deepseek-v3", accelerator: "gb200", phase: .decode, devices: 48, expertParallel: 48,
                                weights: .fp8, expertWeights: .nvfp4, kvFormat: .fp8, context: 2000, batch: .fixed(1408)),
            source: "LMSYS blog 2025-09-25: 13,386 output tokens/s per GPU, 2,000-token input, batch 1,408 per GPU"),
        // Ant Group on H20 (blog/2025-09-26-sglang-ant-group.md): DP16 + EP16 on 2 nodes, MTP one
        // step with an accept length of about 1.8, 4,096 in / 1,536 out.
        PublishedServingFigure(
            id: "sglang-r1-decode-h20", title: "SGLang/Ant DeepSeek-R1 decode, H20 EP16, 48 per GPU",
            metric: .decodeTokensPerSecondPerDevice, value: 714, role: .check, tolerance: 0.25,
            setup: ServingSetup(model: "deepseek-v3", accelerator: "h20", phase: .decode, devices: 16, expertParallel: 16,
                                weights: .fp8, expertWeights: .fp8, kvFormat: .fp8, context: 4864,
                                speculation: Speculation(draftTokens: 1, acceptance: 0.8), batch: .fixed(48)),
            source: "LMSYS/Ant blog 2025-09-26: 714 tokens/s per GPU at batch 48 (TPOT < 70 ms tier), MTP accept length about 1.8, FP8 MLA"),
        PublishedServingFigure(
            id: "sglang-r1-prefill-h20", title: "SGLang/Ant DeepSeek-R1 prefill, H20 TP8, 4K prompts",
            metric: .prefillTokensPerSecondPerDevice, value: 16_500.0 / 8, role: .check, tolerance: 0.25,
            setup: ServingSetup(model: "deepseek-v3", accelerator: "h20", phase: .prefill, devices: 8, tensorParallel: 8,
                                expertParallel: 8, weights: .fp8, expertWeights: .fp8, kvFormat: .fp8, context: 4096),
            source: "LMSYS/Ant blog 2025-09-26: 16.5k input tokens/s per node, prefill TP8 on one node, 4,096-token input"),
        // CloudMatrix-Infer (arXiv 2506.12708): DeepSeek-R1 INT8 on Ascend 910C packages. Headline
        // numbers from the abstract; batch, TPOT and MTP from third-party notes of its tables.
        PublishedServingFigure(
            id: "cloudmatrix-r1-decode-910c", title: "CloudMatrix-Infer DeepSeek-R1 decode, 160 x 910C, TPOT < 50 ms",
            metric: .decodeTokensPerSecondPerDevice, value: 1943, role: .check, tolerance: 0.25,
            setup: ServingSetup(model: "deepseek-v3", accelerator: "ascend-910c", phase: .decode, devices: 160, expertParallel: 160,
                                redundantExperts: 32, weights: .int8, expertWeights: .int8, kvFormat: .bf16, context: 4224,
                                speculation: Speculation(draftTokens: 1, acceptance: 0.7),
                                batch: .timePerOutputToken(seconds: 0.050)),
            source: "arXiv 2506.12708 abstract: 1,943 tokens/s per NPU at TPOT < 50 ms; EP320 over 160 packages, MTP acceptance 70% (third-party notes)"),
        PublishedServingFigure(
            id: "cloudmatrix-r1-prefill-910c", title: "CloudMatrix-Infer DeepSeek-R1 prefill, 16 x 910C, 4K prompts",
            metric: .prefillTokensPerSecondPerDevice, value: 5655, role: .check, tolerance: 0.25,
            setup: ServingSetup(model: "deepseek-v3", accelerator: "ascend-910c", phase: .prefill, devices: 16, expertParallel: 16,
                                redundantExperts: 32, weights: .int8, expertWeights: .int8, kvFormat: .bf16, context: 4096),
            source: "arXiv 2506.12708: 6,688 tokens/s per NPU with perfect EPLB (abstract), 5,655 with default EPLB (Table 2, third-party notes)"),
        // Day-6 prefill: a day's average with unknown prompt lengths; shown, not tuned to.
        PublishedServingFigure(
            id: "deepseek-v3-prefill-h800", title: "DeepSeek V3/R1 production prefill incl. cache hits, H800 EP32",
            metric: .prefillTokensPerSecondPerDevice, value: 73_700.0 / 8, role: .report, tolerance: nil,
            setup: ServingSetup(model: "deepseek-v3", accelerator: "h800", phase: .prefill, devices: 32, expertParallel: 32,
                                redundantExperts: 32, weights: .fp8, expertWeights: .fp8, kvFormat: .bf16, context: 4989,
                                cacheHitRate: 0.563),
            source: "DeepSeek Day-6: 73.7k input tokens/s per node including cache hits (32.2k excluding: hit rate 0.563); prompt lengths unknown, 4,989 assumed"),
    ]
}
