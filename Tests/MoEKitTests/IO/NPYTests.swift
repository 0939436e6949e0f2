//===--- NPYTests.swift - .npy files as NumPy writes them -----------------===//

import Foundation
import Testing
@testable import MoEKit

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

@Suite("NPY files")
struct NPYTests {
    @Test("Reads files written by NumPy (versions 1.0 and 2.0)")
    func readsNumPy() throws {
        let a = try NPY.read(Float.self, from: fixtures.appendingPathComponent("f32_2x3.npy"))
        #expect(a.shape == [2, 3])
        #expect(a.values == [1.5, -2.0, 0.25, 3.0, 1e-30, -0.0])
        #expect(a.values[5].sign == .minus)
        let i = try NPY.read(Int32.self, from: fixtures.appendingPathComponent("i32_3.npy"))
        #expect(i == NPYArray(shape: [3], values: [7, -1, .max]))
        let s = try NPY.read(Float.self, from: fixtures.appendingPathComponent("f32_scalar.npy"))
        #expect(s.shape == [] && s.values == [3.25])
        let e = try NPY.read(Float.self, from: fixtures.appendingPathComponent("f32_0x4.npy"))
        #expect(e.shape == [0, 4] && e.values.isEmpty)
        let v2 = try NPY.read(Float.self, from: fixtures.appendingPathComponent("f32_v2_2x2.npy"))
        #expect(v2 == NPYArray(shape: [2, 2], values: [1, 2, 3, 4]))
    }

    @Test("Encodes byte for byte what NumPy writes")
    func encodesLikeNumPy() throws {
        let numpy = try Data(contentsOf: fixtures.appendingPathComponent("f32_2x3.npy"))
        let ours = NPY.encode(NPYArray<Float>(shape: [2, 3], values: [1.5, -2.0, 0.25, 3.0, 1e-30, -0.0]))
        #expect(ours == [UInt8](numpy))
        let numpyInts = try Data(contentsOf: fixtures.appendingPathComponent("i32_3.npy"))
        #expect(NPY.encode(NPYArray<Int32>(shape: [3], values: [7, -1, .max])) == [UInt8](numpyInts))
    }

    @Test("Round trips", arguments: [[Int](), [0], [5], [3, 4], [2, 1, 3], [0, 7]])
    func roundTrip(shape: [Int]) throws {
        var g = SeededGenerator(seed: UInt64(shape.count))
        let count = shape.reduce(1, *)
        let f = NPYArray(shape: shape, values: g.uniformFloats(count: count))
        #expect(try NPY.decode(NPY.encode(f), as: Float.self) == f)
        let i = NPYArray(shape: shape, values: (0..<count).map { _ in Int32(truncatingIfNeeded: g.next()) })
        let bytes = NPY.encode(i)
        #expect(try NPY.decode(bytes, as: Int32.self) == i)
        #expect(bytes.count % 64 == (4 * count) % 64, "the data starts on a 64-byte boundary")
    }

    @Test("Refuses other dtypes, byte orders, Fortran order and broken files")
    func refuses() throws {
        func readError(_ name: String, as type: any NPYScalar.Type = Float.self) -> NPYError? {
            do {
                if type == Int32.self { _ = try NPY.read(Int32.self, from: fixtures.appendingPathComponent(name)) }
                else { _ = try NPY.read(Float.self, from: fixtures.appendingPathComponent(name)) }
                return nil
            } catch { return error }
        }
        let path = { (n: String) in fixtures.appendingPathComponent(n).path }
        #expect(readError("f64_2.npy") == .unsupportedDType(path: path("f64_2.npy"), found: "<f8", expected: "<f4"))
        #expect(readError("f32_big_endian.npy") == .unsupportedDType(path: path("f32_big_endian.npy"), found: ">f4", expected: "<f4"))
        #expect(readError("f32_fortran.npy") == .fortranOrder(path: path("f32_fortran.npy")))
        #expect(readError("f32_2x3.npy", as: Int32.self) == .unsupportedDType(path: path("f32_2x3.npy"), found: "<f4", expected: "<i4"))
        if case .io? = readError("missing.npy") {} else { Issue.record("a missing file must be an I/O error") }

        let good = try [UInt8](Data(contentsOf: fixtures.appendingPathComponent("f32_2x3.npy")))
        #expect(throws: NPYError.truncated(path: "x", expectedBytes: 24, actualBytes: 20)) {
            try NPY.decode(Array(good.dropLast(4)), as: Float.self, path: "x")
        }
        #expect(throws: NPYError.trailingBytes(path: "x", count: 2)) {
            try NPY.decode(good + [0, 0], as: Float.self, path: "x")
        }
        #expect(throws: NPYError.notNPY(path: "x")) { try NPY.decode(Array("hello world".utf8), as: Float.self, path: "x") }
        var v3 = good
        v3[6] = 3
        #expect(throws: NPYError.unsupportedVersion(path: "x", major: 3, minor: 0)) { try NPY.decode(v3, as: Float.self, path: "x") }
        #expect(throws: NPYError.self) { try NPY.decode(Array(good.prefix(40)), as: Float.self, path: "x") }
        let header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }".utf8)
        var broken = NPY.magic + [1, 0, UInt8(header.count), 0] + header
        #expect(throws: NPYError.malformedHeader(path: "x", reason: "'shape' must hold non-negative integers")) {
            try NPY.decode(broken, as: Float.self, path: "x")
        }
        let noShape = Array("{'descr': '<f4', 'fortran_order': False}".utf8)
        broken = NPY.magic + [1, 0, UInt8(noShape.count), 0] + noShape
        #expect(throws: NPYError.malformedHeader(path: "x", reason: "missing 'shape'")) {
            try NPY.decode(broken, as: Float.self, path: "x")
        }
    }

    /// Writes `bytes` into a new FIFO from another thread and reads it as float32 `.npy`.
    func readThroughFIFO(_ bytes: [UInt8]) throws -> Result<NPYArray<Float>, NPYError> {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("npy-fifo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("a.npy")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let writer = Thread {
            let fd = open(fifo.path, O_WRONLY)
            guard fd >= 0 else { return }
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        writer.start()
        return Result { () throws(NPYError) in try NPY.read(Float.self, from: fifo) }
    }

    @Test("Reads a FIFO exactly as far as the header announces; refuses a directory")
    func specialFiles() throws {
        let array = NPYArray<Float>(shape: [3, 4], values: (0..<12).map(Float.init))
        let bytes = NPY.encode(array)
        #expect(try readThroughFIFO(bytes).get() == array)
        guard case .failure(.trailingBytes(_, count: 5)) = try readThroughFIFO(bytes + [1, 2, 3, 4, 5]) else {
            Issue.record("trailing bytes in a FIFO must be refused"); return
        }
        guard case .failure(.truncated(_, expectedBytes: 48, actualBytes: 44)) = try readThroughFIFO(Array(bytes.dropLast(4))) else {
            Issue.record("a truncated FIFO must be refused"); return
        }
        #expect(throws: NPYError.io(path: fixtures.path, reason: "cannot read file (it is a directory)")) {
            try NPY.read(Float.self, from: fixtures)
        }
        #expect(throws: NPYError.notNPY(path: "/dev/zero")) { try NPY.read(Float.self, from: URL(fileURLWithPath: "/dev/zero")) }
    }
}
