//===--- ModelSpec+Quantization.swift - Weight formats from quantization_config ===//
//
// quant_method values seen in the models' Hugging Face config.json files: `fp8` (DeepSeek, Kimi K2;
// V4 adds `expert_dtype: fp4`), `mxfp4` (gpt-oss), `compressed-tensors` (Kimi K2.5/K2.6 INT4,
// group 32), `modelopt` with `quant_algo: NVFP4` (NVIDIA's Kimi K2.6, `nvidia/Kimi-K2.6-NVFP4`).
//
//===----------------------------------------------------------------------===//

extension ModelSpec {
    /// The weight formats a `quantization_config` describes (BF16 when there is none).
    static func weightPrecision(_ q: ConfigReader?, expertDType: String?) throws(ModelSpecError) -> WeightPrecision {
        var precision = WeightPrecision(.bf16)
        if let q {
            switch try q.string("quant_method") {
            case "fp8":
                precision = WeightPrecision(.fp8)
            case "mxfp4":
                // gpt-oss: experts in MXFP4; attention, router, embedding and head not converted.
                precision = WeightPrecision(dense: .bf16, experts: .mxfp4)
            case "compressed-tensors":
                // Kimi K2.5/K2.6: routed experts INT4; attention, shared experts and dense MLPs ignored.
                if let groups = try q.nested("config_groups") {
                    for key in groups.object.keys.sorted() {
                        guard let weights = try groups.nested(key)?.nested("weights") else { continue }
                        let bits = try weights.int("num_bits", default: 16)
                        let type = try weights.string("type")
                        if bits == 4 && type == "int" {
                            precision = WeightPrecision(dense: .bf16, experts: .int4(groupSize: try weights.int("group_size", default: 32, minimum: 1)))
                        } else if bits == 4 && type == "float" {
                            // Kimi K3: `"format": "mxfp4-pack-quantized"` (E8M0 scales per 32);
                            // other 4-bit float schemes are NVFP4.
                            let mx = (try q.string("format") ?? "").contains("mxfp4")
                            precision = WeightPrecision(dense: .bf16, experts: mx ? .mxfp4 : .nvfp4)
                        } else if bits == 8 {
                            precision = WeightPrecision(.fp8)
                        }
                        break
                    }
                }
            case "modelopt":
                switch try q.string("quant_algo")?.uppercased() {
                case "NVFP4": precision = WeightPrecision(dense: .bf16, experts: .nvfp4)
                case "FP8": precision = WeightPrecision(.fp8)
                default: break
                }
            default:
                break
            }
        }
        if let expertDType {
            switch expertDType.lowercased() {
            // DeepSeek-V4 "FP4 + FP8 Mixed": FP4 experts with UE8M0 block scales (DeepSeek-V4 model
            // cards; `expert_dtype` and `scale_fmt: ue8m0` in the V4 config.json).
            case "fp4", "mxfp4": precision.experts = .mxfp4
            case "fp8": precision.experts = .fp8
            case "bf16", "bfloat16": precision.experts = .bf16
            default: break
            }
        }
        return precision
    }

    /// FP8 KV when the quantization config declares an 8-bit `kv_cache_scheme`, else `fallback`.
    static func kvStorage(_ q: ConfigReader?, default fallback: KVStorage) throws(ModelSpecError) -> KVStorage {
        guard let scheme = try q?.nested("kv_cache_scheme") else { return fallback }
        var storage = fallback
        if try scheme.int("num_bits", default: 16) == 8 { storage.kv = .fp8 }
        return storage
    }
}
