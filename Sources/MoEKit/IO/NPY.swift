//===--- NPY.swift - NumPy .npy encoding and decoding ----------------------===//
//
// Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
// magic "\x93NUMPY", major, minor, header length (u16 LE in 1.0, u32 LE in 2.0), an ASCII
// Python dict literal with 'descr', 'fortran_order' and 'shape', padded with spaces and a
// final newline so the data starts on a 64-byte boundary, then the raw data.
//
//===----------------------------------------------------------------------===//

import Foundation

/// Reads and writes NumPy `.npy` files (format versions 1.0 and 2.0, little-endian
/// float32 `<f4` and int32 `<i4`, C order).
public enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    /// Encodes `array` as an `.npy` file: version 1.0, or 2.0 when the header needs it.
    ///
    /// - Complexity: O(`array.values.count`).
    public static func encode<S: NPYScalar>(_ array: NPYArray<S>) -> [UInt8] {
        let shape: String
        switch array.shape.count {
        case 0: shape = "()"
        case 1: shape = "(\(array.shape[0]),)"
        default: shape = "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '\(S.npyDescriptor)', 'fortran_order': False, 'shape': \(shape), }"
        let version: UInt8 = header.utf8.count + 1 + 10 > 65_535 ? 2 : 1
        let prefix = version == 1 ? 10 : 12
        let unpadded = prefix + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes = magic + [version, 0]
        let length = header.utf8.count
        if version == 1 {
            bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
        } else {
            bytes += (0..<4).map { UInt8((length >> (8 * $0)) & 0xFF) }
        }
        bytes += Array(header.utf8)
        bytes.reserveCapacity(bytes.count + 4 * array.values.count)
        for value in array.values {
            let bits = value.npyBits
            bytes += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF),
                      UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)]
        }
        return bytes
    }

    /// Decodes an `.npy` file's bytes; `path` only names the file in errors.
    ///
    /// - Throws: ``NPYError`` for a missing magic string, an unsupported version, a malformed
    ///   header, another dtype, Fortran order, or a data size that does not match the shape.
    /// - Complexity: O(number of bytes).
    public static func decode<S: NPYScalar>(
        _ bytes: [UInt8], as type: S.Type = S.self, path: String = "<memory>"
    ) throws(NPYError) -> NPYArray<S> {
        guard bytes.count >= 6, Array(bytes[0..<6]) == magic else { throw .notNPY(path: path) }
        guard bytes.count >= 10 else { throw .malformedHeader(path: path, reason: "file ends inside the preamble") }
        let major = bytes[6], minor = bytes[7]
        guard (major == 1 || major == 2), minor == 0 else {
            throw .unsupportedVersion(path: path, major: major, minor: minor)
        }
        let headerStart = major == 1 ? 10 : 12
        guard bytes.count >= headerStart else { throw .malformedHeader(path: path, reason: "file ends inside the preamble") }
        let headerLength = major == 1
            ? Int(bytes[8]) | Int(bytes[9]) << 8
            : (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        guard bytes.count >= headerStart + headerLength else {
            throw .malformedHeader(path: path, reason: "file ends inside the \(headerLength)-byte header")
        }
        let text = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        let header = try NPYHeader(parsing: text, path: path)
        guard header.descriptor == S.npyDescriptor else {
            throw .unsupportedDType(path: path, found: header.descriptor, expected: S.npyDescriptor)
        }
        guard !header.fortranOrder else { throw .fortranOrder(path: path) }
        let (count, overflow) = header.shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o)
        }
        guard !overflow, count <= Int.max / 4 else {
            throw .malformedHeader(path: path, reason: "shape \(header.shape) is too large")
        }
        let dataStart = headerStart + headerLength
        let available = bytes.count - dataStart
        guard available >= 4 * count else {
            throw .truncated(path: path, expectedBytes: 4 * count, actualBytes: available)
        }
        guard available == 4 * count else {
            throw .trailingBytes(path: path, count: available - 4 * count)
        }
        let values = [S](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { raw in
                for i in 0..<count {
                    let bits = raw.loadUnaligned(fromByteOffset: dataStart + 4 * i, as: UInt32.self)
                    buffer[i] = S(npyBits: UInt32(littleEndian: bits))
                }
            }
            initialized = count
        }
        return NPYArray(shape: header.shape, values: values)
    }

    /// Reads an `.npy` file.
    ///
    /// - Throws: ``NPYError/io(path:reason:)`` when the file cannot be read, and the errors of
    ///   ``decode(_:as:path:)``.
    public static func read<S: NPYScalar>(_ type: S.Type = S.self, from url: URL) throws(NPYError) -> NPYArray<S> {
        let path = url.relativePath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw .io(path: path, reason: "cannot read file (no such file)")
        }
        guard !isDirectory.boolValue else { throw .io(path: path, reason: "cannot read file (it is a directory)") }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .io(path: path, reason: "cannot read file (\(fileErrorReason(error)))")
        }
        return try decode([UInt8](data), as: type, path: path)
    }
}
