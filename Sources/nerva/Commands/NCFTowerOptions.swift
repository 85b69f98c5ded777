import ArgumentParser
import NervaRec

/// The NCF network flags of `nerva rec train` and `nerva fed recommend`: the MLP tower and the
/// sampled negatives. Their defaults are `NCFSettings`' (which `FederatedRecommendationRun` shares).
struct NCFTowerOptions: ParsableArguments {
    @Option(
        help: """
            NCF MLP sizes, comma-separated (default \(NCFSettings().layers.map(String.init).joined(separator: ","))); \
            the first is the concatenated embedding size.
            """)
    var layers: String?

    @Option(
        parsing: .unconditional, help: "NCF sampled negatives per positive in each epoch (\(NCFSettings().negatives)).")
    var negatives: Int?

    /// `--layers` as sizes (`nil` when not given).
    func parsedLayers() throws -> [Int]? {
        guard let layers else { return nil }
        let sizes = layers.split(separator: ",", omittingEmptySubsequences: false).map {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        guard sizes.count >= 2, sizes.allSatisfy({ ($0 ?? 0) > 0 }), sizes[0]! % 2 == 0 else {
            throw ValidationError(
                "--layers must be at least two positive sizes, the first even (e.g. 64,32,16,8), got '\(layers)'.")
        }
        return sizes.map { $0! }
    }
}
