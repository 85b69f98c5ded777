import CFuzzerDriver
import Foundation

/// One binary for every fuzz target, chosen by the first argument:
///
/// ```
/// nerva-fuzz list                          # the targets and the reader each covers
/// nerva-fuzz seeds Fuzz/Corpus             # writes each target's seed corpus with Nerva's own writers
/// nerva-fuzz run safetensors [libFuzzer options] [corpus folders]
/// ```
///
/// `run` hands the remaining arguments to libFuzzer (`LLVMFuzzerRunDriver`), so `-runs=`,
/// `-max_total_time=`, a crash file to replay, … work as for any libFuzzer binary.
@main struct NervaFuzz {
    /// The target `run` chose; libFuzzer's callback is a C function and cannot capture it.
    nonisolated(unsafe) static var selected: FuzzTarget?

    static func main() {
        var arguments = CommandLine.arguments
        let program = arguments.removeFirst()
        switch arguments.first {
        case "list":
            for target in FuzzTarget.all {
                print(target.name.padding(toLength: 24, withPad: " ", startingAt: 0), target.reader)
            }
        case "seeds" where arguments.count == 2:
            writeSeeds(to: URL(fileURLWithPath: arguments[1]))
        case "run" where arguments.count >= 2:
            guard let target = FuzzTarget.all.first(where: { $0.name == arguments[1] }) else {
                fail("unknown target \"\(arguments[1])\"; `\(program) list` shows them")
            }
            selected = target
            exit(runLibFuzzer([program] + arguments.dropFirst(2)))
        default:
            fail("usage: \(program) list | seeds <corpus folder> | run <target> [libFuzzer options] [corpus folders]")
        }
    }

    /// Writes `<folder>/<target>/<seed>` for every target, replacing older seeds of the same name.
    static func writeSeeds(to folder: URL) {
        for target in FuzzTarget.all {
            let directory = folder.appendingPathComponent(target.name)
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let seeds = try target.seeds()
                for (name, bytes) in seeds {
                    try Data(bytes).write(to: directory.appendingPathComponent(name))
                    target.run(bytes) // every seed must pass through the harness without a crash
                }
                print("\(target.name): \(seeds.count) seeds")
            } catch {
                fail("\(target.name): cannot write the seeds: \(error)")
            }
        }
    }

    static func runLibFuzzer(_ arguments: [String]) -> Int32 {
        var argc = Int32(arguments.count)
        var pointers: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        return pointers.withUnsafeMutableBufferPointer { buffer in
            var argv = buffer.baseAddress
            return LLVMFuzzerRunDriver(&argc, &argv) { data, count in
                let bytes = count == 0 ? [] : [UInt8](UnsafeBufferPointer(start: data, count: count))
                NervaFuzz.selected!.run(bytes)
                return 0
            }
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("nerva-fuzz: \(message)\n".utf8))
        exit(64)
    }
}
