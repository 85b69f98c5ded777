// A suite of `nerva bench` from Swift: the environments' step rates as JSON lines, collected.
import Foundation
import NervaBenchmarks

// snippet.run
var lines: [String] = []
let reporter = BenchmarkReporter(suite: "rl", json: true, filter: "env_steps", quick: true) {
    lines.append($0)
}
let measured = try BenchmarkSuite.rl.run(reporter: reporter)
// {"suite":"rl","name":"env_steps","params":{"env":"CartPole-v1"},"value":…,"unit":"steps/s",…}
lines.forEach { print($0) }
// snippet.end

// snippet.hide
let names = lines.compactMap { line in
    (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["name"] as? String
}
// (bridge_env_steps too, where Python has gymnasium)
precondition(
    measured >= 2 && names.prefix(2) == ["env_steps", "env_steps"] && names.last == "peak_rss",
    "unexpected lines: \(lines)")
