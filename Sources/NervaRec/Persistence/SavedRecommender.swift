import Foundation

/// What a saved model needs besides its tensors: the kind of model, its settings, the external
/// ids of its users and items (so scores are served in the data's own ids) and item titles.
/// Written as JSON beside the safetensors file (`model.safetensors` + `model.json`).
public struct RecommenderDescription: Codable, Sendable, Equatable {
    /// The file format tag.
    public var format = "nerva-rec/1"
    /// The model kind (`RecommenderKind`).
    public var model: String
    /// The settings of the model and its training, by name.
    public var settings: [String: String]
    /// External user ids, by user index.
    public var users: [String]
    /// External item ids, by item index.
    public var items: [String]
    /// Item titles, by item index ("" when unknown).
    public var titles: [String]

    public init(model: String, settings: [String: String], users: [String], items: [String], titles: [String]) {
        self.model = model
        self.settings = settings
        self.users = users
        self.items = items
        self.titles = titles
    }
}

/// The kinds of recommender NervaRec can train, save and load.
public enum RecommenderKind: String, Sendable, CaseIterable, Codable {
    case popularity, gmf, mlp, neumf
    case itemKNN = "item-knn"
    case userKNN = "user-knn"
    case svd, bpr, als, content
}

/// A problem with a saved model.
public enum SavedRecommenderError: Error, CustomStringConvertible, Equatable {
    case missingTensor(file: String, name: String)
    case badDescription(file: String, problem: String)
    /// A tensor whose shape or values cannot be what the model kind stores.
    case badTensor(file: String, name: String, problem: String)

    public var description: String {
        switch self {
        case let .badTensor(file, name, problem): return "\(file): tensor '\(name)' is damaged: \(problem)"
        case let .missingTensor(file, name): return "\(file): no tensor named '\(name)' (not a model of this kind?)"
        case let .badDescription(file, problem): return "\(file): \(problem)"
        }
    }
}

/// A trained recommender with its ids, the interactions it was trained on (for "already seen")
/// and a way to save and load it.
public final class SavedRecommender {
    public let model: Recommender
    public let description: RecommenderDescription
    /// The training interactions (seen items are excluded from recommendations).
    public let history: UserItemMatrix

    public init(model: Recommender, description: RecommenderDescription, history: UserItemMatrix) {
        self.model = model
        self.description = description
        self.history = history
    }

    /// The JSON file beside a safetensors file: `model.safetensors` → `model.json`.
    public static func descriptionURL(for url: URL) -> URL {
        url.deletingPathExtension().appendingPathExtension("json")
    }

    /// Writes `url` (safetensors, atomically) and its JSON description.
    public func save(to url: URL) throws {
        var tensors = try SavedRecommender.tensors(of: model)
        tensors["history.row_start"] = Tensor(history.rowStart.map(Float.init))
        tensors["history.items"] = Tensor(history.columns.map(Float.init))
        tensors["history.ratings"] = Tensor(history.values)
        try Safetensors.write(tensors, metadata: ["format": description.format, "model": description.model], to: url)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write([UInt8](try encoder.encode(description)), to: SavedRecommender.descriptionURL(for: url))
    }

    /// Reads a model written by `save(to:)`.
    public static func load(from url: URL) throws -> SavedRecommender {
        let jsonURL = descriptionURL(for: url)
        guard let json = FileManager.default.contents(atPath: jsonURL.path) else {
            throw RecDataError.unreadable(
                file: jsonURL.path, problem: "missing (saved beside \(url.lastPathComponent))")
        }
        let bytes: Data
        do { bytes = try Data(contentsOf: url) } catch {
            throw SafetensorsError.unreadable(source: url.path, problem: error.localizedDescription)
        }
        return try load(
            safetensors: [UInt8](bytes), description: json, source: url.path, descriptionSource: jsonURL.path)
    }

    /// Reads a model from the bytes of its two files, as `load(from:)`.
    ///
    /// - Parameters:
    ///   - safetensors: the tensors file.
    ///   - json: the JSON description beside it.
    ///   - source: the name of the tensors file in error messages.
    ///   - descriptionSource: the name of the description file in error messages.
    public static func load(
        safetensors: [UInt8], description json: Data, source: String = "<memory>",
        descriptionSource: String = "<description>"
    ) throws -> SavedRecommender {
        let description: RecommenderDescription
        do { description = try JSONDecoder().decode(RecommenderDescription.self, from: json) } catch {
            throw SavedRecommenderError.badDescription(
                file: descriptionSource, problem: "not a model description: \(error)")
        }
        guard let kind = RecommenderKind(rawValue: description.model) else {
            throw SavedRecommenderError.badDescription(
                file: descriptionSource, problem: "unknown model '\(description.model)'")
        }
        let (tensors, _) = try Safetensors.decode(safetensors, source: source)
        let tensor = { (name: String) throws -> Tensor in
            guard let t = tensors[name] else { throw SavedRecommenderError.missingTensor(file: source, name: name) }
            return t
        }
        let users = description.users.count, items = description.items.count
        guard description.titles.count == items else {
            throw SavedRecommenderError.badDescription(
                file: descriptionSource, problem: "\(description.titles.count) titles for \(items) items")
        }
        let history = try SavedRecommender.history(tensor, users: users, items: items, file: source)
        let model = try SavedRecommender.model(
            kind, description: description, tensor: tensor, tensors: tensors, history: history,
            file: source)
        return SavedRecommender(model: model, description: description, history: history)
    }
}
