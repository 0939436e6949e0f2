//===--- FuzzNPY.swift - libFuzzer target: the .npy reader -----------------===//
//
// Decodes the input as a float32, an int32 and a uint16 (bf16 bits) `.npy` file. Each
// decoding throws an `NPYError`, or the array it returns holds exactly product(shape) values
// and survives encode → decode unchanged, bit for bit.
//
//===----------------------------------------------------------------------===//

import MoEKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ data: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: data, count: count))
    do {
        check(try NPY.decode(bytes, as: Float.self, path: "fuzz.npy"), bits: \.bitPattern)
    } catch {
        _ = error.description
    }
    do {
        check(try NPY.decode(bytes, as: Int32.self, path: "fuzz.npy"), bits: { UInt32(bitPattern: $0) })
    } catch {
        _ = error.description
    }
    do {
        check(try NPY.decode(bytes, as: UInt16.self, path: "fuzz.npy"), bits: { UInt32($0) })
    } catch {
        _ = error.description
    }
    return 0
}

/// Traps (a libFuzzer finding) unless `array` is consistent and round-trips exactly.
func check<S: NPYScalar>(_ array: NPYArray<S>, bits: (S) -> UInt32) {
    var product = 1
    for d in array.shape {
        guard d >= 0 else { fatalError("negative dimension in \(array.shape)") }
        product *= d
    }
    guard product == array.values.count else {
        fatalError("shape \(array.shape) but \(array.values.count) values")
    }
    let again: NPYArray<S>
    do { again = try NPY.decode(NPY.encode(array), as: S.self) } catch {
        fatalError("re-encoded array does not decode: \(error)")
    }
    guard again.shape == array.shape, again.values.map(bits) == array.values.map(bits) else {
        fatalError("encode → decode changed the array of shape \(array.shape)")
    }
}
