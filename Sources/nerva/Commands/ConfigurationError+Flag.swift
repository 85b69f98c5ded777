import ArgumentParser
import NervaNN

extension ConfigurationError {
    /// The error as a command-line error that names the flag setting the field: the field's words
    /// joined by hyphens (`batch size` → `--batch-size must be at least 1, got 0.`).
    var asFlagError: ValidationError {
        ValidationError("--\(field.replacingOccurrences(of: " ", with: "-")) must be \(allowed), got \(value).")
    }
}
