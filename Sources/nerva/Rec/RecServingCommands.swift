import ArgumentParser
import Foundation
import NervaData
import NervaRec

/// Options naming a saved model.
struct RecCheckpointOptions: ParsableArguments {
    @Option(help: "A model saved by 'nerva rec train' (the .safetensors file; its .json sits beside it).")
    var checkpoint: String

    func load() throws -> SavedRecommender { try SavedRecommender.load(from: URL(fileURLWithPath: checkpoint)) }
}

/// `nerva rec evaluate`: the metrics of a saved model on data divided by the same rule.
struct RecEvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evaluate", abstract: "Evaluate a saved recommender.")

    @OptionGroup var model: RecCheckpointOptions
    @OptionGroup var source: RecDataOptions

    @Option(parsing: .unconditional, help: "The K of HR@K, NDCG@K, Recall@K.")
    var cutoff = 10

    @Option(parsing: .unconditional, help: "Random seed (of the split and the sampled negatives).")
    var seed: UInt64 = 0

    func validate() throws {
        try rejectingInvalid { try RankingMetrics.checkCutoff(cutoff) }
        if source.threshold != nil {
            throw ValidationError(
                "--threshold applies to rec train; a saved model is evaluated on every test interaction.")
        }
    }

    func run() throws {
        let saved = try model.load()
        let (_, loadedTest, origin) = try source.load(seed: seed)
        guard let test = loadedTest else {
            throw ValidationError("Nothing to evaluate: give --test FILE, or --split RULE to hold rows of --train out.")
        }
        let aligned = saved.align(test)
        let evaluationSplit = InteractionSplit(train: saved.trainingData(), test: aligned)
        let (hr, ndcg) = SampledRankingEvaluation(split: evaluationSplit, seed: seed).evaluate(
            saved.model, cutoff: cutoff)
        let full = FullRankingEvaluation(split: evaluationSplit).evaluate(saved.model, cutoff: cutoff)
        print("\(saved.description.model) on \(origin) (\(aligned.count) test interactions of known users and items):")
        print("  HR@\(cutoff) \(fmt(hr))  NDCG@\(cutoff) \(fmt(ndcg))  (1 + 99 sampled)")
        print(
            "  Recall@\(cutoff) \(fmt(full.recall))  NDCG@\(cutoff) \(fmt(full.ndcg))  "
                + "MAP@\(cutoff) \(fmt(full.map))  "
                + "coverage \(fmt(full.coverage))  (full ranking)")
        if let mf = saved.model as? BiasedMF, aligned.hasRatings, aligned.count > 0 {
            let errors = try mf.errors(on: aligned)
            print("  RMSE \(fmt(errors.rmse))  MAE \(fmt(errors.mae))")
        }
    }
}

/// `nerva rec recommend`: the best unseen items for a user, with explanations.
struct RecRecommendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend", abstract: "Recommend items to a user (seen items excluded).")

    @OptionGroup var model: RecCheckpointOptions

    @Option(help: "The user's id as in the data.")
    var user: String

    @Option(parsing: .unconditional, help: "How many items.")
    var count = 10

    func validate() throws {
        if count < 1 { throw ValidationError("--count must be at least 1, got \(count).") }
    }

    func run() throws {
        let saved = try model.load()
        let (items, isColdStart) = saved.recommendations(forUser: user, count: count)
        if isColdStart {
            print("user \(user) is new to this model (cold start): the most popular items instead")
            for (rank, entry) in items.enumerated() { print("\(rank + 1). \(saved.label(entry.item))") }
            return
        }
        let seen = saved.userIndex(user).map { saved.history.count(of: $0) } ?? 0
        print("top \(count) for user \(user) (\(saved.description.model); \(seen) items seen):")
        for (rank, entry) in items.enumerated() {
            var line = String(format: "%2d. %@  score %.3f", rank + 1, saved.label(entry.item), entry.score)
            if let reason = entry.because {
                let similarity = String(format: "%.2f", reason.similarity)
                line +=
                    saved.model is ContentRecommender
                    ? "  — nearest in content to \(saved.label(reason.item)) you liked (cosine \(similarity))"
                    : "  — because you liked \(saved.label(reason.item)) (similarity \(similarity))"
            }
            print(line)
        }
    }
}

/// `nerva rec similar`: the items nearest to an item, named by id or by (part of) its title.
struct RecSimilarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similar", abstract: "List the items most similar to an item.")

    @OptionGroup var model: RecCheckpointOptions

    @Option(help: "The item's id as in the data.")
    var item: String?

    @Option(help: "Or words of the item's title (case and accents ignored), e.g. 'star wars'.")
    var title: String?

    @Option(parsing: .unconditional, help: "How many items.")
    var count = 10

    func validate() throws {
        if (item == nil) == (title == nil) {
            throw ValidationError("Give the item with --item ID or --title WORDS (one of them).")
        }
        if count < 1 { throw ValidationError("--count must be at least 1, got \(count).") }
    }

    func run() throws {
        let saved = try model.load()
        let index: Int
        if let item {
            index = try saved.item(id: item)
        } else {
            let matches = saved.itemIndices(matchingTitle: title!)
            guard let best = matches.first else { throw RecServingError.noTitleMatch(words: title!) }
            if matches.count > 1 {
                print(
                    "\(matches.count) titles contain '\(title!)'; using the closest. Others: "
                        + matches.dropFirst().prefix(5).map { saved.label($0) }.joined(separator: "; ")
                        + (matches.count > 6 ? "; …" : ""))
            }
            index = best
        }
        print("items similar to \(saved.label(index)) (\(saved.description.model)):")
        for (rank, neighbor) in try saved.similarItems(to: index, count: count).enumerated() {
            print(
                String(format: "%3d. %@  (similarity %.3f)", rank + 1, saved.label(neighbor.item), neighbor.similarity))
        }
    }
}

/// `nerva rec score`: scores listed pairs, for evaluation by other tools.
struct RecScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score", abstract: "Score user,item pairs from a file; write user,item,score (original ids).",
        discussion: """
            What a score means depends on the model: svd gives a predicted rating (global mean + user and item \
            biases + dot product, clipped to the training ratings' range); gmf, mlp and neumf a logit (σ of it is the \
            probability of an interaction); bpr and als a dot product of factors (plus bpr's item bias); item-knn and \
            user-knn a sum of similarities; content a similarity to the user's profile; popularity a count. Only svd's \
            scores compare across models; for the others only their order for a user is meaningful.

            Cold start: a pair whose item the model was not trained on scores 1 below the user's lowest score of a \
            known item, so it ranks below every known item; a user without training interactions is scored by item \
            popularity (svd: the baseline rating, mean + item bias). Standard error says how many pairs each \
            fallback scored.

            The pairs file: one pair a line, user then item, separated by tabs, commas, semicolons or spaces; further \
            fields (a rating, a time) are ignored; a header 'user,item' is optional.
            """)

    @OptionGroup var model: RecCheckpointOptions

    @Option(help: "A file of user,item pairs (tab-, comma- or space-separated; a header line 'user,item' is optional).")
    var pairs: String

    @Option(help: "Output CSV file (default: standard output).")
    var output: String?

    func run() throws {
        let saved = try model.load()
        let scored = saved.score(pairs: try PairsFile.read(URL(fileURLWithPath: pairs)))
        var text = "user,item,score\n"
        for pair in scored { text += "\(pair.user),\(pair.item),\(pair.score)\n" }
        if let output {
            try AtomicFile.write(Array(text.utf8), to: URL(fileURLWithPath: output))
        } else {
            print(text, terminator: "")
        }
        for fallback in ColdStartFallback.allCases {
            let count = scored.filter { $0.fallback == fallback }.count
            guard count > 0 else { continue }
            let who = fallback == .belowKnownItems ? "an item unknown to the model" : "a user unknown to the model"
            FileHandle.standardError.write(Data("\(count) pair(s) with \(who) were \(fallback.explanation).\n".utf8))
        }
    }
}
