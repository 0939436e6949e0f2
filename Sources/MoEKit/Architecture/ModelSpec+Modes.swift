//===--- ModelSpec+Modes.swift - Choosing how MLA is computed per phase ---===//

extension ModelSpec {
    /// A copy of this MLA model (or of the MLA layers of a KDA + MLA hybrid) that computes prefill and decode in the given modes
    /// (``MultiHeadLatentAttention/Mode``); `nil` keeps the current mode.
    ///
    /// - Throws: ``EstimationError/unsupportedFormat(model:design:option:)`` when the model's
    ///   attention is not MLA (DSA always attends to its selected entries in the absorbed form).
    public func withLatentAttentionModes(prefill: MultiHeadLatentAttention.Mode?,
                                         decode: MultiHeadLatentAttention.Mode?) throws(EstimationError) -> ModelSpec {
        guard prefill != nil || decode != nil else { return self }
        var copy = self
        let refusal = EstimationError.unsupportedOption(model: name, design: attentionModel.design.rawValue, option: "an MLA mode",
                                                        reason: "only MLA models have naive and absorbed modes")
        switch attention {
        case .latent(var mla):
            if let prefill { mla.prefillMode = prefill }
            if let decode { mla.decodeMode = decode }
            copy.attention = .latent(mla)
        case .linearHybrid(var hybrid):
            // The MLA layers of a KDA + MLA hybrid.
            guard case .latent(var mla) = hybrid.full else { throw refusal }
            if let prefill { mla.prefillMode = prefill }
            if let decode { mla.decodeMode = decode }
            hybrid.full = .latent(mla)
            copy.attention = .linearHybrid(hybrid)
        default:
            throw refusal
        }
        return copy
    }
}
