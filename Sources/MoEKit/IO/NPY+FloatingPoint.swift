//===--- NPY+FloatingPoint.swift - float32 or bf16 data from one reader --===//
//
// NumPy has no bf16 type. Two ways of saving bf16 data are common:
// - the raw bits as uint16 (`x.view(np.uint16)`), dtype '<u2': portable, loads anywhere;
// - an `ml_dtypes.bfloat16` array given to `np.save` as it is: the header then says '<V2'
//   (a 2-byte opaque void), because `np.save` writes the dtype's type string and
//   ml_dtypes' types use the character code 'V' (https://github.com/jax-ml/ml_dtypes/issues/41;
//   checked with NumPy 2.4.6 and ml_dtypes 0.6.0, see Tests/MoEKitTests/IO/Fixtures).
//
//===----------------------------------------------------------------------===//

import Foundation

/// Real numbers read from an `.npy` file: float32, or bf16 stored as raw bits.
public enum NPYFloatingPointArray: Sendable, Equatable {
    /// `<f4` data.
    case float32(NPYArray<Float>)
    /// bf16 data: bit patterns (the upper 16 bits of each float32), from `<u2` or `<V2`.
    case bfloat16(NPYArray<UInt16>)

    /// The dimensions, outermost first.
    public var shape: [Int] {
        switch self {
        case .float32(let a): a.shape
        case .bfloat16(let a): a.shape
        }
    }

    /// The values as float32; bf16 values are widened exactly.
    /// - Complexity: O(*n*) for bf16 data (a new array), O(1) for float32.
    public var float32Values: [Float] {
        switch self {
        case .float32(let a): a.values
        case .bfloat16(let a): a.values.map(BFloat16.float)
        }
    }
}

extension NPY {
    /// The dtypes read as bf16 bits by ``readFloatingPoint(from:availableMemory:)``: `<u2`
    /// (uint16 holding the bits, the portable convention) and `<V2` (what `np.save` writes
    /// for an `ml_dtypes.bfloat16` array).
    public static let bfloat16Descriptors = ["<u2", "<V2"]

    /// Reads an `.npy` file of float32 (`<f4`) or bf16 data (raw bits, dtype `<u2` or `<V2`),
    /// with the checks of ``read(_:from:availableMemory:)``.
    ///
    /// - Parameter availableMemory: Bytes the data may take (4 or 2 per element);
    ///   ``SystemMemory/availableBytes`` by default, `nil` skips the check.
    /// - Throws: ``NPYError/unsupportedDType(path:found:expected:)`` for another dtype, and
    ///   the errors of ``read(_:from:availableMemory:)``.
    public static func readFloatingPoint(
        from url: URL, availableMemory: Int? = SystemMemory.availableBytes
    ) throws(NPYError) -> NPYFloatingPointArray {
        let file = try OpenFile(url)
        let descriptor = file.header.descriptor
        if descriptor == Float.npyDescriptor {
            return .float32(try file.data(as: Float.self, availableMemory: availableMemory))
        }
        if bfloat16Descriptors.contains(descriptor) {
            return .bfloat16(try file.data(as: UInt16.self, availableMemory: availableMemory))
        }
        throw .unsupportedDType(path: file.path, found: descriptor,
                                expected: ([Float.npyDescriptor] + bfloat16Descriptors).joined(separator: ", "))
    }
}
