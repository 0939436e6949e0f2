//===--- ModelSpec+Modes.swift - Choosing how MLA is computed per phase ---===//

extension ModelSpec {
    /// A copy of this MLA model that computes prefill and decode in the given modes
    /// (``MultiHeadLatentAttention/Mode``); `nil` keeps the current mode.
    ///
    /// - Throws: ``EstimationError/unsupportedFormat(model:design:option:)`` when the model's
    ///   attention is not MLA (DSA always attends to its selected entries in the absorbed form).
    public func withLatentAttentionModes(prefill: MultiHeadLatentAttention.Mode?,
                                         decode: MultiHeadLatentAttention.Mode?) throws(EstimationError) -> ModelSpec {
        guard prefill != nil || decode != nil else { return self }
        guard case .latent(var mla) = attention else {
            throw .unsupportedOption(model: name, design: attentionModel.design.rawValue,
                                     option: "an MLA mode", reason: "only MLA models have naive and absorbed modes")
        }
        if let prefill { mla.prefillMode = prefill }
        if let decode { mla.decodeMode = decode }
        var copy = self
        copy.attention = .latent(mla)
        return copy
    }
}
