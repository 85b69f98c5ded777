import Foundation
import NervaRL
import NervaTestSupport
import Testing

/// NumPy's seeding path (SeedSequence → PCG64 → Generator), as Gymnasium seeds its environments,
/// against values recorded from NumPy (`numpy_random.json`) and against the NumPy in `.venv` live.
@Suite struct NumPyRandomTests {
    static let cases = GymnasiumFixtures.numpyRandom.cases.indices.map { $0 }

    /// Replays a recorded call on `generator` and returns its result as a Double.
    static func replay(_ call: GymnasiumFixtures.Call, on generator: inout NumPyGenerator) -> Double {
        switch call.name {
        case "random": return generator.random()
        case "uniform": return generator.uniform(low: call.arguments[0], high: call.arguments[1])
        case "integers": return Double(generator.integers(low: Int(call.arguments[0]), high: Int(call.arguments[1])))
        case "choice": return Double(generator.choice(count: Int(call.arguments[0])))
        default: return Double(generator.choice(probabilities: call.arguments))
        }
    }

    @Test(arguments: cases) func seedSequenceMatchesNumPy(_ index: Int) throws {
        let fixture = GymnasiumFixtures.numpyRandom.cases[index]
        let seed = try #require(UInt64(fixture.seed))
        let sequence = SeedSequence(seed: seed)
        #expect(sequence.generateState(wordCount: 6) == fixture.state32, "seed \(seed)")
        #expect(sequence.generateState64(count: 4) == fixture.state64.compactMap(UInt64.init), "seed \(seed)")
    }

    @Test(arguments: cases) func pcg64MatchesNumPy(_ index: Int) throws {
        let fixture = GymnasiumFixtures.numpyRandom.cases[index]
        var generator = PCG64(seed: try #require(UInt64(fixture.seed)))
        let raw = (0..<fixture.raw.count).map { _ in generator.next() }
        #expect(raw == fixture.raw.compactMap(UInt64.init), "seed \(fixture.seed)")
    }

    /// random, uniform, integers (32- and 64-bit ranges, the buffered half-words included) and
    /// choice, interleaved in one stream per seed: every result is bit-identical.
    @Test(arguments: cases) func generatorMethodsMatchNumPy(_ index: Int) throws {
        let fixture = GymnasiumFixtures.numpyRandom.cases[index]
        var generator = NumPyGenerator(seed: try #require(UInt64(fixture.seed)))
        for (number, call) in fixture.calls.enumerated() {
            let result = Self.replay(call, on: &generator)
            #expect(result == call.result, "seed \(fixture.seed) call \(number) \(call.name)\(call.arguments)")
        }
    }

    @Test func randomMapsMatchGymnasiumsGenerateRandomMap() throws {
        for fixture in GymnasiumFixtures.numpyRandom.random_maps {
            let map = try FrozenLake.randomMap(size: fixture.size, frozenProbability: fixture.p, seed: fixture.seed)
            #expect(map == fixture.map, "size \(fixture.size) p \(fixture.p) seed \(fixture.seed)")
        }
    }

    @Test func copiesAreIndependentAndStreamsDiffer() {
        var first = NumPyGenerator(seed: 3)
        var copy = first
        #expect(first.random() == copy.random())
        #expect(NumPyGenerator(seed: 3) != NumPyGenerator(seed: 4))
        var unseeded = NumPyGenerator(seedOrEntropy: nil), other = NumPyGenerator(seedOrEntropy: nil)
        #expect(unseeded.random() != other.random())
    }

    /// Seeds not in the fixtures, against the NumPy of `.venv` (where it is installed; CI requires it).
    @Test(.enabled(if: PythonScript.canImport("numpy") || PythonScript.isRequired, "needs Python with numpy"))
    func liveNumPyAgrees() throws {
        let seeds: [UInt64] = [3, 987_654_321, 1 << 40 | 77]
        let code = """
            import numpy as np, sys
            for seed in [\(seeds.map(String.init).joined(separator: ","))]:
                g = np.random.default_rng(seed)
                values = [g.random(), g.uniform(-0.1, 0.1), g.integers(0, 7), g.choice([5, 6, 7]),
                          g.choice(4, p=[0.1, 0.2, 0.3, 0.4]), g.integers(-3, 2**45), g.random()]
                print(" ".join(repr(float(v)) for v in values))
            """
        let output = PythonScript.run(["-c", code])
        try #require(output.status == 0, "\(output.log)")
        let lines = output.stdout.split(separator: "\n")
        try #require(lines.count == seeds.count)
        for (seed, line) in zip(seeds, lines) {
            var g = NumPyGenerator(seed: seed)
            let mine = [
                g.random(), g.uniform(low: -0.1, high: 0.1), Double(g.integers(low: 0, high: 7)),
                Double(5 + g.choice(count: 3)), Double(g.choice(probabilities: [0.1, 0.2, 0.3, 0.4])),
                Double(g.integers(low: -3, high: 1 << 45)), g.random()
            ]
            #expect(mine == line.split(separator: " ").compactMap { Double($0) }, "seed \(seed)")
        }
    }
}
