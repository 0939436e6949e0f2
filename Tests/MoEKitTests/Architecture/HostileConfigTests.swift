//===--- HostileConfigTests.swift - Every integer key of the new configs, pushed to extremes ===//

import Foundation
import Testing
@testable import MoEKit

/// The issue-11 preset configs with each integer key (at the root, in `text_config` and in
/// `linear_attn_config`) set in turn to 0, −1 and 2^40: loading either throws a
/// ``ModelSpecError`` or gives a spec whose parameter counts and estimates are finite. A trap
/// (integer overflow, an array of an absurd size) fails the run.
///
/// Found this way: Qwen3-Next's `mtp_num_hidden_layers` was read without a bound, and 2^40 MTP
/// layers overflowed the parameter count (`ParameterCount.swift`, the MTP product).
@Suite("Hostile values in real configs")
struct HostileConfigTests {
    static let presets = ["glm-4.6", "glm-5", "minimax-m2", "llama-4-maverick", "qwen3-next-80b-a3b",
                          "qwen3.5-397b-a17b", "kimi-linear-48b-a3b", "kimi-k3"]

    /// Paths of the integer (and boolean) values in the objects a loader reads.
    static func integerPaths(_ object: [String: Any], prefix: [String] = []) -> [[String]] {
        var paths: [[String]] = []
        for (key, value) in object {
            if let nested = value as? [String: Any], ["text_config", "linear_attn_config"].contains(key) {
                paths += integerPaths(nested, prefix: prefix + [key])
            } else if let number = value as? NSNumber, number.doubleValue.rounded() == number.doubleValue {
                // Booleans may come back as numbers too; an integer in their place is refused.
                paths.append(prefix + [key])
            }
        }
        return paths
    }

    static func setting(_ object: [String: Any], _ path: [String], to value: Any) -> [String: Any] {
        var copy = object
        if path.count == 1 {
            copy[path[0]] = value
        } else if let nested = copy[path[0]] as? [String: Any] {
            copy[path[0]] = setting(nested, Array(path.dropFirst()), to: value)
        }
        return copy
    }

    @Test(arguments: presets)
    func extremeIntegers(_ name: String) throws {
        let base = try presetConfig(name)
        let paths = Self.integerPaths(base)
        #expect(paths.count >= 10, "\(name): \(paths.count) integer keys")
        for path in paths {
            for value in [0, -1, 1 << 40] {
                let data = try JSONSerialization.data(withJSONObject: Self.setting(base, path, to: value))
                let spec: ModelSpec
                do { spec = try ModelSpec(configJSON: data) } catch { continue }
                let count = spec.parameterCount
                #expect(count.total.total > 0 && count.mtp >= 0, "\(name) \(path) = \(value)")
                let estimator = CostEstimator(model: spec)
                let decode = try estimator.decode(context: 1 << 20)
                let prefill = try estimator.prefill(tokens: 1 << 17)
                #expect(decode.totalFlops.isFinite && prefill.totalFlops.isFinite, "\(name) \(path) = \(value)")
            }
        }
    }

    /// The regression by itself: 2^40 MTP layers are refused naming the key.
    @Test func mtpLayersAreBounded() throws {
        let data = try JSONSerialization.data(withJSONObject: Self.setting(try presetConfig("qwen3-next-80b-a3b"),
                                                                            ["mtp_num_hidden_layers"], to: 1 << 40))
        #expect {
            _ = try ModelSpec(configJSON: data)
        } throws: { error in
            "\(error)".contains("'mtp_num_hidden_layers' = 1099511627776 is invalid: must be at most 64")
        }
    }
}
