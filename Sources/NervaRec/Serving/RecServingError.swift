/// A request a saved recommender cannot serve; each case names what was asked.
public enum RecServingError: Error, CustomStringConvertible, Equatable {
    /// An item id the model was not trained on.
    case unknownItem(id: String)
    /// No item title contains the words.
    case noTitleMatch(words: String)
    /// Similar items asked of a model without item representations.
    case noItemRepresentation(model: String)

    public var description: String {
        switch self {
        case .unknownItem(let id): return "Unknown item '\(id)': not in the model's training data."
        case .noTitleMatch(let words): return "No item title contains '\(words)'."
        case .noItemRepresentation(let model):
            return model == RecommenderKind.userKNN.rawValue
                ? "user-knn has no item similarities; train item-knn."
                : "'similar' needs a model with item representations "
                    + "(item-knn, content, svd, bpr, als, gmf, mlp, neumf), not \(model)."
        }
    }
}
