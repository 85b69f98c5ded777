import Foundation
import Testing

/// The quick base invocation of every leaf command that the option sweep varies one option of,
/// and the tiny data and checkpoints they use.
struct SweepInvocations {
    /// One way to run a command in about a second.
    struct Base {
        /// The arguments after the command's path; `out` is relative to the run's own folder.
        let arguments: [String]
        /// The options swept on this base (nil: every numeric option of the command).
        let only: Set<String>?

        init(_ arguments: [String], only: Set<String>? = nil) {
            self.arguments = arguments
            self.only = only
        }
    }

    /// The tiny Fashion-MNIST folder, checkpoints and files the bases need.
    let fixtures: URL
    var fashionMNIST: String { fixtures.appendingPathComponent("fashion-mnist").path }
    var classifier: String { fixtures.appendingPathComponent("classify/classifier-mlp.safetensors").path }
    var ganCheckpoint: String { fixtures.appendingPathComponent("gan/gan-checkpoint.safetensors").path }
    var qTable: String { fixtures.appendingPathComponent("rl/q-table-FrozenLake-v1.safetensors").path }
    var recommender: String { fixtures.appendingPathComponent("rec/rec-gmf.safetensors").path }
    var pairs: String { fixtures.appendingPathComponent("pairs.csv").path }

    /// The commands that make the fixtures, in order.
    var fixtureCommands: [[String]] {
        let data = ["--data", fashionMNIST]
        return [
            [
                "classify", "--model", "mlp", "--epochs", "1", "--limit", "100", "--batch-size", "20", "--out",
                fixtures.appendingPathComponent("classify").path
            ] + data,
            [
                "gan", "train", "--model", "mlp", "--epochs", "1", "--limit", "32", "--batch-size", "16",
                "--latent-size", "8",
                "--evaluation-samples", "8", "--out", fixtures.appendingPathComponent("gan").path
            ] + data,
            [
                "rl", "train", "--env", "FrozenLake-v1", "--episodes", "50", "--evaluation-episodes", "5", "--out",
                fixtures.appendingPathComponent("rl").path
            ],
            [
                "rec", "train", "--data", "synthetic", "--model", "gmf", "--epochs", "1", "--no-validation",
                "--factors", "4",
                "--layers", "8,4", "--out", fixtures.appendingPathComponent("rec").path
            ]
        ]
    }

    /// Makes the fixtures; throws when one of their commands fails.
    func make() throws {
        try FileManager.default.createDirectory(atPath: fashionMNIST, withIntermediateDirectories: true)
        try NervaCLI.writeTinyDataset(in: URL(fileURLWithPath: fashionMNIST), trainCount: 120, testCount: 40)
        try "user,item\n1,1\n1,2\n2,3\n".write(toFile: pairs, atomically: true, encoding: .utf8)
        for (index, command) in fixtureCommands.enumerated() {
            let outcome = try SweepRunner.run(command, in: fixtures.appendingPathComponent("make-\(index)"), limit: 300)
            try #require(
                outcome.status == 0 && !outcome.timedOut && !outcome.signalled,
                "fixture command failed: nerva \(command.joined(separator: " ")): \(outcome.stdout) \(outcome.stderr)")
        }
    }

    /// The base invocations by command path; the first of each is swept with every option.
    var bases: [String: [Base]] {
        let data = ["--data", fashionMNIST], out = ["--out", "out"]
        let dqn =
            [
                "--env", "CartPole-v1", "--total-timesteps", "300", "--learning-starts", "100", "--batch-size", "16",
                "--hidden-sizes", "8", "--target-network-frequency", "50", "--evaluation-episodes", "2"
            ] + out
        let ncf = ["--data", "synthetic", "--epochs", "1", "--no-validation", "--factors", "4", "--layers", "8,4"] + out
        return [
            "tour": [Base(data + out)],
            "classify": [
                Base(["--model", "mlp", "--epochs", "1", "--limit", "40", "--batch-size", "20"] + data + out),
                Base(["--epochs", "0", "--checkpoint", classifier, "--limit", "40"] + data + out, only: ["--epochs"])
            ],
            "gan train": [
                Base(
                    [
                        "--model", "mlp", "--epochs", "1", "--limit", "32", "--batch-size", "16", "--latent-size", "8",
                        "--evaluation-samples", "8"
                    ] + data + out)
            ],
            "gan sample": [Base(["--checkpoint", ganCheckpoint, "--count", "4"] + out)],
            "gan evaluate": [
                Base(["--checkpoint", ganCheckpoint, "--classifier", classifier, "--count", "20"] + data + out)
            ],
            "gan remedies": [
                Base(
                    [
                        "--model", "mlp", "--remedies", "baseline", "--epochs", "1", "--limit", "32", "--classifier",
                        classifier,
                        "--evaluation-samples", "8"
                    ] + data + out)
            ],
            "rl train": [
                Base(["--env", "FrozenLake-v1", "--episodes", "20", "--evaluation-episodes", "5"] + out),
                Base(
                    dqn,
                    only: Set(Self.dqnOptions + ["--learning-rate", "--discount", "--seed", "--evaluation-episodes"]))
            ],
            "rl evaluate": [Base(["--env", "FrozenLake-v1", "--checkpoint", qTable, "--episodes", "5"])],
            "rl plan": [Base(out)],
            "rl play": [Base([])],
            "rec train": [
                Base(["--model", "gmf"] + ncf),
                Base(
                    ["--model", "neumf", "--pretrain", "--fine-tune-learning-rate", "0.001"] + ncf,
                    only: ["--fine-tune-learning-rate"]),
                Base(
                    ["--data", "synthetic", "--model", "svd", "--epochs", "2", "--factors", "4"] + out,
                    only: ["--epochs", "--factors", "--learning-rate", "--regularization", "--folds", "--cutoff"]),
                Base(["--data", "synthetic", "--model", "item-knn"] + out, only: ["--neighbors", "--shrinkage"]),
                Base(
                    ["--data", "synthetic", "--model", "als", "--epochs", "2", "--factors", "4"] + out,
                    only: ["--regularization", "--factors", "--epochs", "--cg-steps"]),
                Base(["--data", "synthetic", "--model", "content"] + out, only: ["--threshold"])
            ],
            "rec evaluate": [Base(["--checkpoint", recommender, "--data", "synthetic"])],
            "rec recommend": [Base(["--checkpoint", recommender, "--user", Self.syntheticUser])],
            "rec similar": [Base(["--checkpoint", recommender, "--item", Self.syntheticItem])],
            "rec similar-images": [
                Base(["--classifier", classifier, "--limit", "20", "--evaluate", "5", "--count", "3"] + data + out)
            ],
            "rec score": [Base(["--checkpoint", recommender, "--pairs", pairs])],
            "fed simulate": [
                Base(["--clients", "2", "--rounds", "1", "--limit", "40", "--test-limit", "20"] + data + out)
            ],
            "fed server": [Base(["--port", "0", "--wait-for-clients", "1", "--test-limit", "20"] + data + out)],
            "fed client": [
                Base(
                    [
                        "--server", "http://127.0.0.1:9", "--partition-id", "0", "--num-partitions", "1", "--limit",
                        "20",
                        "--give-up-after", "1"
                    ] + data)
            ],
            "fed recommend": [
                Base(
                    [
                        "--users", "12", "--items", "40", "--rounds", "1", "--local-epochs", "1",
                        "--centralised-epochs", "0",
                        "--factors", "4", "--layers", "8,4"
                    ] + out)
            ],
            "fed flower-client": [
                Base(["--superlink", "127.0.0.1:9", "--insecure", "--attempts", "1", "--limit", "20"] + data)
            ],
            "bench": [Base(["engine", "--quick", "--only", "sgemm"])]
        ]
    }

    /// Options that set how long a run goes on (epochs, rounds, episodes, steps): a huge
    /// value asks for a run longer than the sweep waits, so one still running at the time limit
    /// has done what it was asked. A trap, an exit or a non-finite figure before then still fails.
    static let budgets: [String: Set<String>] = [
        "rl train": [
            "--episodes", "--total-timesteps", "--evaluation-episodes", "--selection-episodes", "--gradient-steps"
        ],
        "rl evaluate": ["--episodes"],
        "rec train": ["--epochs"],
        "fed simulate": ["--rounds", "--local-epochs"],
        "fed recommend": ["--rounds", "--local-epochs", "--refit-epochs"],
        "fed flower-client": ["--attempts"] // retries (at most 15 s apart) to reach an absent SuperLink
    ]

    /// The DQN options of `rl train`, swept on the DQN base (on the tabular one they are rejected).
    static let dqnOptions = [
        "--total-timesteps", "--learning-starts", "--buffer-size", "--exploration-fraction", "--train-frequency",
        "--gradient-steps", "--target-network-frequency", "--batch-size", "--max-gradient-norm", "--select-every",
        "--selection-episodes", "--selection-confirmation-episodes", "--priority-alpha",
        "--priority-beta"
    ]

    /// A user and an item of the synthetic data (seed 0).
    static let syntheticUser = "1", syntheticItem = "1"
}
