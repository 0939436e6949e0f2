//===--- BenchReport+Limits.swift - The limits section of moebench bench ---===//

import MoEKit

extension BenchReport {
    var gateFormatName: String {
        gateFormat == .float32 ? "fp32" : "bf16 (\(BFloat16.Kernel.selected.rawValue) kernel)"
    }

    func limitsTable(_ l: RoutingBenchmark.Limits) -> String {
        let t = Double(l.tokens)
        func perToken(_ s: TimingSummary) -> String {
            "\(Format.fixed(s.median / t * 1e6, 3)) µs/token (min \(Format.fixed(s.minimum / t * 1e6, 3)))"
        }
        var out = "limits (one thread, T=\(l.tokens)):\n"
        out += "  route from logits: MoEKit \(perToken(l.route))"
        if let base = l.baselineRoute, let speedup = l.routeSpeedup, let speedupMin = l.routeSpeedupOfMinimums {
            out += "; scalar C baseline \(perToken(base)); \(Format.fixed(speedup, 1))x faster (min \(Format.fixed(speedupMin, 1))x)"
        }
        out += "\n"
        let fp32 = l.gemmFLOPs / l.float32GEMM.median
        out += "  router GEMM: fp32 OpenBLAS \(Format.seconds(l.float32GEMM.median)) (min \(Format.seconds(l.float32GEMM.minimum)), "
        out += "\(Format.fixed(fp32 / 1e9, 1)) GFLOP/s)\n"
        for (kernel, time) in l.bfloat16GEMMByKernel {
            let rate = l.gemmFLOPs / time.median
            out += "    bf16 \(kernel.rawValue)\(kernel == l.bfloat16Kernel ? " (used)" : ""): \(Format.seconds(time.median)) "
            out += "(min \(Format.seconds(time.minimum)), \(Format.fixed(rate / 1e9, 1)) GFLOP/s), "
            out += "\(Format.fixed(l.float32GEMM.median / time.median, 2))x fp32 (min \(Format.fixed(l.float32GEMM.minimum / time.minimum, 2))x)"
            if kernel == .avx512bf16, let dp = l.bfloat16Peak {
                out += ", \(Format.fixed(100 * rate / dp, 0))% of the vdpbf16ps peak (min \(Format.fixed(100 * l.gemmFLOPs / time.minimum / dp, 0))%)"
            }
            out += "\n"
        }
        out += "  peaks: sgemm \(peak > 0 ? Format.fixed(peak / 1e9, 1) + " GFLOP/s" : "not measured")"
        if let dp = l.bfloat16Peak {
            out += "; vdpbf16ps register-only \(Format.fixed(dp / 1e9, 1)) GFLOP/s"
        } else {
            out += "; no AVX512-BF16 on this CPU"
        }
        out += "\n"
        out += "  bf16 accuracy: max error \(String(format: "%.2e", l.bfloat16MaxError)) (relative to max(|x|, 0.1), "
        out += "\(l.accuracyTokens) tokens vs float64); experts differ from an fp32 GEMM of the same bf16 inputs on "
        out += "\(l.bfloat16Mismatches) of \(l.tokens) tokens (\(Format.fixed(100 * l.bfloat16MismatchRate, 3))%)\n"
        out += "  one token (GEMV + route, calling thread): fp32 \(Format.seconds(l.singleTokenFloat32.median)) "
        out += "(min \(Format.seconds(l.singleTokenFloat32.minimum))), bf16 \(Format.seconds(l.singleTokenBFloat16.median)) "
        out += "(min \(Format.seconds(l.singleTokenBFloat16.minimum)))\n"
        out += "  memory read \(Format.fixed(l.readBandwidth / 1e9, 1)) GB/s: streaming the gate takes fp32 "
        out += "\(Format.seconds(l.float32GateStreamSeconds)) (\(Format.binaryBytes(l.float32GateBytes))), bf16 "
        out += "\(Format.seconds(l.bfloat16GateStreamSeconds)) (\(Format.binaryBytes(l.bfloat16GateBytes))); one token / stream: "
        out += "fp32 \(Format.fixed(l.singleTokenFloat32.median / l.float32GateStreamSeconds, 2))x, "
        out += "bf16 \(Format.fixed(l.singleTokenBFloat16.median / l.bfloat16GateStreamSeconds, 2))x "
        out += "(min \(Format.fixed(l.singleTokenBFloat16.minimum / l.bfloat16GateStreamSeconds, 2))x)\n"
        return out
    }

    func limitsJSON(_ l: RoutingBenchmark.Limits) -> [String: Any] {
        func timing(_ s: TimingSummary) -> [String: Any] { ["median_seconds": s.median, "min_seconds": s.minimum] }
        var object: [String: Any] = [
            "tokens": l.tokens, "route": timing(l.route),
            "gemm_fp32": timing(l.float32GEMM), "gemm_bf16": timing(l.bfloat16GEMM),
            "bf16_kernel": l.bfloat16Kernel.rawValue, "gemm_flops": l.gemmFLOPs,
            "bf16_over_fp32_speed": l.bfloat16Speedup,
            "bf16_max_error": l.bfloat16MaxError, "bf16_accuracy_tokens": l.accuracyTokens,
            "bf16_expert_mismatches": l.bfloat16Mismatches,
            "single_token_fp32": timing(l.singleTokenFloat32), "single_token_bf16": timing(l.singleTokenBFloat16),
            "read_bandwidth_bytes_per_second": l.readBandwidth,
            "gate_stream_seconds_fp32": l.float32GateStreamSeconds, "gate_stream_seconds_bf16": l.bfloat16GateStreamSeconds,
        ]
        if let base = l.baselineRoute { object["route_scalar_baseline"] = timing(base) }
        object["gemm_bf16_by_kernel"] = Dictionary(uniqueKeysWithValues: l.bfloat16GEMMByKernel.map { ($0.kernel.rawValue, timing($0.time)) })
        if let speedup = l.routeSpeedup { object["route_speedup_over_baseline"] = speedup }
        if let dp = l.bfloat16Peak { object["vdpbf16ps_peak_gflops"] = dp / 1e9 }
        return object
    }
}
