import ArgumentParser
import Foundation
import NervaRec

/// Where interactions come from, shared by the `nerva rec` subcommands: a MovieLens folder, any
/// delimited file, or the built-in synthetic data.
struct RecDataOptions: ParsableArguments {
    @Option(
        help: "A MovieLens folder as published (ml-100k, ml-1m, ml-latest, ml-25m), or 'synthetic' for built-in data.")
    var data: String?

    @Option(
        help: ArgumentHelp(
            """
            A training file: MovieLens ratings by name (u.data, ratings.dat, ratings.csv) or any delimited file. \
            Without --test (and without --split) every row trains the model and nothing is evaluated.
            """))
    var train: String?

    @Option(help: "A test file in the format of --train; no split is made.")
    var test: String?

    @Option(
        help: ArgumentHelp(
            """
            The columns to read: user,item[,rating[,timestamp]] as header names, or as positions (1,2,…) \
            with --no-header. Other columns are then ignored (without --columns an unknown column is an error).
            """))
    var columns: String?

    @Option(
        help: """
            Field delimiter: one character, or 'tab' (default: detected from the first line: \
            tab, '::', ',', ';', '|' or spaces).
            """)
    var delimiter: String?

    @Flag(
        help: """
            The files have no header line: fields are user, item[, rating[, timestamp]] in that order \
            (or as --columns says).
            """)
    var noHeader = false

    @Flag(help: "Accept user and item ids that are not integers (default: a line with such an id is an error).")
    var stringIds = false

    @Option(help: "Malformed lines: fail (stop with file:line) or skip (skip and report).")
    var malformed: MalformedLinePolicy = .fail

    @Option(
        help: """
            Split rule: leave-one-out, random:FRACTION or temporal:FRACTION (default leave-one-out for --data; \
            --train alone is not split unless given).
            """)
    var split: String?

    @Option(
        parsing: .unconditional,
        help: """
            rec train: keep only ratings at or above this value as positives for implicit models \
            (gmf, mlp, neumf, bpr, als; default: every rating); for content, the rating that counts as liked \
            (default 4).
            """)
    var threshold: Float?

    /// Whether any option describing the files' format was given.
    var hasFormatOptions: Bool { columns != nil || delimiter != nil || noHeader || stringIds }

    /// The split rule `--split` names (leave-one-out when not given).
    func splitRule() throws -> SplitRule {
        guard let split, split != "leave-one-out" else { return .leaveOneOut }
        let parts = split.split(separator: ":")
        if parts.count == 2, let fraction = Double(parts[1]), fraction > 0, fraction < 1 {
            if parts[0] == "random" { return .randomHoldout(fraction: fraction) }
            if parts[0] == "temporal" { return .temporal(fraction: fraction) }
        }
        throw ValidationError(
            "--split must be leave-one-out, random:FRACTION or temporal:FRACTION (0 < FRACTION < 1), got '\(split)'.")
    }

    func validate() throws {
        if data == nil && train == nil {
            throw ValidationError("Give --data FOLDER (or --data synthetic) or --train FILE.")
        }
        if data != nil && train != nil { throw ValidationError("Give --data or --train, not both.") }
        if test != nil && train == nil { throw ValidationError("--test needs --train.") }
        if test != nil && split != nil {
            throw ValidationError("--split divides --train when there is no --test; give one of them.")
        }
        _ = try splitRule()
        if let delimiter, delimiter != "tab" && delimiter.count != 1 {
            throw ValidationError("--delimiter must be one character or 'tab', got '\(delimiter)'.")
        }
        if let columns { try rejectingInvalid { _ = try InteractionCSV.Columns(list: columns) } }
        if train == nil && hasFormatOptions {
            throw ValidationError(
                "--columns, --delimiter, --no-header and --string-ids describe --train/--test files; "
                    + "they do not apply to --data.")
        }
    }

    /// The data: training rows, test rows when there are any (a test file, or a split), and a
    /// name for reports; prints what was skipped.
    func load(seed: UInt64) throws -> (train: InteractionDataset, test: InteractionDataset?, source: String) {
        if let train {
            let trainData = try read(URL(fileURLWithPath: train))
            if let test {
                let split = InteractionSplit(train: trainData, separateTest: try read(URL(fileURLWithPath: test)))
                return (split.train, split.test, "\(train) + \(test)")
            }
            guard split != nil else { return (trainData, nil, train) }
            let divided = try splitRule().split(trainData, seed: seed)
            return (divided.train, divided.test, train)
        }
        let dataset: InteractionDataset
        if data == "synthetic" {
            dataset = SyntheticInteractions(seed: seed).dataset
        } else {
            let (loaded, report) = try MovieLens.load(directory: URL(fileURLWithPath: data!), malformed: malformed)
            announce(report)
            dataset = loaded
        }
        let divided = try splitRule().split(dataset, seed: seed)
        return (divided.train, divided.test, data!)
    }

    /// How the rows were divided, for reports.
    var splitDescription: String {
        if test != nil { return "separate test file" }
        if train != nil && split == nil { return "none (every row trains; no evaluation)" }
        return split ?? "leave-one-out"
    }

    /// The format options as the library's `InteractionCSV.Format`.
    func format() throws -> InteractionCSV.Format {
        InteractionCSV.Format(
            delimiter: delimiter.map { $0 == "tab" ? "\t" : Character($0) }, hasHeader: noHeader ? false : nil,
            columns: try columns.map { try InteractionCSV.Columns(list: $0) }, allowsTextIDs: stringIds)
    }

    /// A file: MovieLens ratings by name (u.data, ratings.dat, ratings.csv) unless a format
    /// option is given, else any delimited file as the options (and its first line) say.
    private func read(_ url: URL) throws -> InteractionDataset {
        let (dataset, report) =
            !hasFormatOptions && MovieLens.isRatingsFile(url)
            ? try MovieLens.readRatings(url, malformed: malformed)
            : try InteractionCSV.read(url, format: try format(), malformed: malformed)
        announce(report)
        return dataset
    }

    private func announce(_ report: ReadReport) {
        guard !report.skipped.isEmpty else { return }
        print("skipped \(report.skipped.count) malformed line(s):")
        for problem in report.skipped.prefix(10) { print("  \(problem)") }
        if report.skipped.count > 10 { print("  …") }
    }
}
