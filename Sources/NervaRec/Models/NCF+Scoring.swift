import Foundation

/// Scores every item for a block of users with a few large matrix products instead of one
/// forward pass per pair. The first MLP layer acts on `[p_u ; q_i]`, so it splits into a user
/// part and an item part computed once per user and once per item:
/// `W₁[p_u ; q_i] + b₁ = (W₁ᵘ p_u + b₁) + W₁ⁱ q_i`; the rest of the tower runs on all
/// `users × items` rows at once.
enum NCFScoring {
    /// Users per block: large enough for efficient products, small enough to stay in cache.
    static let blockRows = 16_384

    static func scoreAll(users: Range<Int>, into scores: UnsafeMutablePointer<Float>, itemCount: Int,
                         gmf: (users: Tensor, items: Tensor)?, mlp: (users: Tensor, items: Tensor, tower: [Linear])?,
                         weight: Tensor, bias: Tensor?) {
        #if canImport(CBLAS)
        // Two halves of the users on two threads when there is enough work (each call to BLAS is
        // single-threaded at these sizes, so the halves do not compete for its workers).
        let halves = users.count * itemCount >= 200_000 ? 2 : 1
        let size = (users.count + halves - 1) / halves
        // Read-only inputs shared by the two threads.
        nonisolated(unsafe) let output = scores, gmf = gmf, mlp = mlp, weight = weight, bias = bias
        DispatchQueue.concurrentPerform(iterations: halves) { half in
            let lower = users.lowerBound + half * size, upper = min(users.upperBound, lower + size)
            guard lower < upper else { return }
            fusedScoreAll(users: lower..<upper, into: output + (lower - users.lowerBound) * itemCount, itemCount: itemCount,
                          gmf: gmf, mlp: mlp, weight: weight, bias: bias)
        }
        #else
        tensorScoreAll(users: users, into: scores, itemCount: itemCount, gmf: gmf, mlp: mlp, weight: weight, bias: bias)
        #endif
    }

    /// The same with tensor operations (portable, allocates per block).
    static func tensorScoreAll(users: Range<Int>, into scores: UnsafeMutablePointer<Float>, itemCount: Int,
                               gmf: (users: Tensor, items: Tensor)?, mlp: (users: Tensor, items: Tensor, tower: [Linear])?,
                               weight: Tensor, bias: Tensor?) {
        withoutGradients {
            let gmfSize = gmf?.users.shape[1] ?? 0
            let outputWeight = weight.reshaped([weight.scalarCount])
            // Item-side parts, once per call.
            var itemPart: Tensor?
            var firstUserWeight: Tensor?
            if let mlp, let first = mlp.tower.first {
                let half = mlp.users.shape[1]
                firstUserWeight = first.weight.sliced(alongAxis: 1, 0..<half)
                itemPart = mlp.items.matmul(first.weight.sliced(alongAxis: 1, half..<(2 * half)), transposingOther: true)
            }
            let gmfWeight = gmf.map { _ in outputWeight.sliced(alongAxis: 0, 0..<gmfSize).reshaped([1, gmfSize]) }
            let mlpWeight = mlp.map { _ in outputWeight.sliced(alongAxis: 0, gmfSize..<outputWeight.scalarCount).reshaped([1, -1]) }
            let biasValue = bias?.scalars.first ?? 0
            let perBlock = max(1, blockRows / max(itemCount, 1))
            var start = users.lowerBound
            while start < users.upperBound {
                let end = min(users.upperBound, start + perBlock)
                let ids = Array(start..<end)
                let count = ids.count
                var total = Tensor.full([count, itemCount], value: biasValue)
                if let gmf, let gmfWeight {
                    let weighted = gmf.users.gathering(rows: ids) * gmfWeight
                    total = total + weighted.matmul(gmf.items, transposingOther: true)
                }
                if let mlp, let itemPart, let firstUserWeight, let mlpWeight {
                    let tower = mlp.tower
                    var userPart = mlp.users.gathering(rows: ids).matmul(firstUserWeight, transposingOther: true)
                    if let b = tower[0].bias { userPart = userPart + b }
                    let hidden = itemPart.shape[1]
                    var h = (userPart.reshaped([count, 1, hidden]) + itemPart.reshaped([1, itemCount, hidden])).relu()
                        .reshaped([count * itemCount, hidden])
                    for layer in tower.dropFirst() { h = layer(h).relu() }
                    total = total + h.matmul(mlpWeight, transposingOther: true).reshaped([count, itemCount])
                }
                total.withUnsafeBufferPointer { buffer in
                    (scores + (start - users.lowerBound) * itemCount).update(from: buffer.baseAddress!, count: count * itemCount)
                }
                start = end
            }
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
