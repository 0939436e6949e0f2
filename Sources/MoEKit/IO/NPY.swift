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
/// float32 `<f4`, int32 `<i4` and uint16 `<u2`, C order; bf16 data as raw bits, see
/// ``readFloatingPoint(from:availableMemory:)``).
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
        let width = S.npyByteCount
        bytes.reserveCapacity(bytes.count + width * array.values.count)
        for value in array.values {
            let bits = value.npyBits
            for byte in 0..<width { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * byte))) }
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
        let (headerStart, headerLength) = try preamble(bytes, path: path)
        guard bytes.count >= headerStart + headerLength else {
            throw .malformedHeader(path: path, reason: "file ends inside the \(headerLength)-byte header")
        }
        let header = try header(bytes[headerStart..<(headerStart + headerLength)], path: path)
        try checkDType(header, as: S.self, path: path)
        let count = try elementCount(header, as: S.self, path: path)
        let width = S.npyByteCount
        let dataStart = headerStart + headerLength
        let available = bytes.count - dataStart
        guard available >= width * count else {
            throw .truncated(path: path, expectedBytes: width * count, actualBytes: available)
        }
        guard available == width * count else {
            throw .trailingBytes(path: path, count: available - width * count)
        }
        let values = [S](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { raw in
                for i in 0..<count {
                    let bits = width == 2
                        ? UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: dataStart + 2 * i, as: UInt16.self)))
                        : UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: dataStart + 4 * i, as: UInt32.self))
                    buffer[i] = S(npyBits: bits)
                }
            }
            initialized = count
        }
        return NPYArray(shape: header.shape, values: values)
    }

    /// The longest header accepted, bytes (NumPy itself reads at most 10,000 by default).
    public static let maximumHeaderBytes = 1 << 20

    /// Checks the magic string and version at the start of `bytes` (at least the first 10,
    /// or 12 for version 2.0, when the file has them) and returns where the header starts and
    /// its length.
    static func preamble(_ bytes: [UInt8], path: String) throws(NPYError) -> (start: Int, length: Int) {
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
        guard headerLength <= maximumHeaderBytes else {
            throw .malformedHeader(path: path, reason: "the header is \(headerLength) bytes, above the \(maximumHeaderBytes)-byte limit")
        }
        return (headerStart, headerLength)
    }

    /// Parses the header dictionary and checks the order (C).
    static func header(_ text: ArraySlice<UInt8>, path: String) throws(NPYError) -> NPYHeader {
        let header = try NPYHeader(parsing: String(decoding: text, as: UTF8.self), path: path)
        guard !header.fortranOrder else { throw .fortranOrder(path: path) }
        return header
    }

    /// Checks that the header's dtype is `S`'s.
    static func checkDType<S: NPYScalar>(_ header: NPYHeader, as type: S.Type, path: String) throws(NPYError) {
        guard header.descriptor == S.npyDescriptor else {
            throw .unsupportedDType(path: path, found: header.descriptor, expected: S.npyDescriptor)
        }
    }

    /// The element count of the header's shape, after checking that its bytes as `S` fit in `Int`.
    static func elementCount<S: NPYScalar>(_ header: NPYHeader, as type: S.Type, path: String) throws(NPYError) -> Int {
        let (count, overflow) = header.shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o)
        }
        guard !overflow, count <= Int.max / S.npyByteCount else {
            throw .malformedHeader(path: path, reason: "shape \(header.shape) is too large")
        }
        return count
    }

    /// Reads an `.npy` file: the header first, then, once its shape has been checked against
    /// the file's size and the available memory, exactly the data it announces.
    ///
    /// A FIFO or other special file is read the same way, so it is never read past the data
    /// the header announces (plus up to 1 MiB to report trailing bytes).
    ///
    /// - Parameters:
    ///   - type: `Float` (`<f4`), `Int32` (`<i4`) or `UInt16` (`<u2`).
    ///   - url: The file; errors name it as `url.relativePath`.
    ///   - availableMemory: Bytes the data may take; ``SystemMemory/availableBytes`` by default,
    ///     `nil` skips the check.
    /// - Throws: ``NPYError/io(path:reason:)`` when the file cannot be read (missing, a
    ///   directory, not permitted), ``NPYError/insufficientMemory(path:_:)`` before allocating
    ///   data that would not fit, and the errors of ``decode(_:as:path:)``.
    public static func read<S: NPYScalar>(
        _ type: S.Type = S.self, from url: URL, availableMemory: Int? = SystemMemory.availableBytes
    ) throws(NPYError) -> NPYArray<S> {
        let file = try OpenFile(url)
        try checkDType(file.header, as: S.self, path: file.path)
        return try file.data(as: S.self, availableMemory: availableMemory)
    }

    /// An `.npy` file whose header has been read and parsed; the data comes next.
    struct OpenFile {
        let path: String
        let file: InputFile
        let header: NPYHeader
        /// Bytes before the data: preamble and header.
        let headerBytes: Int

        init(_ url: URL) throws(NPYError) {
            let path = url.relativePath
            let file: InputFile
            do { file = try InputFile(path: url.path) } catch { throw .io(path: path, reason: error.reason) }
            func read(_ n: Int) throws(NPYError) -> [UInt8] {
                do { return try file.readBytes(n) } catch { throw .io(path: path, reason: error.reason) }
            }
            var prefix = try read(10)
            if prefix.count == 10 && prefix[6] == 2 { prefix += try read(2) }
            let (headerStart, headerLength) = try NPY.preamble(prefix, path: path)
            prefix += try read(headerLength)
            guard prefix.count == headerStart + headerLength else {
                throw .malformedHeader(path: path, reason: "file ends inside the \(headerLength)-byte header")
            }
            self.path = path
            self.file = file
            self.header = try NPY.header(prefix[headerStart...], path: path)
            self.headerBytes = prefix.count
        }

        /// Reads the data as `S` (whose width the dtype must have): sizes checked against
        /// the file's and the available memory before allocating.
        func data<S: NPYScalar>(as type: S.Type, availableMemory: Int?) throws(NPYError) -> NPYArray<S> {
            func io(_ failure: InputFile.Failure) -> NPYError { .io(path: path, reason: failure.reason) }
            let count = try NPY.elementCount(header, as: S.self, path: path)
            let width = S.npyByteCount
            let dataBytes = width * count
            if let size = file.regularFileSize {
                let available = size - headerBytes
                guard available >= dataBytes else { throw .truncated(path: path, expectedBytes: dataBytes, actualBytes: available) }
                guard available == dataBytes else { throw .trailingBytes(path: path, count: available - dataBytes) }
            }
            do { try SystemMemory.require("data", shape: header.shape, elementBytes: width, available: availableMemory) }
            catch { throw .insufficientMemory(path: path, error) }

            var failure: InputFile.Failure?
            var got = 0
            var values = [S](unsafeUninitializedCapacity: count) { buffer, initialized in
                do throws(InputFile.Failure) { got = try file.read(into: UnsafeMutableRawBufferPointer(buffer)) } catch { failure = error }
                // Whole elements only; the rest is refused below.
                initialized = failure == nil && got == dataBytes ? count : 0
            }
            if let failure { throw io(failure) }
            guard got == dataBytes else { throw .truncated(path: path, expectedBytes: dataBytes, actualBytes: got) }
            if file.regularFileSize == nil {
                let extra: Int
                do { extra = try file.remainingBytes(upTo: 1 << 20) } catch { throw io(error) }
                guard extra == 0 else { throw .trailingBytes(path: path, count: extra) }
            }
            // The data is little-endian; a no-op on little-endian hosts.
            if 1.littleEndian != 1 {
                for i in values.indices {
                    let bits = values[i].npyBits
                    values[i] = S(npyBits: width == 2 ? UInt32(UInt16(truncatingIfNeeded: bits).byteSwapped) : bits.byteSwapped)
                }
            }
            return NPYArray(shape: header.shape, values: values)
        }
    }
}
