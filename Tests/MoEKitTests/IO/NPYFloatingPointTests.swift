//===--- NPYFloatingPointTests.swift - uint16 and bf16 .npy files ---------===//

import Foundation
import Testing
@testable import MoEKit

@Suite("NPY files: uint16 and bf16 data")
struct NPYFloatingPointTests {
    /// The bits of `[[1.0, -2.5, 0.1], [3.0, 1e-30, -0.0]]` in bf16, worked by hand:
    /// 1.0 = 0x3F80; -2.5 = -1.25·2^1 = 0xC020; 0.1 = 1.6·2^-4, mantissa 1.1001100|11..., rounds
    /// up to 0x3DCD (= 0.10009765625); 3.0 = 1.5·2^1 = 0x4040; 1e-30 = float32 0x0DA24260, the
    /// dropped half 0x4260 is below 0x8000: 0x0DA2; -0.0 = 0x8000.
    static let bits: [UInt16] = [0x3F80, 0xC020, 0x3DCD, 0x4040, 0x0DA2, 0x8000]

    @Test("Reads bf16 bits saved by NumPy as '<u2' and by ml_dtypes as '<V2'")
    func readsBFloat16() throws {
        let u2 = try NPY.read(UInt16.self, from: fixtures.appendingPathComponent("bf16_u2_2x3.npy"))
        #expect(u2 == NPYArray(shape: [2, 3], values: Self.bits))
        for name in ["bf16_u2_2x3.npy", "bf16_v2_2x3.npy"] {
            let array = try NPY.readFloatingPoint(from: fixtures.appendingPathComponent(name))
            #expect(array == .bfloat16(NPYArray(shape: [2, 3], values: Self.bits)), "\(name)")
            #expect(array.shape == [2, 3])
            let widened = array.float32Values
            #expect(widened == [1, -2.5, 0.10009765625, 3, Float(bitPattern: 0x0DA2_0000), -0.0])
            #expect(widened[5].sign == .minus)
        }
        let f32 = try NPY.readFloatingPoint(from: fixtures.appendingPathComponent("f32_2x3.npy"))
        #expect(f32 == .float32(NPYArray(shape: [2, 3], values: [1.5, -2.0, 0.25, 3.0, 1e-30, -0.0])))
        #expect(f32.float32Values == [1.5, -2.0, 0.25, 3.0, 1e-30, -0.0])
    }

    @Test("Encodes uint16 byte for byte what NumPy writes; round trips", arguments: [[Int](), [0], [5], [3, 4], [0, 7]])
    func encodes(shape: [Int]) throws {
        let numpy = try Data(contentsOf: fixtures.appendingPathComponent("bf16_u2_2x3.npy"))
        #expect(NPY.encode(NPYArray(shape: [2, 3], values: Self.bits)) == [UInt8](numpy))
        var g = SeededGenerator(seed: UInt64(shape.count) + 70)
        let count = shape.reduce(1, *)
        let array = NPYArray(shape: shape, values: (0..<count).map { _ in UInt16(truncatingIfNeeded: g.next()) })
        let bytes = NPY.encode(array)
        #expect(try NPY.decode(bytes, as: UInt16.self) == array)
        #expect(bytes.count % 64 == (2 * count) % 64, "the data starts on a 64-byte boundary")
    }

    @Test("Refuses other dtypes and byte orders, naming what is accepted")
    func refusesDTypes() throws {
        let path = { (n: String) in fixtures.appendingPathComponent(n).path }
        func floatingPointError(_ name: String) -> NPYError? {
            do { _ = try NPY.readFloatingPoint(from: fixtures.appendingPathComponent(name)); return nil } catch { return error }
        }
        let f64 = floatingPointError("f64_2.npy")
        #expect(f64 == .unsupportedDType(path: path("f64_2.npy"), found: "<f8", expected: "<f4, <u2, <V2"))
        #expect(f64?.description == "\(path("f64_2.npy")): dtype '<f8' is not supported here; expected '<f4', '<u2' or '<V2'")
        #expect(floatingPointError("u2_big_endian.npy")
            == .unsupportedDType(path: path("u2_big_endian.npy"), found: ">u2", expected: "<f4, <u2, <V2"))
        #expect(floatingPointError("i32_3.npy") == .unsupportedDType(path: path("i32_3.npy"), found: "<i4", expected: "<f4, <u2, <V2"))
        #expect(floatingPointError("f32_fortran.npy") == .fortranOrder(path: path("f32_fortran.npy")))
        // The typed readers stay strict: '<V2' is not uint16, bf16 bits are not float32.
        #expect(throws: NPYError.unsupportedDType(path: path("bf16_v2_2x3.npy"), found: "<V2", expected: "<u2")) {
            try NPY.read(UInt16.self, from: fixtures.appendingPathComponent("bf16_v2_2x3.npy"))
        }
        #expect(throws: NPYError.unsupportedDType(path: path("bf16_u2_2x3.npy"), found: "<u2", expected: "<f4")) {
            try NPY.read(Float.self, from: fixtures.appendingPathComponent("bf16_u2_2x3.npy"))
        }
    }

    /// An `.npy` file with a version 1.0 header `{'descr': descr, 'shape': shape}` and `data`.
    static func file(descr: String, shape: String, data: [UInt8]) -> [UInt8] {
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        return NPY.magic + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8) + data
    }

    @Test("Hostile 2-byte files: sizes checked against the file and the memory before allocating")
    func hostile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("npy-u2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func error(_ bytes: [UInt8], availableMemory: Int? = nil) throws -> NPYError? {
            let url = dir.appendingPathComponent("x.npy")
            try Data(bytes).write(to: url)
            do { _ = try NPY.readFloatingPoint(from: url, availableMemory: availableMemory); return nil } catch { return error }
        }
        let path = dir.appendingPathComponent("x.npy").relativePath
        // 2^62 elements of 2 bytes: 2^63 bytes do not fit in Int.
        #expect(try error(Self.file(descr: "<u2", shape: "(4611686018427387904,)", data: [0, 0]))
            == .malformedHeader(path: path, reason: "shape [4611686018427387904] is too large"))
        // 10^9 elements announced, 4 bytes present: refused from the file size, nothing allocated.
        #expect(try error(Self.file(descr: "<V2", shape: "(1000000000,)", data: [0, 0, 0, 0]))
            == .truncated(path: path, expectedBytes: 2_000_000_000, actualBytes: 4))
        // 3 elements: 6 bytes; 5 are a truncated file, 7 have a trailing byte.
        #expect(try error(Self.file(descr: "<u2", shape: "(3,)", data: [1, 0, 2, 0, 3]))
            == .truncated(path: path, expectedBytes: 6, actualBytes: 5))
        #expect(try error(Self.file(descr: "<u2", shape: "(3,)", data: [1, 0, 2, 0, 3, 0, 9]))
            == .trailingBytes(path: path, count: 1))
        // 1000 bf16 values take 2000 bytes: 1999 available is refused, 2000 read.
        let thousand = Self.file(descr: "<u2", shape: "(1000,)", data: [UInt8](repeating: 0x3F, count: 2000))
        guard case .insufficientMemory? = try error(thousand, availableMemory: 1999) else {
            Issue.record("2000 bytes of data must not be read with 1999 available"); return
        }
        #expect(try error(thousand, availableMemory: 2000) == nil)
        // decode checks the same sizes in memory.
        #expect(throws: NPYError.truncated(path: "m", expectedBytes: 6, actualBytes: 4)) {
            try NPY.decode(Self.file(descr: "<u2", shape: "(3,)", data: [1, 0, 2, 0]), as: UInt16.self, path: "m")
        }
        #expect(try NPY.decode(Self.file(descr: "<u2", shape: "(2,)", data: [1, 0, 0x80, 0x3F]), as: UInt16.self)
            == NPYArray(shape: [2], values: [1, 0x3F80]))
    }
}
