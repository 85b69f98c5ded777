import Foundation
import Testing

@testable import NervaRec

@Suite struct SavedRecommenderTests {
    @Test(arguments: RecommenderKind.allCases)
    func saveAndLoadGivesIdenticalScores(kind: RecommenderKind) throws {
        let data = SyntheticInteractions(users: 40, items: 70, meanInteractions: 20, seed: 6).dataset
        var training = RecommenderTraining(kind: kind, seed: 1)
        training.ncf.epochs = 1
        training.svd.epochs = 2
        training.bpr.epochs = 2
        training.als.iterations = 2
        let model = try training.train(data)
        let description = RecommenderDescription(
            model: kind.rawValue, settings: training.settings, users: data.users.ids,
            items: data.items.ids, titles: data.catalog!.titles)
        let url = temporaryFolder().appendingPathComponent("model.safetensors")
        try SavedRecommender(model: model, description: description, history: UserItemMatrix(data)).save(to: url)
        let loaded = try SavedRecommender.load(from: url)
        #expect(loaded.description == description)
        #expect(loaded.history.columns == UserItemMatrix(data).columns)
        for user in [0, 17, 39] { #expect(loaded.model.scores(user: user) == model.scores(user: user)) }
    }

    /// A saved model of `kind`, then its tensors changed by `tamper`, then loaded.
    func loadTampered(
        _ kind: RecommenderKind, settings: [String: String]? = nil,
        _ tamper: (inout [String: Tensor]) -> Void
    ) throws -> SavedRecommender {
        let data = SyntheticInteractions(users: 20, items: 40, meanInteractions: 10, seed: 2).dataset
        var training = RecommenderTraining(kind: kind, seed: 1)
        training.ncf.epochs = 1
        training.svd.epochs = 1
        let model = try training.train(data)
        let description = RecommenderDescription(
            model: kind.rawValue, settings: settings ?? training.settings, users: data.users.ids,
            items: data.items.ids, titles: data.catalog!.titles)
        let url = temporaryFolder().appendingPathComponent("model.safetensors")
        try SavedRecommender(model: model, description: description, history: UserItemMatrix(data)).save(to: url)
        var (tensors, metadata) = try Safetensors.read(from: url)
        tamper(&tensors)
        try Safetensors.write(tensors, metadata: metadata, to: url)
        return try SavedRecommender.load(from: url)
    }

    /// The problem text of the error `body` throws, or `nil` when it throws none.
    func problem(_ body: () throws -> Void) -> String? {
        do { try body() } catch { return "\(error)" }
        return nil
    }

    @Test func indicesStoredAsFloatsAreCheckedBeforeUse() throws {
        func replaced(_ name: String, at index: Int, with value: Float) -> (inout [String: Tensor]) -> Void {
            { tensors in
                var values = tensors[name]!.scalars
                values[index] = value
                tensors[name] = Tensor(values, shape: tensors[name]!.shape)
            }
        }
        for value in [Float.nan, .infinity, -3, 1e9, 2.5] {
            let text = problem { _ = try loadTampered(.popularity, replaced("history.row_start", at: 3, with: value)) }
            #expect(text?.contains("history.row_start") == true, "\(value): \(text ?? "loaded")")
            let items = problem { _ = try loadTampered(.popularity, replaced("history.items", at: 0, with: value)) }
            #expect(items?.contains("history.items") == true, "\(value): \(items ?? "loaded")")
        }
        let neighbors = problem { _ = try loadTampered(.itemKNN, replaced("neighbors.rows", at: 0, with: 1e6)) }
        #expect(neighbors?.contains("neighbors.rows") == true, "\(neighbors ?? "loaded")")
        let global = problem { _ = try loadTampered(.svd) { $0["global"] = Tensor([3.5, 5, 1]) } }
        #expect(global?.contains("global") == true, "\(global ?? "loaded")")
        let shape = problem { _ = try loadTampered(.bpr) { $0["item_bias"] = Tensor([1, 2, 3]) } }
        #expect(shape?.contains("item_bias") == true, "\(shape ?? "loaded")")
    }

    @Test func ncfCheckpointsNeedExactlyTheirTensorNames() throws {
        let renamed = problem {
            _ = try loadTampered(.gmf) { tensors in
                tensors["item_embedding.weight.renamed"] =
                    tensors.removeValue(forKey: "itemEmbedding.weight")
                    ?? tensors.removeValue(forKey: "item_embedding.weight")
            }
        }
        #expect(
            renamed?.contains("missing keys") == true
                && renamed?.contains("unexpected keys: item_embedding.weight.renamed") == true,
            "\(renamed ?? "loaded")")
    }

    @Test func ncfSizesInTheDescriptionAreBoundedByTheFile() throws {
        var settings = RecommenderTraining(kind: .mlp).settings
        for layers in ["-5,-5", "100000,100000", "64,x"] {
            settings["layers"] = layers
            let text = problem { _ = try loadTampered(.mlp, settings: settings) { _ in } }
            #expect(text?.contains("layers") == true, "\(layers): \(text ?? "loaded")")
        }
        settings = RecommenderTraining(kind: .gmf).settings
        settings["factors"] = "99999999999"
        let text = problem { _ = try loadTampered(.gmf, settings: settings) { _ in } }
        #expect(text?.contains("factors") == true, "\(text ?? "loaded")")
    }
}
