import Foundation
import Testing

@Suite(.serialized) struct RLCommandTests {
    @Test func trainQLearningWritesItsRunFolder() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try NervaCLI.run([
            "rl", "train", "--algorithm", "q-learning", "--env", "FrozenLake-v1", "--episodes", "300",
            "--out", folder.path, "--seed", "2"
        ])
        #expect(result.status == 0, "\(result.text)")
        #expect(result.text.contains("greedy policy: expected return"))
        for name in [
            "metrics.jsonl", "index.html", "q-table-FrozenLake-v1.safetensors", "q-values-frozenlake-v1.svg",
            "optimal-values-frozenlake-v1.svg", "learning-curve-frozenlake-v1.svg"
        ] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), "missing \(name)")
        }
        let metrics = try String(contentsOf: folder.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(metrics.contains("\"greedy_expected_return\""))

        let play = try NervaCLI.run([
            "rl", "play", "--env", "FrozenLake-v1", "--checkpoint",
            folder.appendingPathComponent("q-table-FrozenLake-v1.safetensors").path
        ])
        #expect(play.status == 0 && play.text.contains("return"), "\(play.text)")
        let evaluation = try NervaCLI.run([
            "rl", "evaluate", "--env", "FrozenLake-v1", "--episodes", "50", "--checkpoint",
            folder.appendingPathComponent("q-table-FrozenLake-v1.safetensors").path
        ])
        #expect(evaluation.status == 0 && evaluation.text.contains("greedy mean return"), "\(evaluation.text)")
    }

    @Test func trainDQNWithATinyBudget() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try NervaCLI.run([
            "rl", "train", "--algorithm", "dqn", "--env", "CartPole-v1", "--total-timesteps", "1500",
            "--learning-starts", "500", "--evaluation-episodes", "2", "--out", folder.path
        ])
        #expect(result.status == 0, "\(result.text)")
        for name in [
            "metrics.jsonl", "index.html", "q-network-CartPole-v1.safetensors", "learning-curve-dqn-cartpole-v1.svg"
        ] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), "missing \(name)")
        }
        let evaluation = try NervaCLI.run([
            "rl", "evaluate", "--env", "CartPole-v1", "--episodes", "3", "--checkpoint",
            folder.appendingPathComponent("q-network-CartPole-v1.safetensors").path
        ])
        #expect(evaluation.status == 0 && evaluation.text.contains("greedy mean return"), "\(evaluation.text)")
        let missing = try NervaCLI.run([
            "rl", "evaluate", "--env", "CartPole-v1", "--checkpoint", "/nonexistent.safetensors"
        ])
        #expect(missing.status != 0 && missing.text.contains("/nonexistent.safetensors"), "\(missing.text)")
    }

    @Test func planReportsTheOptimum() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try NervaCLI.run(["rl", "plan", "--env", "Taxi-v3", "--out", folder.path])
        #expect(result.status == 0, "\(result.text)")
        #expect(result.text.contains("V(start) 7.9300"), "\(result.text)")
    }

    @Test func badFlagsAreExplained() throws {
        let unknown = try NervaCLI.run(["rl", "train", "--env", "Pong-v5"])
        #expect(
            unknown.status != 0 && unknown.text.contains("Pong-v5") && unknown.text.contains("FrozenLake-v1"),
            "\(unknown.text)")
        let mismatched = try NervaCLI.run(["rl", "train", "--algorithm", "dqn", "--env", "Taxi-v3"])
        #expect(mismatched.status != 0 && mismatched.text.contains("CartPole-v1"), "\(mismatched.text)")
        let badMap = try NervaCLI.run(["rl", "train", "--map", "SFX/FFG"])
        #expect(badMap.status != 0 && badMap.text.contains("row 1"), "\(badMap.text)")
        let badRate = try NervaCLI.run(["rl", "train", "--learning-rate", "2"])
        #expect(badRate.status != 0 && badRate.text.contains("--learning-rate"), "\(badRate.text)")
    }

    @Test func severalSeedsGiveAPerSeedTableAndARangeCurve() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try NervaCLI.run([
            "rl", "train", "--algorithm", "dqn", "--env", "CartPole-v1", "--preset", "cleanrl",
            "--total-timesteps", "1200", "--learning-starts", "400", "--seeds", "1-2",
            "--evaluation-episodes", "2", "--out", folder.path
        ])
        #expect(result.status == 0, "\(result.text)")
        #expect(
            result.text.contains("seed 1: greedy mean return") && result.text.contains("seed 2: greedy mean return"))
        #expect(
            result.text.contains("2 seeds: greedy mean return") && result.text.contains("/2 seeds reach 475"),
            "\(result.text)")
        for name in [
            "learning-curve-dqn-seeds-cartpole-v1.svg", "q-network-CartPole-v1-seed-1.safetensors",
            "q-network-CartPole-v1-seed-2.safetensors", "index.html"
        ] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), "missing \(name)")
        }
        let badSeeds = try NervaCLI.run(["rl", "train", "--algorithm", "dqn", "--env", "CartPole-v1", "--seeds", "5-1"])
        #expect(badSeeds.status != 0 && badSeeds.text.contains("--seeds"), "\(badSeeds.text)")
        let badPreset = try NervaCLI.run(["rl", "train", "--env", "CartPole-v1", "--preset", "fast"])
        #expect(badPreset.status != 0 && badPreset.text.contains("preset"), "\(badPreset.text)")
    }

    /// `--gymnasium` through the shipped helper and the Python of .venv; skipped with a message
    /// where Python has no gymnasium, unless NERVA_REQUIRE_INTEROP=1 (CI).
    @Test func trainThroughTheGymnasiumBridge() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try NervaCLI.run([
            "rl", "train", "--gymnasium", "CartPole-v1", "--preset", "cleanrl",
            "--total-timesteps", "800", "--learning-starts", "300", "--evaluation-episodes", "2",
            "--out", folder.path
        ])
        let isRequired = ProcessInfo.processInfo.environment["NERVA_REQUIRE_INTEROP"] == "1"
        if !isRequired && (result.text.contains("Python not found") || result.text.contains("cannot import gymnasium"))
        {
            print("skipped: no Python with gymnasium (run scripts/install-dependencies): \(result.text)")
            return
        }
        #expect(result.status == 0, "\(result.text)")
        #expect(result.text.contains("Gymnasium 1.") && result.text.contains("greedy mean return"), "\(result.text)")
        #expect(
            FileManager.default.fileExists(
                atPath: folder.appendingPathComponent("q-network-CartPole-v1.safetensors").path))

        let tabular = try NervaCLI.run([
            "rl", "train", "--gymnasium", "FrozenLake-v1", "--gymnasium-options", #"{"is_slippery": false}"#,
            "--episodes", "200", "--evaluation-episodes", "5", "--out", folder.path
        ])
        #expect(tabular.status == 0 && tabular.text.contains("greedy policy: sampled mean return"), "\(tabular.text)")

        let unknown = try NervaCLI.run(["rl", "train", "--gymnasium", "NoSuchEnv-v9", "--out", folder.path])
        #expect(unknown.status != 0 && unknown.text.contains("NoSuchEnv-v9"), "\(unknown.text)")
        let badOptions = try NervaCLI.run(["rl", "train", "--gymnasium", "CartPole-v1", "--gymnasium-options", "[1"])
        #expect(badOptions.status != 0 && badOptions.text.contains("--gymnasium-options"), "\(badOptions.text)")
    }

    /// Every id Gymnasium 1.4 registers is accepted by the CLI as by the library.
    @Test func gymnasiumIdsAreAccepted() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for id in ["Taxi-v4", "CliffWalking-v0", "CliffWalkingSlippery-v1"] {
            let plan = try NervaCLI.run(["rl", "plan", "--env", id, "--out", folder.path])
            #expect(plan.status == 0, "\(id): \(plan.text)")
        }
        let train = try NervaCLI.run([
            "rl", "train", "--env", "Taxi-v4", "--episodes", "20",
            "--evaluation-episodes", "2", "--out", folder.path
        ])
        #expect(train.status == 0, "\(train.text)")
    }

    /// Success rates only where the environment defines success; selection steps beside training steps.
    @Test func successRateAndSelectionStepsAreReportedWhereTheyMeanSomething() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let dqn = try NervaCLI.run([
            "rl", "train", "--algorithm", "dqn", "--env", "CartPole-v1",
            "--total-timesteps", "1200", "--learning-starts", "400", "--select-every", "400",
            "--selection-episodes", "2",
            "--evaluation-episodes", "2", "--out", folder.path
        ])
        #expect(dqn.status == 0 && dqn.text.contains("1200 training steps + "), "\(dqn.text)")
        #expect(dqn.text.contains("selection-evaluation steps"), "\(dqn.text)")
        let plain = try NervaCLI.run([
            "rl", "train", "--algorithm", "dqn", "--env", "CartPole-v1",
            "--total-timesteps", "600", "--learning-starts", "300", "--no-select-best",
            "--evaluation-episodes", "2",
            "--out", folder.path
        ])
        #expect(
            plain.status == 0 && plain.text.contains("600 training steps in") && !plain.text.contains("selection"),
            "\(plain.text)")
        let pole = try NervaCLI.run([
            "rl", "evaluate", "--env", "CartPole-v1", "--episodes", "2", "--checkpoint",
            folder.appendingPathComponent("q-network-CartPole-v1.safetensors").path
        ])
        #expect(pole.status == 0 && !pole.text.contains("success rate"), "\(pole.text)")
        let lake = try NervaCLI.run([
            "rl", "train", "--env", "FrozenLake-v1", "--episodes", "50",
            "--evaluation-episodes", "5", "--out", folder.path
        ])
        #expect(lake.status == 0, "\(lake.text)")
        let table = folder.appendingPathComponent("q-table-FrozenLake-v1.safetensors").path
        let evaluation = try NervaCLI.run([
            "rl", "evaluate", "--env", "FrozenLake-v1", "--episodes", "5",
            "--checkpoint", table
        ])
        #expect(evaluation.status == 0 && evaluation.text.contains("success rate"), "\(evaluation.text)")
        let svg = try String(contentsOf: folder.appendingPathComponent("q-values-frozenlake-v1.svg"), encoding: .utf8)
        #expect(svg.contains(">S ") && svg.contains(">H<") && svg.contains(">G<"), "tiles and arrows on the heat map")
    }
}
