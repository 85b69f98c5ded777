/// The rating errors of a model on held-out rows.
public typealias RatingErrors = (rmse: Double, mae: Double)

extension RecommenderTraining {
    /// k-fold cross-validation of a rating model (`svd`): the rows of `train` and `test` together
    /// are split into `folds` random folds, and the model is trained on all but one and measured
    /// on that one, for each fold in turn.
    ///
    /// - Parameters:
    ///   - train: The training rows.
    ///   - test: Held-out rows, put back with the training rows before folding (`nil`: none).
    ///   - folds: How many folds, from 2 to the number of rows.
    ///   - seed: The seed of the fold assignment.
    ///   - onFold: Called after each fold with its index (from 0) and its errors.
    /// - Returns: Each fold's RMSE and MAE, in order.
    /// - Throws: `ConfigurationError` when `kind` is not a rating model or `folds` is out of range;
    ///   what training or `onFold` throws.
    public func crossValidate(
        train: InteractionDataset, test: InteractionDataset? = nil, folds: Int, seed: UInt64,
        onFold: (Int, RatingErrors) throws -> Void = { _, _ in }
    ) throws -> [RatingErrors] {
        try ConfigurationError.require(kind == .svd, "model", kind.rawValue, allowed: "a rating model (svd)")
        var data = train
        if let test {
            data.userIndices += test.userIndices
            data.itemIndices += test.itemIndices
            data.ratings += test.ratings
            data.timestamps += test.timestamps
        }
        try ConfigurationError.check("folds", folds, in: 2...Swift.max(2, data.count))
        var errors: [RatingErrors] = []
        for (index, split) in InteractionSplit.folds(data, count: folds, seed: seed).enumerated() {
            guard let model = try self.train(split.train) as? BiasedMF else {
                throw ConfigurationError(field: "model", value: kind.rawValue, allowed: "a rating model (svd)")
            }
            let fold = try model.errors(on: split.test)
            errors.append(fold)
            try onFold(index, fold)
        }
        return errors
    }
}
