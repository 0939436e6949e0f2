//===--- MoebenchProcess.swift - Run the built moebench binary in tests ---===//

import Foundation
import MoEKit

/// What one run of `moebench` did.
struct MoebenchRun {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// The `moebench` executable built next to the test bundle (SwiftPM builds it because the
/// test target depends on it); `MOEBENCH` in the environment overrides the path.
let moebenchURL: URL = {
    if let path = ProcessInfo.processInfo.environment["MOEBENCH"] { return URL(fileURLWithPath: path) }
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("moebench")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return Bundle.main.bundleURL.appendingPathComponent("moebench")
}()

/// Runs `moebench` with `arguments` and waits for it.
func runMoebench(_ arguments: [String], in directory: URL? = nil) throws -> MoebenchRun {
    let process = Process()
    process.executableURL = moebenchURL
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes before waiting so a large output cannot block the child.
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return MoebenchRun(
        status: process.terminationStatus,
        stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}

/// A fresh empty directory for a test's files.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("moebench-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A suite that writes `.npy` inputs into its own temporary directory.
protocol NPYFileSuite {
    /// The suite's directory (``makeTemporaryDirectory()``).
    var dir: URL { get }
}

extension NPYFileSuite {
    /// Writes `array` as `name` in ``dir`` and returns its path.
    func write(_ name: String, _ array: NPYArray<Float>) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(NPY.encode(array)).write(to: url)
        return url.path
    }

    /// Writes bf16 bits `[shape]` as `name` in ``dir`` (dtype `<u2`) and returns its path.
    func write(_ name: String, shape: [Int], bfloat16 bits: [UInt16]) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(NPY.encode(NPYArray(shape: shape, values: bits))).write(to: url)
        return url.path
    }

    /// The path `name` would have in ``dir``.
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
}
