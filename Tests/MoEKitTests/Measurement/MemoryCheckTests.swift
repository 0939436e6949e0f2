//===--- MemoryCheckTests.swift - Sizes from inputs checked before allocating ===//

import Foundation
import Testing
@testable import MoEKit

@Suite("Memory checks before allocating")
struct MemoryCheckTests {
    @Test("Byte counts of shapes, with overflow and negative sizes refused")
    func byteCounts() {
        #expect(SystemMemory.bytes(shape: [100_000, 100_000], elementBytes: 4) == 40_000_000_000)
        #expect(SystemMemory.bytes(shape: [], elementBytes: 4) == 4)
        #expect(SystemMemory.bytes(shape: [0, 1 << 62], elementBytes: 4) == 0)
        #expect(SystemMemory.bytes(shape: [1 << 31, 1 << 31], elementBytes: 4) == nil)
        #expect(SystemMemory.bytes(shape: [-1, 4], elementBytes: 4) == nil)
    }

    @Test("The issue's case: hidden [100000, 1] and gate [100000, 1] make 40 GB of logits, refused with the sizes")
    func hugeLogitsFromSmallInputs() throws {
        let gemm = try RouterGEMM(gate: [Float](repeating: 1, count: 100_000), experts: 100_000, hiddenSize: 1)
        let hidden = [Float](repeating: 1, count: 100_000)
        let available = 24_000_000_000
        let expected = InsufficientMemory(buffer: "logits", shape: [100_000, 100_000], elementBytes: 4,
                                          bytes: 40_000_000_000, available: available)
        #expect(throws: RoutingError.insufficientMemory(expected)) {
            try gemm.logits(hidden: hidden, availableMemory: available)
        }
        let router = try Router(RouterConfiguration(experts: 100_000, topK: 1, scoring: .softmax))
        #expect(throws: RoutingError.insufficientMemory(expected)) {
            try router.route(hidden: hidden, gemm: gemm, availableMemory: available)
        }
        #expect(expected.description
            == "logits [100000, 100000] need 40.0 GB (4 bytes per element) but 24.0 GB of memory is available")
    }

    @Test("Logits, results and the transposed gate are checked; small enough ones are computed")
    func routerBuffers() throws {
        let experts = 8, d = 4, tokens = 100
        var g = SeededGenerator(seed: 3)
        let gate = g.uniformFloats(count: experts * d), hidden = g.uniformFloats(count: tokens * d)
        #expect(throws: RoutingError.insufficientMemory(InsufficientMemory(
            buffer: "transposed gate weight", shape: [d, experts], elementBytes: 4, bytes: 128, available: 127))) {
            _ = try RouterGEMM(gate: gate, experts: experts, hiddenSize: d, availableMemory: 127)
        }
        let gemm = try RouterGEMM(gate: gate, experts: experts, hiddenSize: d, availableMemory: 128)
        // Logits [100, 8] are 3200 bytes.
        #expect(throws: RoutingError.insufficientMemory(InsufficientMemory(
            buffer: "logits", shape: [tokens, experts], elementBytes: 4, bytes: 3200, available: 3199))) {
            try gemm.logits(hidden: hidden, availableMemory: 3199)
        }
        let logits = try gemm.logits(hidden: hidden, availableMemory: 3200)
        var direct = [Float](repeating: .nan, count: tokens * experts)
        try hidden.withUnsafeBufferPointer { h in
            try direct.withUnsafeMutableBufferPointer { try gemm.logits(hidden: h, into: $0) }
        }
        #expect(logits == direct)
        // Indices and weights [100, 2] take 8 bytes per slot: 1600 bytes.
        let router = try Router(RouterConfiguration(experts: experts, topK: 2, scoring: .softmax))
        #expect(throws: RoutingError.insufficientMemory(InsufficientMemory(
            buffer: "indices and weights", shape: [tokens, 2], elementBytes: 8, bytes: 1600, available: 1599))) {
            try router.route(logits: logits, availableMemory: 1599)
        }
        // The whole router needs both: 3200 + 1600 bytes.
        #expect(throws: RoutingError.self) { try router.route(hidden: hidden, gemm: gemm, availableMemory: 4799) }
        #expect(try router.route(hidden: hidden, gemm: gemm, availableMemory: 4800) == router.route(logits: logits))
    }

    @Test("Synthetic logits and benchmark buffers sized from flags are checked")
    func flagSizedBuffers() throws {
        var source = try SyntheticLogits(experts: 384, skew: 1, seed: 1)
        #expect(throws: LoadBalanceError.insufficientMemory(InsufficientMemory(
            buffer: "synthetic logits", shape: [4096, 384], elementBytes: 4, bytes: 6_291_456, available: 1 << 20))) {
            try source.next(tokens: 4096, availableMemory: 1 << 20)
        }
        // Gate and copy: 2 · 16777216 experts · 1M hidden · 4 bytes overflows nothing but is 128 TiB.
        let config = RouterConfiguration(experts: 1 << 24, topK: 8, scoring: .sigmoid)
        #expect(throws: RoutingError.insufficientMemory(InsufficientMemory(
            buffer: "gate weight and its transposed copy", shape: [2, 1 << 24, 1 << 20], elementBytes: 4,
            bytes: 1 << 47, available: 1 << 30))) {
            _ = try RoutingBenchmark(configuration: config, hiddenSize: 1 << 20, availableMemory: 1 << 30)
        }
        var benchmark = try RoutingBenchmark(configuration: RouterConfiguration(experts: 16, topK: 2, scoring: .softmax),
                                             hiddenSize: 32, repetitions: 1, availableMemory: 1 << 20)
        let needed = try #require(RoutingBenchmark.bufferBytes(configuration: benchmark.router.configuration,
                                                               hiddenSize: 32, largestBatch: 4096))
        #expect(throws: RoutingError.self) { try benchmark.run(tokenCounts: [4096], availableMemory: needed - 1) }
    }

    @Test("NPY data is checked against the memory before it is read")
    func npyData() throws {
        let url = fixtures.appendingPathComponent("f32_2x3.npy")
        #expect(throws: NPYError.insufficientMemory(path: url.relativePath, InsufficientMemory(
            buffer: "data", shape: [2, 3], elementBytes: 4, bytes: 24, available: 23))) {
            try NPY.read(Float.self, from: url, availableMemory: 23)
        }
        #expect(try NPY.read(Float.self, from: url, availableMemory: 24).values == [1.5, -2.0, 0.25, 3.0, 1e-30, -0.0])
    }
}
