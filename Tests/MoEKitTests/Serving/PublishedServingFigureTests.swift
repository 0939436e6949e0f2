//===--- PublishedServingFigureTests.swift - The validation catalog -------===//

import Foundation
import Testing
@testable import MoEKit

@Suite("Published serving figures")
struct PublishedServingFigureTests {
    static let catalog = PublishedServingFigure.catalog

    @Test func idsAreUniqueAndCalibrationRowsComeFirst() {
        let ids = Self.catalog.map(\.id)
        #expect(Set(ids).count == ids.count)
        let roles = Self.catalog.map(\.role)
        let firstOther = roles.firstIndex { $0 != .calibration } ?? roles.count
        #expect(!roles[firstOther...].contains(.calibration))
    }

    /// Every figure projects without error to a finite positive value; each row with a tolerance
    /// is within it (what `moebench validate` checks before exiting 0).
    @Test(arguments: PublishedServingFigure.catalog.map(\.id))
    func figureProjectsAndPasses(_ id: String) throws {
        let figure = try #require(Self.catalog.first { $0.id == id })
        let projected = try figure.projectedValue()
        #expect(projected.isFinite && projected > 0, "\(id): \(projected)")
        if let tolerance = figure.tolerance {
            #expect(abs(projected / figure.value - 1) <= tolerance,
                    "\(id): projected \(projected) against published \(figure.value), tolerance ±\(tolerance)")
            #expect(figure.passes(projected))
        }
    }

    /// The rows the shipped factors were set on, with the published figures typed in from their
    /// sources (DeepSeek Day-6, 2025-03-01: 14.8k output tokens/s per 8-GPU H800 node and $2 per
    /// GPU-hour; LMSYS 2025-05-05: 50,302 prefill tokens/s per 8-GPU H100 node at 4K prompts).
    @Test func calibrationRows() throws {
        let calibration = Self.catalog.filter { $0.role == .calibration }
        #expect(calibration.count == 3)

        let decode = try #require(calibration.first { $0.id == "deepseek-v3-decode-h800" })
        #expect(decode.metric == .decodeTokensPerSecondPerDevice)
        #expect(decode.value == 1850)
        #expect(decode.tolerance == 0.25)
        #expect(decode.setup.accelerator == "h800" && decode.setup.devices == 144 && decode.setup.expertParallel == 144)
        #expect(decode.setup.redundantExperts == 32 && decode.setup.context == 4989)

        // $2 per hour over 1,850 tokens/s: 2 / 3600 / 1850 · 10⁶ = $0.3003 per million.
        let cost = try #require(calibration.first { $0.id == "deepseek-v3-decode-cost-h800" })
        #expect(cost.metric == .costPerMillionOutputTokens)
        #expect(cost.value == 0.30)
        #expect(abs(2.0 / 3600 / 1850 * 1e6 - cost.value) < 0.001)
        #expect(cost.setup.pricePerHour == 2.0)

        let prefill = try #require(calibration.first { $0.id == "sglang-v3-prefill-h100-4k" })
        #expect(prefill.metric == .prefillTokensPerSecondPerDevice)
        #expect(prefill.value == 50_302.0 / 8)
        #expect(prefill.setup.accelerator == "h100" && prefill.setup.devices == 32 && prefill.setup.context == 4096)

        for figure in calibration {
            let projected = try figure.projectedValue()
            #expect(abs(projected / figure.value - 1) <= 0.25, "\(figure.id): \(projected) vs \(figure.value)")
        }
    }

    /// The cost row is the decode row priced: $2 / 3600 / (tokens/s per device) · 10⁶.
    @Test func costRowIsTheDecodeRowPriced() throws {
        let decode = try #require(Self.catalog.first { $0.id == "deepseek-v3-decode-h800" })
        let cost = try #require(Self.catalog.first { $0.id == "deepseek-v3-decode-cost-h800" })
        let throughput = try decode.projectedValue()
        let dollars = try cost.projectedValue()
        #expect(abs(dollars - 2.0 / 3600 / throughput * 1e6) <= 1e-9 * dollars)
    }

    @Test func reportRowsHaveNoTolerance() throws {
        let reports = Self.catalog.filter { $0.role == .report }
        #expect(!reports.isEmpty)
        for figure in reports {
            #expect(figure.tolerance == nil, "\(figure.id)")
            #expect(figure.passes(1e30) && figure.passes(1e-30))
        }
        for figure in Self.catalog where figure.role != .report {
            #expect(figure.tolerance != nil, "\(figure.id)")
        }
    }

    @Test func relativeErrorAndPassesOnHandValues() {
        let setup = ServingSetup(model: "deepseek-v3", accelerator: "h200", phase: .decode, devices: 8, expertParallel: 8,
                                 context: 4096)
        let row = PublishedServingFigure(id: "t", title: "t", metric: .decodeTokensPerSecondPerDevice, value: 200,
                                         role: .check, tolerance: 0.25, setup: setup, source: "test")
        #expect(row.relativeError(250) == 0.25)
        #expect(row.relativeError(150) == -0.25)
        #expect(row.relativeError(200) == 0)
        #expect(row.relativeError(300) == 0.5)
        #expect(row.passes(250) && row.passes(150) && row.passes(200))
        #expect(!row.passes(250.1) && !row.passes(149.9) && !row.passes(0))
        var report = row
        report.role = .report
        report.tolerance = nil
        #expect(report.passes(1000) && report.passes(0))
        #expect(report.relativeError(1000) == 4)
    }

    @Test func unknownPresetsInASetupThrow() {
        var setup = Self.catalog[0].setup
        setup.model = "no-such-model"
        #expect(throws: (any Error).self) { _ = try setup.projection() }
        setup = Self.catalog[0].setup
        setup.accelerator = "no-such-device"
        #expect(throws: (any Error).self) { _ = try setup.projection() }
    }
}
