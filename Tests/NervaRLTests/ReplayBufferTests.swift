import NervaRL
import Testing

@Suite struct ReplayBufferTests {
    @Test func wrapsAroundOverwritingTheOldest() {
        var buffer = ReplayBuffer(capacity: 3, observationSize: 2)
        for i in 0..<5 {
            buffer.add(
                observation: [Float(i), 0], action: i, reward: Float(i), nextObservation: [Float(i + 1), 1],
                isTerminated: i == 4)
        }
        #expect(buffer.count == 3 && buffer.position == 2)
        #expect(buffer.transition(at: 0).action == 3) // slot 0: transition 3 replaced 0
        #expect(buffer.transition(at: 1).action == 4 && buffer.transition(at: 1).isTerminated)
        #expect(buffer.transition(at: 2).action == 2 && buffer.transition(at: 2).nextObservation == [3, 1])
    }

    @Test func samplesUniformlyFromStoredTransitionsOnly() {
        var buffer = ReplayBuffer(capacity: 100, observationSize: 1)
        for i in 0..<4 {
            buffer.add(observation: [Float(i)], action: i, reward: 0, nextObservation: [0], isTerminated: false)
        }
        let batch = buffer.sample(batchSize: 4_000, generator: RandomGenerator(seed: 3))
        #expect(batch.observations.shape == [4_000, 1])
        var counts = [0, 0, 0, 0]
        for action in batch.actions { counts[action] += 1 }
        #expect(counts.allSatisfy { abs($0 - 1_000) < 120 }, "\(counts)")
        #expect(zip(batch.observations.scalars, batch.actions).allSatisfy { Int($0) == $1 })
    }
}
