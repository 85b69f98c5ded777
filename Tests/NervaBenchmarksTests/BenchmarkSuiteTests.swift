import Foundation
import NervaBenchmarks
import Testing

/// The suites run from Swift: lines in the JSON format of DESIGN.md, the filter, the rates.
@Suite struct BenchmarkSuiteTests {
    private func objects(_ lines: [String]) throws -> [[String: Any]] {
        try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    @Test func aSuiteWritesOneJSONLinePerMeasurementAndThePeak() throws {
        var lines: [String] = []
        let reporter = BenchmarkReporter(suite: "rl", json: true, filter: "env_steps", quick: true) { lines.append($0) }
        let count = try BenchmarkSuite.rl.run(reporter: reporter)
        // The filter also matches bridge_env_steps where Python has gymnasium.
        let objects = try objects(lines)
        let names = objects.compactMap { $0["name"] as? String }
        #expect(count == names.count - 1 && names.last == "peak_rss")
        #expect(
            names.prefix(2) == ["env_steps", "env_steps"] && names.dropLast().allSatisfy { $0.hasSuffix("env_steps") })
        let environments = objects.compactMap { ($0["params"] as? [String: Any])?["env"] as? String }
        #expect(environments.prefix(2) == ["CartPole-v1", "FrozenLake-v1"])
        for object in objects {
            #expect(object["suite"] as? String == "rl")
            #expect((object["value"] as? Double).map { $0 > 0 } == true, "\(object)")
            #expect(object["cpu"] is String && object["isa"] is String && object["backend"] is String)
        }
        #expect(objects.dropLast().allSatisfy { $0["unit"] as? String == "steps/s" })
        #expect(objects.last?["unit"] as? String == "MB")
    }

    @Test func aFilterThatMatchesNothingRunsNothing() throws {
        var lines: [String] = []
        let reporter = BenchmarkReporter(suite: "gan", json: true, filter: "no_such_workload", quick: true) {
            lines.append($0)
        }
        #expect(try BenchmarkSuite.gan.run(reporter: reporter) == 0)
        #expect(lines.isEmpty)
        #expect(!reporter.wants("gan_train") && reporter.wants("no_such_workload_at_all"))
    }

    @Test func textLinesCarryTheSettingsTheFigureAndTheUnit() {
        var lines: [String] = []
        let reporter = BenchmarkReporter(suite: "engine", json: false, quick: true) { lines.append($0) }
        reporter.header()
        reporter.report("mlp_train", params: ["batch": 64], value: 12_345.6, unit: "samples/s")
        #expect(lines.count == 2 && reporter.count == 1)
        #expect(lines[1].hasPrefix("mlp_train batch=64 "), "\(lines)")
        #expect(lines[1].contains(" 12346.0 samples/s"), "\(lines)")
    }

    @Test func severalRoundsPrintEachLineOnceWithTheMedians() throws {
        var lines: [String] = []
        let reporter = BenchmarkReporter(suite: "engine", json: true, quick: true, rounds: 3) { lines.append($0) }
        for (round, value) in [30.0, 10, 20].enumerated() {
            reporter.report("mlp_train", params: ["batch": 64], value: value, unit: "samples/s")
            reporter.report("mlp_train", params: ["batch": 256], value: value * 2, unit: "samples/s")
            #expect(lines.count == (round == 2 ? 2 : 0) && reporter.count == lines.count)
        }
        let objects = try objects(lines)
        #expect(objects.map { $0["value"] as? Double } == [20, 40])
        #expect(objects.allSatisfy { $0["rounds"] as? Int == 3 && $0["ratio"] == nil })
        #expect(objects.map { ($0["params"] as? [String: Any])?["batch"] as? Int } == [64, 256])
    }

    @Test func textLinesSayHowManyRoundsTheMedianTookAndEvenCountsAverageTheMiddle() {
        var lines: [String] = []
        let reporter = BenchmarkReporter(suite: "rl", json: false, quick: true, rounds: 2) { lines.append($0) }
        reporter.report("dqn_cartpole", params: ["steps": 50_000], value: 1, unit: "s")
        reporter.report("dqn_cartpole", params: ["steps": 50_000], value: 2, unit: "s")
        #expect(lines.count == 1 && lines[0].contains(" 1.5 s (median of 2 rounds)"), "\(lines)")
    }

    @Test func roundsOutsideTheirRangeAreRefusedBeforeAnythingRuns() {
        for rounds in [0, -1, BenchmarkSuite.maximumRounds + 1] {
            var lines: [String] = []
            let reporter = BenchmarkReporter(suite: "rl", json: true, quick: true, rounds: rounds) { lines.append($0) }
            #expect(throws: BenchmarkError.self) { try BenchmarkSuite.rl.run(reporter: reporter) }
            #expect(lines.isEmpty)
        }
    }

    @Test func theStopwatchMeasuresTheRateOfItsBody() {
        // 1,000 units per call of a body that sleeps 2 ms: at most 500,000 units per second.
        let rate = Stopwatch.rate(seconds: 0.1, work: 1000, windows: 3) { Thread.sleep(forTimeInterval: 0.002) }
        #expect(rate > 10_000 && rate < 500_000, "\(rate)")
    }

    @Test func alternatingWindowsGiveEachBodyItsOwnRate() {
        var calls = [0, 0]
        let rates = Stopwatch.rates(
            seconds: 0.12, work: 1, windows: 3,
            [
                {
                    calls[0] += 1
                    Thread.sleep(forTimeInterval: 0.002)
                },
                {
                    calls[1] += 1
                    Thread.sleep(forTimeInterval: 0.006)
                }
            ])
        // The faster body runs about three times as often in its windows.
        #expect(rates.count == 2 && rates[0] > 1.5 * rates[1] && rates[1] < 1 / 0.006, "\(rates)")
        #expect(calls[0] > calls[1] && calls[1] >= 3 + 2, "\(calls)")
    }
}
