//===--- APIPrice.swift - What a provider charges for a model -------------===//

/// A published API price of a model, US dollars per million tokens, with its date and source.
///
/// Prices change often (DeepSeek changed its prices several times in April–May 2026), so each
/// one carries the date it was read for. Presets carry them in `moekit.api_prices`.
public struct APIPrice: Hashable, Sendable {
    /// Who charges it (`DeepSeek API`).
    public var provider: String
    /// When the price applied (`2026-04-26`).
    public var date: String
    /// Dollars per million input tokens served from the provider's prefix cache.
    public var cacheHitInput: Double
    /// Dollars per million input tokens not in the cache.
    public var cacheMissInput: Double
    /// Dollars per million output tokens.
    public var output: Double
    /// Where the price was published.
    public var source: String

    /// A price as published.
    public init(provider: String, date: String, cacheHitInput: Double, cacheMissInput: Double, output: Double, source: String) {
        self.provider = provider
        self.date = date
        self.cacheHitInput = cacheHitInput
        self.cacheMissInput = cacheMissInput
        self.output = output
        self.source = source
    }

    /// Gross margin of selling at `price` what costs `cost` to serve: `(price − cost) / price`.
    public static func grossMargin(price: Double, cost: Double) -> Double {
        (price - cost) / price
    }
}
