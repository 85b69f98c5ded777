import ArgumentParser
import Foundation
import NervaRec

/// Where interactions come from, shared by the `nerva rec` subcommands: a MovieLens folder, any
/// delimited file with named columns, or the built-in synthetic data.
struct RecDataOptions: ParsableArguments {
    @Option(help: "A MovieLens folder as published (ml-100k, ml-1m, ml-latest, ml-25m), or 'synthetic' for built-in data.")
    var data: String?

    @Option(help: "An explicit training file (MovieLens ratings file or CSV with a header); with --test, no split is made.")
    var train: String?

    @Option(help: "An explicit test file in the format of --train.")
    var test: String?

    @Option(help: "CSV column names: user,item[,rating[,timestamp]] (default user,item,rating,timestamp). Given for a file named like a MovieLens ratings file, it overrides the guess from the name.")
    var columns: String?

    @Option(help: "CSV field delimiter (a single character; 'tab' for tabs; default ','). Given for a file named like a MovieLens ratings file, it overrides the guess from the name.")
    var delimiter: String?

    @Option(help: "Malformed lines: fail (stop with file:line) or skip (skip and report).")
    var malformed: MalformedLinePolicy = .fail

    @Option(help: "Split rule: leave-one-out, random:FRACTION or temporal:FRACTION.")
    var split = "leave-one-out"

    @Option(parsing: .unconditional, help: "rec train: keep only ratings at or above this value as positives for implicit models (gmf, mlp, neumf, bpr, als; default: every rating); for content, the rating that counts as liked (default 4).")
    var threshold: Float?

    /// The split rule `--split` names.
    func splitRule() throws -> SplitRule {
        if split == "leave-one-out" { return .leaveOneOut }
        let parts = split.split(separator: ":")
        if parts.count == 2, let fraction = Double(parts[1]), fraction > 0, fraction < 1 {
            if parts[0] == "random" { return .randomHoldout(fraction: fraction) }
            if parts[0] == "temporal" { return .temporal(fraction: fraction) }
        }
        throw ValidationError("--split must be leave-one-out, random:FRACTION or temporal:FRACTION (0 < FRACTION < 1), got '\(split)'.")
    }

    func validate() throws {
        if data == nil && train == nil { throw ValidationError("Give --data FOLDER (or --data synthetic) or --train FILE.") }
        if test != nil && train == nil { throw ValidationError("--test needs --train.") }
        _ = try splitRule()
        if let delimiter, delimiter != "tab" && delimiter.count != 1 {
            throw ValidationError("--delimiter must be one character or 'tab', got '\(delimiter)'.")
        }
        if train == nil && (columns != nil || delimiter != nil) {
            throw ValidationError("--columns and --delimiter describe --train/--test files; they do not apply to --data.")
        }
    }

    /// Reads the data and divides it; prints what was skipped.
    func load(seed: UInt64) throws -> (split: InteractionSplit, source: String) {
        if let train {
            let trainData = try read(URL(fileURLWithPath: train))
            if let test {
                let testData = try read(URL(fileURLWithPath: test))
                return (InteractionSplit(train: trainData, separateTest: testData), "\(train) + \(test)")
            }
            return (try splitRule().split(trainData, seed: seed), train)
        }
        let dataset: InteractionDataset
        if data == "synthetic" {
            dataset = SyntheticInteractions(seed: seed).dataset
        } else {
            let (loaded, report) = try MovieLens.load(directory: URL(fileURLWithPath: data!), malformed: malformed)
            announce(report)
            dataset = loaded
        }
        return (try splitRule().split(dataset, seed: seed), data!)
    }

    /// A file: MovieLens ratings (u.data, ratings.dat, ratings.csv by name) or a CSV with columns;
    /// explicit --columns or --delimiter override the guess from the name.
    private func read(_ url: URL) throws -> InteractionDataset {
        if columns == nil && delimiter == nil && MovieLens.isRatingsFile(url) {
            let (dataset, report) = try MovieLens.readRatings(url, malformed: malformed)
            announce(report)
            return dataset
        }
        let columns = self.columns ?? "user,item,rating,timestamp", delimiter = self.delimiter ?? ","
        let names = columns.split(separator: ",").map(String.init)
        guard names.count >= 2 else { throw ValidationError("--columns needs at least user,item, got '\(columns)'.") }
        let spec = InteractionCSV.Columns(user: names[0], item: names[1], rating: names.count > 2 ? names[2] : nil,
                                          timestamp: names.count > 3 ? names[3] : nil)
        let (dataset, report) = try InteractionCSV.read(url, columns: spec, delimiter: delimiter == "tab" ? "\t" : Character(delimiter),
                                                        malformed: malformed)
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
