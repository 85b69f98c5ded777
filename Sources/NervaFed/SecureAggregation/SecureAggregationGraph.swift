import Foundation
import NervaTensor

/// Who masks with whom in a secure aggregation round: SecAgg+ (Bell et al. 2020, "Secure
/// Single-Server Aggregation with (Poly)Logarithmic Overhead", https://eprint.iacr.org/2020/704)
/// pairs each participant with `k = O(log n)` neighbours instead of all `n − 1` others, so a
/// participant's keys, shares and masks cost `O(log n)` instead of `O(n)`.
///
/// The graph is a Harary graph on a seeded random ring: the participants `0..<n` are shuffled
/// by `seed` (Fisher–Yates with Nerva's `RandomGenerator`) onto a ring, and each is the neighbour
/// of the `k / 2` participants on either side. It is symmetric, every participant has exactly
/// `degree` neighbours, and server and participants derive the same graph from `(n, degree, seed)`
/// alone. With `degree = n − 1` it is the all-pairs graph of Bonawitz et al.
public struct SecureAggregationGraph: Sendable, Equatable {
    /// The number of participants, numbered `0..<participants`.
    public let participants: Int
    /// Neighbours per participant: `participants − 1` (all pairs) or an even number below it.
    public let degree: Int
    /// The seed of the ring's order.
    public let seed: UInt64
    /// The ring position of each participant, and the participant at each position.
    private let position: [Int], order: [Int]

    /// The graph of `participants` with `degree` neighbours each (rounded up to an even number
    /// unless it is `participants − 1`), shuffled by `seed`.
    ///
    /// - Parameters:
    ///   - participants: the participants of the round, at least 2.
    ///   - degree: the neighbours of each, in `1...participants − 1`.
    ///   - seed: the seed of the ring's order.
    /// - Throws: `SecureAggregationError.invalidGraph` when the counts are out of range.
    public init(participants: Int, degree: Int, seed: UInt64) throws {
        guard participants >= 2, participants <= Self.maximumParticipants else {
            throw SecureAggregationError.invalidGraph(
                "\(participants) participants, expected 2...\(Self.maximumParticipants)")
        }
        guard degree >= 1, degree <= participants - 1 else {
            throw SecureAggregationError.invalidGraph(
                "degree \(degree) for \(participants) participants, expected 1...\(participants - 1)")
        }
        self.participants = participants
        let even = degree + degree % 2
        self.degree = even >= participants - 1 ? participants - 1 : even
        self.seed = seed
        var order = Array(0..<participants)
        let generator = RandomGenerator(seed: seed)
        for i in stride(from: participants - 1, to: 0, by: -1) {
            order.swapAt(i, Int(generator.next() % UInt64(i + 1)))
        }
        var position = [Int](repeating: 0, count: participants)
        for (place, participant) in order.enumerated() { position[participant] = place }
        self.position = position
        self.order = order
    }

    /// The largest round the protocol accepts (share coordinates and indices stay small).
    public static let maximumParticipants = 1 << 20

    /// The SecAgg+ degree for `participants`: `2·⌈log₂ n⌉`, all pairs when that reaches `n − 1`.
    ///
    /// - Parameter participants: the participants of the round.
    public static func logarithmicDegree(participants: Int) -> Int {
        guard participants > 2 else { return max(participants - 1, 1) }
        return min(participants - 1, 2 * Int(log2(Double(participants)).rounded(.up)))
    }

    /// Whether every participant is the neighbour of every other.
    public var isAllPairs: Bool { degree == participants - 1 }

    /// Whether `a` and `b` (two different participants) mask with each other.
    ///
    /// - Parameters:
    ///   - a: a participant.
    ///   - b: another participant.
    public func areNeighbours(_ a: Int, _ b: Int) -> Bool {
        guard a != b, (0..<participants).contains(a), (0..<participants).contains(b) else { return false }
        if isAllPairs { return true }
        let distance = abs(position[a] - position[b])
        return min(distance, participants - distance) <= degree / 2
    }

    /// The neighbours of `participant`, sorted (empty for an index outside the graph).
    ///
    /// - Parameter participant: a participant of the round.
    public func neighbours(of participant: Int) -> [Int] {
        guard (0..<participants).contains(participant) else { return [] }
        if isAllPairs { return (0..<participants).filter { $0 != participant } }
        let here = position[participant]
        return (1...(degree / 2)).flatMap { step in
            [order[(here + step) % participants], order[(here - step + participants) % participants]]
        }.sorted()
    }

    /// `participant` and its neighbours, sorted: the holders of its secrets' shares. The share of
    /// the member at position `p` has coordinate `x = p + 1`.
    ///
    /// - Parameter participant: a participant of the round.
    public func neighbourhood(of participant: Int) -> [Int] {
        guard (0..<participants).contains(participant) else { return [] }
        return (neighbours(of: participant) + [participant]).sorted()
    }

    /// The coordinate of the share of `owner`'s secrets held by `holder` (`nil` when `holder` is
    /// not in `owner`'s neighbourhood).
    ///
    /// - Parameters:
    ///   - owner: whose secret the share is of.
    ///   - holder: who holds the share.
    public func shareCoordinate(of owner: Int, heldBy holder: Int) -> UInt64? {
        neighbourhood(of: owner).firstIndex(of: holder).map { UInt64($0 + 1) }
    }
}
