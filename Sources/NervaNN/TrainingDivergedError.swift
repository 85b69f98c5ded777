/// A training run whose loss or parameters stopped being finite numbers. Trainers throw it
/// instead of going on (or saving) with NaN or infinite values; the last good state stays as it was.
public struct TrainingDivergedError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What diverged ("NCF training", "classifier").
    public var what: String
    /// Where: "epoch 3", "step 120".
    public var position: String
    /// The value that was not finite, as text ("loss nan").
    public var detail: String

    public init(what: String, position: String, detail: String) {
        self.what = what
        self.position = position
        self.detail = detail
    }

    public var description: String {
        "\(what) diverged at \(position) (\(detail)): a loss or parameter became NaN or infinite; "
            + "try a smaller learning rate. Nothing was saved from the diverged state."
    }
}
