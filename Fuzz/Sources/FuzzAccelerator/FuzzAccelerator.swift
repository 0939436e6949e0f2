//===--- FuzzAccelerator.swift - libFuzzer target: accelerator files ------===//
//
// Loads the input as a user's accelerator file. Either loading throws an `AcceleratorError`,
// or the accelerator it returns has positive, finite figures and projects a decode step and a
// prefill of a built-in model without trapping.
//
//===----------------------------------------------------------------------===//

import Foundation
import MoEKit

/// The model every accepted accelerator is projected with, loaded once.
let model: ModelSpec = {
    do { return try ModelSpec.preset(named: "deepseek-v3") } catch { fatalError("preset: \(error)") }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAccelerator(_ data: UnsafeRawPointer?, _ count: Int) -> CInt {
    let json = Data(UnsafeRawBufferPointer(start: data, count: count))
    let accelerator: Accelerator
    do {
        accelerator = try Accelerator(json: json, file: "fuzz.json")
    } catch {
        _ = error.description
        return 0
    }
    let figures = Array(accelerator.peakFlops.values) + [accelerator.hbmCapacity]
    guard figures.allSatisfy({ $0.isFinite && $0 > 0 }) else {
        fatalError("accepted a non-positive or non-finite figure: \(accelerator)")
    }
    for devices in [1, 8] {
        do {
            let projection = try ServingProjection(
                model: model, accelerator: accelerator,
                deployment: Deployment(model: model, devices: devices, context: 4096))
            _ = projection.prefill()
            _ = try projection.decode(batchPerDevice: 1)
            _ = try projection.decode(.timePerOutputToken(seconds: 0.05))
        } catch {
            _ = error.description
        }
    }
    return 0
}
