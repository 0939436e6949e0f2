//===--- APIPriceTests.swift - Published API prices in the presets --------===//

import Foundation
import Testing
@testable import MoEKit

/// Prices typed in from /work/shared/reference/models.md §5.2 (USD per million tokens).
@Suite("API prices")
struct APIPriceTests {
    func prices(_ name: String) throws -> [APIPrice] { try preset(name).apiPrices }

    /// V4-Flash on the archived pricing page of 2026-04-26: hit $0.028, miss $0.14, output $0.28,
    /// then the cache-hit price cut to 1/10 the same day: $0.0028.
    @Test func deepSeekV4Flash() throws {
        let list = try prices("deepseek-v4-flash")
        #expect(list.count == 1)
        let p = try #require(list.first)
        #expect(p.provider == "DeepSeek API")
        #expect(p.date == "2026-04-26")
        #expect(p.cacheHitInput == 0.0028)
        #expect(abs(p.cacheHitInput - 0.028 / 10) < 1e-15)
        #expect(p.cacheMissInput == 0.14)
        #expect(p.output == 0.28)
        #expect(p.source.contains("api-docs.deepseek.com"))
    }

    /// V4-Pro list $0.145 / $1.74 / $3.48 (hit / miss / output), hit cut to 1/10: $0.0145; the
    /// limited-time 75% discount: $0.03625 / $0.435 / $0.87, hit cut to 1/10: $0.003625.
    @Test func deepSeekV4Pro() throws {
        let list = try prices("deepseek-v4-pro")
        #expect(list.count == 2)
        let listPrice = try #require(list.first { $0.provider == "DeepSeek API (list)" })
        #expect(listPrice.date == "2026-04-26")
        #expect(listPrice.cacheHitInput == 0.0145)
        #expect(listPrice.cacheMissInput == 1.74)
        #expect(listPrice.output == 3.48)
        let discount = try #require(list.first { $0.provider.contains("75% off") })
        #expect(discount.date == "2026-04-26")
        #expect(discount.cacheHitInput == 0.003625)
        #expect(discount.cacheMissInput == 0.435)
        #expect(discount.output == 0.87)
        // The discounted row is a quarter of the list row.
        #expect(abs(discount.cacheMissInput - listPrice.cacheMissInput / 4) < 1e-12)
        #expect(abs(discount.output - listPrice.output / 4) < 1e-12)
        #expect(abs(discount.cacheHitInput - listPrice.cacheHitInput / 4) < 1e-12)
    }

    /// V3.2 after the 2025-09-29 cut: hit $0.028, miss $0.28, output $0.42.
    @Test func deepSeekV32() throws {
        let list = try prices("deepseek-v3.2")
        #expect(list.count == 1)
        let p = try #require(list.first)
        #expect(p.date == "2025-09-29")
        #expect(p.cacheHitInput == 0.028 && p.cacheMissInput == 0.28 && p.output == 0.42)
    }

    /// Kimi K2 at launch (Moonshot, July 2025): hit $0.15, miss $0.60, output $2.50.
    @Test func kimiK2() throws {
        let list = try prices("kimi-k2")
        #expect(list.count == 1)
        let p = try #require(list.first)
        #expect(p.date == "2025-07")
        #expect(p.cacheHitInput == 0.15 && p.cacheMissInput == 0.60 && p.output == 2.50)
        #expect(p.provider.contains("Moonshot"))
    }

    /// Every price carries a date and a source; presets without a published price have none.
    @Test func everyPriceIsDatedAndSourced() throws {
        let date = try Regex("^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$")
        var priced: [String] = []
        for spec in try ModelSpec.presets() where !spec.apiPrices.isEmpty {
            priced.append(spec.name)
            for p in spec.apiPrices {
                #expect(p.date.wholeMatch(of: date) != nil, "\(spec.name): '\(p.date)'")
                #expect(!p.source.isEmpty && !p.provider.isEmpty, "\(spec.name)")
                // A cache hit is never dearer than a miss, and input never dearer than output.
                #expect(p.cacheHitInput <= p.cacheMissInput && p.cacheMissInput <= p.output, "\(spec.name)")
            }
        }
        #expect(priced.sorted() == ["deepseek-v3.2", "deepseek-v4-flash", "deepseek-v4-pro", "kimi-k2"])
        #expect(try prices("deepseek-v3").isEmpty)
    }

    /// (price − cost) / price: selling at $0.28 what costs $0.07 keeps 75%; at cost, 0; below
    /// cost, negative.
    @Test func grossMargin() {
        #expect(abs(APIPrice.grossMargin(price: 0.28, cost: 0.07) - 0.75) < 1e-15)
        #expect(APIPrice.grossMargin(price: 2.5, cost: 2.5) == 0)
        #expect(APIPrice.grossMargin(price: 1, cost: 1.5) == -0.5)
        #expect(APIPrice.grossMargin(price: 0.42, cost: 0) == 1)
        #expect(abs(APIPrice.grossMargin(price: 3.48, cost: 0.87) - 0.75) < 1e-15)
    }

    /// A malformed `api_prices` entry in a preset document is refused with its path.
    @Test func malformedPricesAreRefused() throws {
        func document(_ prices: String) -> Data {
            let text = try! String(contentsOf: try! BundledResources.directory("Models").appendingPathComponent("deepseek-v3.json"), encoding: .utf8)
            let marker = "\"moekit\": {"
            precondition(text.contains(marker))
            return Data(text.replacingOccurrences(of: marker, with: marker + " \"api_prices\": \(prices),").utf8)
        }
        let good = try ModelSpec.preset(document: document(#"[{"provider": "p", "date": "2026-01", "cache_hit_input": 0.1, "cache_miss_input": 0.2, "output": 0.4, "source": "s"}]"#), file: "t.json")
        #expect(good.apiPrices == [APIPrice(provider: "p", date: "2026-01", cacheHitInput: 0.1, cacheMissInput: 0.2, output: 0.4, source: "s")])
        #expect(throws: ModelSpecError.self) {
            try ModelSpec.preset(document: document(#"[{"provider": "p", "cache_hit_input": -0.1, "cache_miss_input": 0.2, "output": 0.4}]"#), file: "t.json")
        }
        #expect(throws: ModelSpecError.self) {
            try ModelSpec.preset(document: document(#"[{"provider": "p", "cache_miss_input": 0.2, "output": 0.4}]"#), file: "t.json")
        }
        #expect(throws: ModelSpecError.self) { try ModelSpec.preset(document: document("[5]"), file: "t.json") }
    }
}
