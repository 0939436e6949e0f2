//===--- FuzzBalanceReport.swift - libFuzzer target: balance reports ------===//
//
// Reads the input as a `moebench balance --format json` report. Either reading throws an
// `ExpertLoadError`, or the load it returns has one probability in [0, 1] per count and
// gives a finite expected number of distinct experts between 0 and E.
//
//===----------------------------------------------------------------------===//

import Foundation
@testable import MoEKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBalanceReport(_ data: UnsafeRawPointer?, _ count: Int) -> CInt {
    let json = Data(UnsafeRawBufferPointer(start: data, count: count))
    let load: ExpertLoad
    do {
        load = try ExpertLoad.measured(balanceReportJSON: json, path: "fuzz.json")
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
