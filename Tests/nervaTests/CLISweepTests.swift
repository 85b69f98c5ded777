import Foundation
import Testing

/// Every numeric option of every command, set to 0, −1, NaN, infinity and huge values, one at a
/// time on a quick base invocation (issue #18): the process ends with status 0, 1 or 64, with a
/// message when it fails, never by a signal, and a success prints no non-finite figure.
@Suite struct CLISweepTests {
    /// The values each numeric option takes.
    static let values = ["0", "-1", "nan", "inf", "1e30", "99999999999999999999", "9223372036854775807"]
    /// The values above that ask for more than any run can do.
    static let hugeValues: Set<String> = ["1e30", "99999999999999999999", "9223372036854775807"]
    /// Seconds a run may take; a budget option with a huge value is stopped sooner. The tour has no
    /// smaller base invocation than the whole tour (about 2 minutes alone, more beside the other
    /// suites), so its runs get longer.
    static let timeLimit = 90.0, tourTimeLimit = 420.0, budgetTimeLimit = 8.0

    /// One run of the sweep.
    struct Run: Sendable {
        let command: String
        let option: String
        let value: String
        let arguments: [String]
        let isBudget: Bool
        var description: String { "nerva \(arguments.joined(separator: " "))" }
    }

    @Test func everyNumericOptionSurvivesHostileValues() throws {
        let started = Date()
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let invocations = SweepInvocations(fixtures: folder.appendingPathComponent("fixtures"))
        try invocations.make()
        let tree = try helpTree(in: folder)
        let bases = invocations.bases
        let leaves = tree.leaves
        let missing = leaves.map { $0.path.joined(separator: " ") }.filter { bases[$0] == nil }
        #expect(missing.isEmpty, "commands without a base invocation in SweepInvocations.bases: \(missing)")
        let unknown = Set(bases.keys).subtracting(leaves.map { $0.path.joined(separator: " ") })
        #expect(unknown.isEmpty, "base invocations of commands that do not exist: \(unknown.sorted())")

        // Which options are numbers: "abc" is an invalid value for them, "1" is not.
        let candidates = leaves.flatMap { leaf in
            leaf.options.filter { $0.allValues == nil }.compactMap { option -> (String, [String], String)? in
                let command = leaf.path.joined(separator: " ")
                guard let base = bases[command]?.first, let name = option.longName else { return nil }
                return (command, leaf.path + Self.replacing(name, in: base.arguments), name)
            }
        }
        let probes = SweepRunner.parallelMap(candidates) { command, arguments, name in
            (
                command, name,
                Self.rejects(arguments, name, "abc", in: folder) && !Self.rejects(arguments, name, "1", in: folder)
            )
        }
        let numeric = probes.filter(\.2).map { ($0.0, $0.1) }
        let commandsSwept = Set(numeric.map(\.0))

        var runs: [Run] = []
        for (command, option) in numeric {
            let path = command.split(separator: " ").map(String.init)
            let chosen = bases[command]!.enumerated().filter {
                $0.offset == 0 || $0.element.only?.contains(option) == true
            }
            for (_, base) in chosen {
                for value in Self.values {
                    runs.append(
                        Run(
                            command: command, option: option, value: value,
                            arguments: path + Self.replacing(option, in: base.arguments) + [option, value],
                            isBudget: SweepInvocations.budgets[command]?.contains(option) == true
                                && Self.hugeValues.contains(value)))
                }
            }
        }
        let claimed = bases.flatMap { command, list in list.compactMap(\.only).flatMap { $0 }.map { "\(command) \($0)" }
        }
        let unswept = Set(claimed).subtracting(numeric.map { "\($0.0) \($0.1)" })
        #expect(
            unswept.isEmpty, "options a base names that are not numeric options of its command: \(unswept.sorted())")

        let sweepStarted = Date()
        let findings = SweepRunner.parallelMap(Array(runs.enumerated())) { index, run in
            Self.problems(of: run, in: folder.appendingPathComponent("run-\(index)"))
        }
        for (run, problems) in zip(runs, findings) where !problems.isEmpty {
            Issue.record("\(run.description): \(problems.joined(separator: "; "))")
        }
        let failed = findings.filter { !$0.isEmpty }.count
        print(
            String(
                format:
                    "CLI sweep: %d commands, %d numeric options, %d runs (%d failed) in %.0f s; %.0f s with probes and fixtures",
                commandsSwept.count, numeric.count, runs.count, failed, Date().timeIntervalSince(sweepStarted),
                Date().timeIntervalSince(started)))
    }

    // MARK: - Helpers

    /// The command tree of the binary itself.
    func helpTree(in folder: URL) throws -> HelpTree {
        let outcome = try SweepRunner.run(
            ["--experimental-dump-help"], in: folder.appendingPathComponent("help"), limit: 60)
        try #require(outcome.status == 0, "--experimental-dump-help failed: \(outcome.stderr)")
        return try JSONDecoder().decode(HelpTree.self, from: Data(outcome.stdout.utf8))
    }

    /// `arguments` without `option` and its value.
    static func replacing(_ option: String, in arguments: [String]) -> [String] {
        guard let index = arguments.firstIndex(of: option) else { return arguments }
        var copy = arguments
        copy.removeSubrange(index...min(index + 1, copy.count - 1))
        return copy
    }

    /// Whether the parser rejects `value` for `option` as not of its type. An unknown option
    /// after it stops every run right after parsing, so nothing is trained or written.
    static func rejects(_ arguments: [String], _ option: String, _ value: String, in folder: URL) -> Bool {
        let probe = folder.appendingPathComponent("probe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: probe) }
        guard
            let outcome = try? SweepRunner.run(
                arguments + [option, value, "--no-such-option-of-the-sweep"], in: probe, limit: 60)
        else {
            return false
        }
        return outcome.stderr.contains("The value '\(value)' is invalid for '\(option)")
    }

    /// What is wrong with how `run` ended; empty when nothing is.
    static func problems(of run: Run, in folder: URL) -> [String] {
        let outcome: SweepRunner.Outcome
        do {
            let limit = run.isBudget ? budgetTimeLimit : run.command == "tour" ? tourTimeLimit : timeLimit
            outcome = try SweepRunner.run(run.arguments, in: folder, limit: limit)
        } catch {
            return ["could not run: \(error)"]
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        var problems: [String] = []
        if outcome.signalled { problems.append("killed by signal \(outcome.status)") }
        if outcome.timedOut && !run.isBudget {
            problems.append(String(format: "still running after %.0f s", outcome.seconds))
        }
        if !outcome.signalled && !outcome.timedOut {
            if ![0, 1, 64].contains(outcome.status) { problems.append("exit status \(outcome.status)") }
            if outcome.status != 0 && outcome.stderr.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                problems.append("exit status \(outcome.status) without a message on stderr")
            }
        }
        if run.value == "-1" && outcome.stderr.contains("Missing value for '\(run.option)") {
            problems.append("-1 read as a missing value (the option needs parsing: .unconditional)")
        }
        if outcome.status == 0 || outcome.timedOut {
            problems += nonFiniteFigures(in: folder).map { "non-finite figure: \($0)" }
        }
        if !problems.isEmpty {
            let tail = (outcome.stderr.isEmpty ? outcome.stdout : outcome.stderr).split(separator: "\n").suffix(3)
                .joined(separator: " | ")
            problems.append("output: \(tail.prefix(600))")
        }
        return problems
    }

    /// Lines of the run's output and written text files that show NaN or an infinity as a number.
    static func nonFiniteFigures(in folder: URL) -> [String] {
        let pattern = try! NSRegularExpression(
            pattern: "(?<![A-Za-z0-9_.])[-+]?(nan|inf|infinity)(?![A-Za-z0-9_])",
            options: .caseInsensitive)
        let textKinds: Set<String> = ["txt", "jsonl", "json", "html", "csv", "svg"]
        var lines: [String] = []
        let files =
            FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        for file in files where textKinds.contains(file.pathExtension) {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").map(String.init)
            where pattern.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil {
                lines.append("\(file.lastPathComponent): \(line.prefix(200))")
                if lines.count >= 3 { return lines }
            }
        }
        return lines
    }
}
