//===--- FuzzBalanceReport.swift - libFuzzer target: balance reports ------===//
//
// Reads the input as a `moebench balance --format json` report, through the public entry
// point that `moebench serve --expert-load` uses: the input is written to a file first (one
// per process, under /dev/shm when there is one). Either reading throws an
// `ExpertLoadError`, or the load it returns has one probability in [0, 1] per count and gives
// a finite expected number of distinct experts between 0 and E.
//
//===----------------------------------------------------------------------===//

import Foundation
import MoEKit

/// The file each input is written to.
let reportFile: URL = {
    let shm = URL(fileURLWithPath: "/dev/shm")
    let dir = FileManager.default.isWritableFile(atPath: shm.path) ? shm : FileManager.default.temporaryDirectory
    atexit { try? FileManager.default.removeItem(at: reportFile) }
    return dir.appendingPathComponent("moekit-fuzz-balance-\(getpid()).json")
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBalanceReport(_ data: UnsafeRawPointer?, _ count: Int) -> CInt {
    do {
        try Data(UnsafeRawBufferPointer(start: data, count: count)).write(to: reportFile)
    } catch {
        fatalError("cannot write \(reportFile.path): \(error)")
    }
    let load: ExpertLoad
    do {
        load = try ExpertLoad.measured(balanceReport: reportFile)
    } catch {
        _ = error.description
        return 0
    }
    guard let p = load.selectionProbabilities, !p.isEmpty, p.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
        fatalError("accepted a load with probabilities outside [0, 1]: \(load)")
    }
    let experts = p.count
    for tokens in [1, 64, 1 << 20] {
        let distinct = load.expectedDistinctExperts(tokens: tokens, experts: experts, topK: 1)
        guard distinct.isFinite, distinct >= 0, distinct <= Double(experts) * (1 + 1e-12) else {
            fatalError("\(distinct) distinct experts of \(experts) for \(tokens) tokens")
        }
    }
    return 0
}
