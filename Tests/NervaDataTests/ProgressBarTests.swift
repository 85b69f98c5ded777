import Foundation
import Testing

@testable import NervaData

/// A clock the test moves by hand, and everything the progress wrote.
private final class Harness {
    var now = 100.0
    var writes: [String] = []
    var output: String { writes.joined() }

    func progress(
        total: Int, samplesPerStep: Int? = nil, terminal: Bool, columns: Int? = nil,
        plainInterval: Double = 5
    ) -> ProgressBar {
        ProgressBar(
            label: "train", total: total, samplesPerStep: samplesPerStep, plainInterval: plainInterval,
            isTerminal: terminal, columns: { columns }, clock: { self.now }, write: { self.writes.append($0) })
    }
}

@Suite struct ProgressBarTests {
    @Test func terminalRedrawsOneLineInPlaceAtMostTenTimesASecond() {
        let harness = Harness()
        let progress = harness.progress(total: 1000, terminal: true)
        for step in 1...100 {
            harness.now += 0.01 // 100 updates in one second
            progress.update(step: step, values: [("loss", 1 / Double(step))])
        }
        #expect((9...11).contains(harness.writes.count), "\(harness.writes.count) redraws in one second")
        for write in harness.writes {
            #expect(write.hasPrefix("\r") && write.hasSuffix("\u{1B}[K") && !write.contains("\n"))
        }
        #expect(harness.writes[0].hasPrefix("\rtrain     1/1000    0% │"))
    }

    @Test func terminalAlwaysDrawsTheLastStepAndFinishEndsTheLine() {
        let harness = Harness()
        let progress = harness.progress(total: 10, terminal: true)
        harness.now += 0.01
        progress.update(step: 9)
        harness.now += 0.01
        progress.update(step: 10) // within 0.1 s of the last redraw, drawn anyway
        #expect(harness.writes.count == 2 && harness.writes[1].contains("10/10  100% │████████████████████│"))
        progress.finish()
        #expect(harness.writes.count == 4 && harness.writes[3] == "\n")
        #expect(harness.writes[2].hasPrefix("\rtrain  10/10  100%") && harness.writes[2].contains("done in 0.0s"))
    }

    @Test func terminalLinesAreCutToTheWidth() {
        let harness = Harness()
        let progress = harness.progress(total: 10, terminal: true, columns: 40)
        harness.now += 1
        progress.update(step: 5, values: [("a long value name", 3), ("another", 4)])
        let line = harness.writes[0].dropFirst().dropLast(3) // without "\r" and "\e[K"
        #expect(line.count == 39 && line.hasSuffix("…"))
    }

    @Test func rateAndETAComeFromTheClock() {
        let harness = Harness()
        let progress = harness.progress(total: 100, samplesPerStep: 32, terminal: true)
        harness.now += 10
        progress.update(step: 25, values: [("epoch", 2), ("loss", 0.43216)])
        // 25 steps in 10 s: 80 samples/s; 75 steps left at 2.5 steps/s: 30 s.
        #expect(
            harness.writes.last
                == "\rtrain   25/100   25% │█████               │  80.0 samples/s  ETA 30s  epoch 2  loss 0.4322\u{1B}[K"
        )
        harness.now += 1000
        progress.update(step: 50)
        #expect(harness.writes.last!.contains("steps/s") == false)
        #expect(harness.writes.last!.contains("1.58 samples/s  ETA 16m 50s"))
    }

    @Test func stepsPerSecondWithoutSamplesPerStep() {
        let harness = Harness()
        let progress = harness.progress(total: 4000, terminal: true)
        harness.now += 4
        progress.update(step: 1000)
        #expect(harness.writes.last!.contains(" 25% │█████               │  250 steps/s  ETA 12s"))
        harness.now += 2000
        progress.update(step: 2000)
        #expect(harness.writes.last!.contains("1.00 steps/s  ETA 33m 24s"))
    }

    @Test func plainOutputPrintsALineEveryFewSecondsAndTheFinalOne() {
        let harness = Harness()
        let progress = harness.progress(total: 12, samplesPerStep: 10, terminal: false)
        for step in 1...12 {
            harness.now += 1
            progress.update(step: step, values: [("loss", 0.5)])
        }
        #expect(
            harness.writes == [
                "train   5/12   41%  10.0 samples/s  ETA 7s  loss 0.5\n",
                "train  10/12   83%  10.0 samples/s  ETA 2s  loss 0.5\n"
            ])
        harness.now += 0.5
        progress.finish()
        #expect(harness.writes.last == "train  12/12  100%  9.60 samples/s  done in 12.5s  loss 0.5\n")
        #expect(!harness.output.contains("\r") && !harness.output.contains("\u{1B}"))
        progress.finish()
        progress.update(step: 12)
        #expect(harness.writes.count == 3, "finish ends the progress")
    }

    @Test func plainIntervalIsConfigurable() {
        let harness = Harness()
        let progress = harness.progress(total: 100, terminal: false, plainInterval: 30)
        for step in 1...99 {
            harness.now += 1
            progress.update(step: step)
        }
        #expect(harness.writes.count == 3) // at 30, 60 and 90 seconds
        #expect(harness.writes[0].hasPrefix("train   30/100   30%"))
    }

    @Test func finishBeforeTheEndShowsWhereItStopped() {
        let harness = Harness()
        let progress = harness.progress(total: 1000, terminal: false)
        harness.now += 90
        progress.update(step: 300)
        harness.now += 35
        progress.finish()
        #expect(harness.writes.last == "train   300/1000   30%  2.40 steps/s  done in 2m 05s\n")
    }

    @Test func formatting() {
        #expect(ProgressBar.bar(0) == "│" + String(repeating: " ", count: 20) + "│")
        #expect(ProgressBar.bar(0.5 + 1 / 160) == "│██████████▏         │")
        #expect(ProgressBar.bar(1) == "│" + String(repeating: "█", count: 20) + "│")
        #expect(ProgressBar.duration(58.2, precise: false) == "59s")
        #expect(ProgressBar.duration(59.2, precise: false) == "1m 00s")
        #expect(ProgressBar.duration(59.97, precise: true) == "1m 00s")
        #expect(ProgressBar.duration(3.14, precise: true) == "3.1s")
        #expect(ProgressBar.duration(185, precise: false) == "3m 05s")
        #expect(ProgressBar.duration(7620, precise: true) == "2h 07m")
        #expect(ProgressBar.value(3) == "3")
        #expect(ProgressBar.value(0.000012345) == "1.234e-05" || ProgressBar.value(0.000012345) == "1.235e-05")
        #expect(ProgressBar.value(12345.67) == "12345.7")
        #expect(ProgressBar.value(.nan) == "nan")
        #expect(
            ProgressBar.rate(2345.4) == "2345" && ProgressBar.rate(12.34) == "12.3"
                && ProgressBar.rate(0.4216) == "0.42")
    }
}
