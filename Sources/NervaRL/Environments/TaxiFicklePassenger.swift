/// Gymnasium's Taxi `fickle_passenger` (Dietterich 2000, section 7.1): at the start of an episode
/// the passenger turns fickle with probability `probability`; a fickle passenger, once in the taxi,
/// picks another destination (uniformly among the other three stands) on the first step that moves
/// the taxi, and is content from then on. The random numbers are drawn as Gymnasium draws them
/// (`random() < p` at reset, `choice` of the other stands), so seeded episodes match Gymnasium's.
public struct TaxiFicklePassenger: Sendable, Equatable {
    /// The chance that a passenger is fickle (Gymnasium's `fickle_probability`, 0.3).
    public let probability: Double
    /// Whether this episode's passenger may still change their mind.
    public private(set) var isPending = false

    /// A fickle passenger with the given probability.
    ///
    /// - Throws: `ConfigurationError` when `probability` is outside `[0, 1]`.
    public init(probability: Double = 0.3) throws {
        try ConfigurationError.require(
            (0...1).contains(probability), "fickle probability", probability,
            allowed: "in [0, 1]")
        self.probability = probability
    }

    /// Draws whether this episode's passenger is fickle (after the first state was drawn).
    mutating func startEpisode(random: inout NumPyGenerator) {
        isPending = random.random() < probability
    }

    /// The state after a step from `previous` to `next`, with a new destination when the passenger
    /// was in the taxi, is fickle and the taxi moved.
    mutating func destinationChange(from previous: Int, to next: Int, random: inout NumPyGenerator) -> Int {
        let before = Taxi.decode(previous), after = Taxi.decode(next)
        guard isPending, before.passenger == 4, after.row != before.row || after.column != before.column else {
            return next
        }
        isPending = false
        let others = (0..<4).filter { $0 != before.destination }
        let destination = others[random.choice(count: others.count)]
        return Taxi.encode(row: after.row, column: after.column, passenger: after.passenger, destination: destination)
    }
}
