// One part of `nerva tour` from Swift, timed by the tour's summary; `Tour.run` runs them all.
import Foundation
import NervaData
import NervaTour

// snippet.run
let out = FileManager.default.temporaryDirectory.appendingPathComponent("nerva-tour-\(UUID().uuidString)")
let folder = try RunFolder(command: "tour", out: out.path, settings: [("seed", "0")])
var summary = TourSummary()
try summary.run(EngineTour(seed: 0, folder: folder)) // an MLP learns two spirals
summary.addTable(to: folder)
try folder.writeReport() // index.html: figures, checkpoint, the summary table
print(summary.text)
// snippet.end

// snippet.hide
try? FileManager.default.removeItem(at: out)
let result = summary.rows.first?.result ?? ""
precondition(result.hasSuffix("predicts identically"), "the reloaded checkpoint should predict the same: \(result)")
