import ArgumentParser
import Foundation

/// Runs a library check from a command's `validate()`: the library's error (a
/// `ConfigurationError` naming the setting, its value and the allowed range) becomes a
/// `ValidationError`, which the parser prints with the usage and exit status 64, like any bad flag.
func rejectingInvalid(_ check: () throws -> Void) throws {
    do { try check() } catch let error as ValidationError { throw error } catch { throw ValidationError("\(error).") }
}

/// A library default as the help quotes it: `1`, `0.05`, `1e-05`.
func helpNumber(_ value: some BinaryFloatingPoint) -> String { String(format: "%g", Double(value)) }
