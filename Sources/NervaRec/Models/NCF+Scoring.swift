import Foundation

/// Scores every item for a block of users with a few large matrix products instead of one
/// forward pass per pair. The first MLP layer acts on `[p_u ; q_i]`, so it splits into a user
/// part and an item part computed once per user and once per item:
/// `W₁[p_u ; q_i] + b₁ = (W₁ᵘ p_u + b₁) + W₁ⁱ q_i`; the rest of the tower runs on all
/// `users × items` rows at once.
enum NCFScoring {
    /// Users per block: large enough for efficient products, small enough to stay in cache.
    static let blockRows = 16_384

    static func scoreAll(
        users: Range<Int>, into scores: UnsafeMutablePointer<Float>, itemCount: Int,
        gmf: (users: Tensor, items: Tensor)?, mlp: (users: Tensor, items: Tensor, tower: [Linear])?,
        weight: Tensor, bias: Tensor?
    ) {
        // Halves of the users on two threads when there is enough work; each half's products
        // then run on its own thread.
        let halves = users.count * itemCount >= 200_000 ? min(2, ThreadBudget.threadCount) : 1
        ThreadBudget.forEachPart(count: users.count, tasks: halves) { _, share in
            guard !share.isEmpty else { return }
            let part = (users.lowerBound + share.lowerBound)..<(users.lowerBound + share.upperBound)
            fusedScoreAll(
                users: part, into: scores + share.lowerBound * itemCount, itemCount: itemCount,
                gmf: gmf, mlp: mlp, weight: weight, bias: bias)
        }
    }
}

/// An NCF network as a `Recommender`: scores are the network's logits (monotone in the
/// predicted probability).
public final class NCFRecommender: Recommender {
    public let network: any NCFNetwork
    public let name: String

    public init(_ network: any NCFNetwork, name: String) {
        self.network = network
        self.name = name
    }

    public var userCount: Int { network.userCount }
    public var itemCount: Int { network.itemCount }

    public func scoreAll(users: Range<Int>, into scores: UnsafeMutablePointer<Float>) {
        network.scoreAll(users: users, into: scores)
    }
}
