import ArgumentParser
import Foundation
import NervaData
import NervaNN
import NervaRL

/// `nerva rl plan`: value iteration or policy iteration on an environment's transition model.
struct RLPlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Compute optimal values and policy with value iteration or policy iteration on the model."
    )

    enum Method: String, ExpressibleByArgument, CaseIterable {
        case valueIteration = "value-iteration"
        case policyIteration = "policy-iteration"
    }

    @Option(help: "The environment id: \(EnvironmentRegistry.tabularIDs.joined(separator: ", ")).")
    var env: String = "FrozenLake-v1"

    @Option(help: "The method: value-iteration or policy-iteration.")
    var method: Method = .valueIteration

    @Option(parsing: .unconditional, help: "Discount factor γ (policy iteration needs γ < 1).")
    var discount: Double = 1

    @Option(help: "Output folder (default ./nerva-out/rl-plan-<timestamp>).")
    var out: String?

    func validate() throws {
        guard EnvironmentRegistry.tabularIDs.contains(env) else {
            throw ValidationError(
                "--env \(env) has no transition model; choose one of \(EnvironmentRegistry.tabularIDs.joined(separator: ", "))."
            )
        }
        guard (0...1).contains(discount) else {
            throw ValidationError("--discount must be in [0, 1], got \(discount).")
        }
        if method == .policyIteration && discount >= 1 {
            throw ValidationError("policy-iteration needs --discount below 1.")
        }
    }

    func run() throws {
        let folder = try RunFolder(
            command: "rl-plan", out: out,
            settings: [
                ("env", env), ("method", method.rawValue),
                ("discount", "\(discount)")
            ])
        let environment = try EnvironmentRegistry.tabular(env)
        let model = environment.base.model
        let result =
            method == .valueIteration
            ? Planning.valueIteration(model, discount: discount)
            : Planning.policyIteration(model, discount: discount)
        let horizon = environment.maxEpisodeSteps == Int.max ? 1_000 : environment.maxEpisodeSteps
        let stationary = model.expectedInitialValue(
            Planning.evaluate(result.policy, on: model, horizon: horizon).values)
        let finite = model.expectedInitialValue(Planning.finiteHorizonValues(model, horizon: horizon).values)
        folder.log([
            "part": "rl", "env": env, "method": method.rawValue, "discount": discount, "iterations": result.iterations,
            "initial_value": model.expectedInitialValue(result.values.values),
            "policy_return_within_limit": stationary, "optimal_return_within_limit": finite
        ])
        if let grid = environment.base.grid, let arrows = RLFigures.arrows(for: environment.base) {
            try RLFigures.valueHeatMap(
                result.values.values, grid: grid, policy: result.policy, arrows: arrows,
                title: "V(s) on \(env) (\(method.rawValue), γ = \(discount))",
                name: "values-\(env.lowercased())",
                caption: "Optimal state values, tiles and policy.",
                folder: folder)
            folder.addText(
                title: "Optimal policy", text: RLFigures.policyText(result.policy, grid: grid, arrows: arrows))
        }
        try folder.writeReport()
        print(
            String(
                format:
                    "%@ on %@: %d iterations; V(start) %.4f; its policy within the %d-step limit %.4f; best possible within the limit %.4f",
                method.rawValue, env, result.iterations, model.expectedInitialValue(result.values.values), horizon,
                stationary, finite))
        print("report: \(folder.file("index.html").path)")
    }
}

/// `nerva rl play`: renders an episode of a grid world as text frames.
struct RLPlayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "play",
        abstract:
            "Play one episode of a grid world with the optimal (value iteration) or a random policy, as text frames."
    )

    @Option(help: "The environment id: \(EnvironmentRegistry.tabularIDs.joined(separator: ", ")).")
    var env: String = "FrozenLake-v1"

    @Option(help: "A Q-table checkpoint written by `nerva rl train` (default: value iteration's policy).")
    var checkpoint: String?

    @Flag(help: "Act at random instead.")
    var random = false

    @Option(parsing: .unconditional, help: "Random seed.")
    var seed: UInt64 = 0

    func validate() throws {
        guard EnvironmentRegistry.tabularIDs.contains(env) else {
            throw ValidationError(
                "--env \(env) is not a grid world; choose one of \(EnvironmentRegistry.tabularIDs.joined(separator: ", "))."
            )
        }
    }

    func run() throws {
        var environment = try EnvironmentRegistry.tabular(env)
        let model = environment.base.model
        var policy = Planning.valueIteration(model, discount: env == "FrozenLake8x8-v1" ? 0.995 : 1).policy
        if let checkpoint { policy = try RLCheckpoints.qTable(checkpoint, model: model).greedyPolicy }
        let generator = RandomGenerator(seed: seed)
        _ = environment.reset(seed: seed)
        print(environment.base.render() + "\n")
        var total = 0.0
        while true {
            let action =
                random ? generator.integer(below: model.actionCount) : policy.action(for: environment.base.state)
            let step = environment.step(action)
            total += step.reward
            print("action \(action), reward \(step.reward)\n" + environment.base.render() + "\n")
            if step.isDone {
                print(
                    "return \(total) after \(environment.elapsedSteps) steps (\(step.isTerminated ? "terminated" : "truncated"))"
                )
                break
            }
        }
    }
}
