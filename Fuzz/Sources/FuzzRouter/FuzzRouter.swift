//===--- FuzzRouter.swift - libFuzzer target: routing from logits ---------===//
//
// The input is a small header followed by float32 values (little-endian):
//
//     byte 0      experts E = 1 + byte (1...256)
//     byte 1      top-k k = 1 + byte % E
//     byte 2      bits 0-1 scoring (softmax, sigmoid, sqrtsoftplus, logits);
//                 bit 2 softmax-over-chosen weights; bit 3 renormalise; bit 4 correction bias;
//                 bit 5 group limit; bit 6 group score = max (else top-2 sum);
//                 bit 7 the buffer API (else the array API)
//     byte 3      groups: one of E's divisors, chosen by byte % (number of divisors)
//     byte 4      kept groups = 1 + byte % groups
//     byte 5      bits 0-1 threads = 1 + value (1...4); bits 2-3 the buffer API's indices
//                 buffer is 0, 1 or 2 entries short of the right size (3: one too many);
//                 bit 4 sigmoid-of-chosen weights (Llama 4; over bit 2 of byte 2)
//     bytes 6-7   tokens T (little-endian) % 257, then at most 4096 / E
//     byte 8      scaling factor = byte / 16; normalisation epsilon = 1e-20 if byte is odd, else 0
//     then        the bias [E] when bit 4 is set, then the logits [T, E]: the remaining
//                 values, repeated as often as needed (zeros when there are none)
//
// Invariants: an invalid configuration, a non-finite bias or logit and a buffer of the wrong
// size throw the matching `RoutingError` (a non-finite logit error names the first such
// logit; finite logits whose weights would not be finite throw `nonFiniteWeights`);
// otherwise every row holds k distinct experts in 0..<E from at most the kept groups, the
// weights are finite (non-negative unless the scores are raw logits), selection on raw
// logits picks the k largest, and every thread count gives the same result.
//
//===----------------------------------------------------------------------===//

import MoEKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRouter(_ data: UnsafeRawPointer?, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: count)
    guard input.count >= 9 else { return 0 }
    let experts = 1 + Int(input[0])
    let topK = 1 + Int(input[1]) % experts
    let flags = input[2]
    let scoring = RouterConfiguration.Scoring.allCases[Int(flags & 3)]
    let divisors = (1...experts).filter { experts % $0 == 0 }
    let groups = divisors[Int(input[3]) % divisors.count]
    let limit = flags & 32 != 0
        ? RouterConfiguration.GroupLimit(groups: groups, keptGroups: 1 + Int(input[4]) % groups,
                                         score: flags & 64 != 0 ? .max : .topTwoSum)
        : nil
    let threads = 1 + Int(input[5] & 3)
    let indexShortfall = Int(input[5] >> 2) & 3
    let tokens = min(Int(UInt16(input[6]) | UInt16(input[7]) << 8) % 257, 4096 / experts)
    let configuration = RouterConfiguration(
        experts: experts, topK: topK, scoring: scoring, usesCorrectionBias: flags & 16 != 0,
        groupLimit: limit,
        weighting: input[5] & 16 != 0 ? .sigmoidOfChosen : flags & 4 != 0 ? .softmaxOverChosen : .chosenScores,
        normalizesWeights: flags & 8 != 0,
        normalizationEpsilon: input[8] & 1 != 0 ? 1e-20 : 0, scalingFactor: Float(input[8]) / 16)

    var stream = (0..<((input.count - 9) / 4)).map {
        Float(bitPattern: UInt32(littleEndian: input.loadUnaligned(fromByteOffset: 9 + 4 * $0, as: UInt32.self)))
    }
    var bias: [Float]?
    if flags & 16 != 0 {
        let given = stream.prefix(experts)
        bias = Array(given) + [Float](repeating: 0, count: experts - given.count)
        stream.removeFirst(given.count)
    }
    let logits = (0..<(tokens * experts)).map { stream.isEmpty ? 0 : stream[$0 % stream.count] }

    let router: Router
    do {
        router = try Router(configuration, correctionBias: bias)
    } catch {
        expectBiasError(error, configuration: configuration, bias: bias)
        return 0
    }
    let result: RoutingResult
    do {
        if flags & 128 != 0 {
            result = try routeWithBuffers(router, logits: logits, tokens: tokens, threads: threads, shortfall: indexShortfall)
        } else {
            result = try router.route(logits: logits, threads: threads)
        }
    } catch {
        expectRoutingError(error, logits: logits, experts: experts)
        return 0
    }
    if let bad = logits.firstIndex(where: { !$0.isFinite }) {
        fatalError("routed logits with a non-finite value at \(bad): \(logits[bad])")
    }
    check(result, configuration: configuration, logits: logits, tokens: tokens)
    if threads > 1 {
        do {
            guard try router.route(logits: logits, threads: 1) == result else {
                fatalError("\(threads) threads route differently from one")
            }
        } catch { fatalError("one thread throws where \(threads) did not: \(error)") }
    }
    return 0
}

/// Routes through the buffer API; an indices buffer `shortfall` entries short (3: one too
/// many) must be refused with `bufferSizeMismatch`, and then the right size is used.
func routeWithBuffers(_ router: Router, logits: [Float], tokens: Int, threads: Int, shortfall: Int) throws(RoutingError) -> RoutingResult {
    let k = router.configuration.topK
    let right = tokens * k
    let wrong = shortfall == 3 ? right + 1 : right - shortfall
    if wrong != right && wrong >= 0 {
        var indices = [Int32](repeating: 0, count: wrong), weights = [Float](repeating: 0, count: right)
        do {
            try logits.withUnsafeBufferPointer { (x) throws(RoutingError) in
                try indices.withUnsafeMutableBufferPointer { (ix) throws(RoutingError) in
                    try weights.withUnsafeMutableBufferPointer { (w) throws(RoutingError) in
                        try router.route(logits: x, indices: ix, weights: w, threads: threads)
                    }
                }
            }
            fatalError("an indices buffer of \(wrong) entries for \(right) was accepted")
        } catch {
            guard error == .bufferSizeMismatch(buffer: "indices", expected: right, actual: wrong) else {
                fatalError("wrong-size indices buffer: \(error)")
            }
        }
    }
    var indices = [Int32](repeating: -1, count: right), weights = [Float](repeating: .nan, count: right)
    try logits.withUnsafeBufferPointer { (x) throws(RoutingError) in
        try indices.withUnsafeMutableBufferPointer { (ix) throws(RoutingError) in
            try weights.withUnsafeMutableBufferPointer { (w) throws(RoutingError) in
                try router.route(logits: x, indices: ix, weights: w, threads: threads)
            }
        }
    }
    return RoutingResult(tokens: tokens, topK: k, indices: indices, weights: weights)
}

/// A `Router` may refuse only an invalid configuration (`validate()` says so too) or a bias
/// with a non-finite value, named by its first position.
func expectBiasError(_ error: RoutingError, configuration: RouterConfiguration, bias: [Float]?) {
    if case .nonFiniteBias(let expert, let value) = error {
        guard let bias, let first = bias.firstIndex(where: { !$0.isFinite }), first == expert,
              bias[first].bitPattern == value.bitPattern else {
            fatalError("wrong non-finite bias error: \(error)")
        }
        return
    }
    do {
        try configuration.validate()
        fatalError("a valid configuration was refused: \(error)")
    } catch {}
}

/// Routing may fail only on a non-finite logit, naming the first one, or on non-finite
/// weights from a row of finite logits that no earlier non-finite logit precedes.
func expectRoutingError(_ error: RoutingError, logits: [Float], experts: Int) {
    if case .nonFiniteWeights(let token) = error {
        guard token >= 0, (token + 1) * experts <= logits.count,
              logits[0..<((token + 1) * experts)].allSatisfy({ $0.isFinite }) else {
            fatalError("\(error), but an earlier logit is not finite or the token does not exist")
        }
        return
    }
    guard case .nonFiniteLogit(let token, let expert, let value) = error else {
        fatalError("unexpected routing error: \(error)")
    }
    guard let first = logits.firstIndex(where: { !$0.isFinite }) else {
        fatalError("non-finite logit error for finite logits: \(error)")
    }
    // The first row holding one; within it, the first non-finite expert.
    guard token == first / experts, expert == first % experts,
          logits[first].bitPattern == value.bitPattern else {
        fatalError("\(error) but the first non-finite logit is at \(first)")
    }
}

/// The invariants of a successful routing.
func check(_ result: RoutingResult, configuration: RouterConfiguration, logits: [Float], tokens: Int) {
    let experts = configuration.experts, k = configuration.topK
    guard result.tokens == tokens, result.topK == k, result.indices.count == tokens * k,
          result.weights.count == tokens * k else {
        fatalError("result of the wrong size: \(result.indices.count) indices for \(tokens) × \(k)")
    }
    let groupSize = configuration.groupLimit.map { experts / $0.groups }
    for t in 0..<tokens {
        let chosen = result.experts(ofToken: t).map(Int.init)
        guard chosen.allSatisfy({ (0..<experts).contains($0) }), Set(chosen).count == k else {
            fatalError("token \(t): experts \(chosen) are not \(k) distinct values in 0..<\(experts)")
        }
        if let limit = configuration.groupLimit, let groupSize {
            let used = Set(chosen.map { $0 / groupSize })
            guard used.count <= limit.keptGroups else {
                fatalError("token \(t): experts \(chosen) span \(used.count) groups, more than \(limit.keptGroups)")
            }
        }
        let weights = result.weights(ofToken: t)
        guard weights.allSatisfy({ $0.isFinite }) else {
            fatalError("token \(t): non-finite weights \(Array(weights)) for experts \(chosen)")
        }
        if configuration.scoring != .logits || configuration.weighting != .chosenScores {
            guard weights.allSatisfy({ $0 >= 0 }) else { fatalError("token \(t): negative weights \(Array(weights))") }
        }
        // On raw logits without bias or groups, the chosen logits are the k largest.
        if configuration.scoring == .logits && configuration.groupLimit == nil && !configuration.usesCorrectionBias {
            let row = logits[(t * experts)..<((t + 1) * experts)]
            let smallestChosen = chosen.map { row[row.startIndex + $0] }.min()!
            let largestOther = row.indices.filter { !chosen.contains($0 - row.startIndex) }.map { row[$0] }.max()
            if let largestOther, largestOther > smallestChosen {
                fatalError("token \(t): logit \(largestOther) left out, \(smallestChosen) chosen")
            }
        }
    }
}
