import Foundation
import NervaData

/// What one secure aggregation round costs: the workload of `nerva bench fed`'s secure rounds.
/// Every participant and the server run in this process, one after the other on one thread, and
/// every message is encoded as it crosses HTTP (`SecureAggregationWire`), so the bytes are those
/// a client of `nerva fed client` sends.
public struct SecureAggregationCost: Sendable, Equatable {
    /// The round's participants.
    public var participants: Int
    /// Neighbours per participant.
    public var neighbours: Int
    /// Shares needed to rebuild a secret.
    public var threshold: Int
    /// Values per masked vector.
    public var values: Int
    /// Participants that dropped after sharing their keys (their masks are removed).
    public var dropouts: Int
    /// The whole round's computation: every participant's four steps and the server's, in seconds.
    public var seconds: Double
    /// One participant's four steps (their mean), in seconds.
    public var secondsPerClient: Double
    /// The server's unmasking (rebuilding the secrets, removing the masks), in seconds.
    public var serverSeconds: Double
    /// The bytes a surviving participant sends in the four steps (their mean).
    public var bytesPerClient: Double
    /// Of which the steps other than the masked vector (keys, shares, unmasking).
    public var protocolBytesPerClient: Double

    /// Runs one round of `participants` with `values` values each, the last `dropouts` of them
    /// vanishing after sharing their keys, and measures it.
    ///
    /// - Parameters:
    ///   - participants: the round's participants, at least 2.
    ///   - values: values per vector.
    ///   - dropouts: participants that drop after sharing their keys.
    ///   - settings: the threshold and degree rules.
    /// - Throws: `SecureAggregationError` when the round cannot finish (too many dropouts).
    public static func measure(
        participants: Int, values: Int, dropouts: Int = 1, settings: SecureAggregationSettings = .init()
    ) throws -> SecureAggregationCost {
        let graph = try settings.graph(participants: participants, seed: UInt64(participants))
        let threshold = settings.threshold(participants: graph.degree + 1)
        let context = Data("nerva bench".utf8)
        let clock = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        var clientSeconds = [Double](repeating: 0, count: participants)
        var sent = [Int](repeating: 0, count: participants), protocolSent = sent
        func timed<T>(_ index: Int, _ body: () throws -> T) rethrows -> T {
            let start = clock()
            defer { clientSeconds[index] += clock() - start }
            return try body()
        }
        let start = clock()
        let server = try SecureAggregationServer(graph: graph, threshold: threshold, context: context)
        let clients = (0..<participants).map { SecureAggregationClient(index: $0, context: context) }
        for client in clients {
            let keys = timed(client.index) { client.advertisedKeys }
            protocolSent[client.index] += try SecureAggregationWire.json(keys).count
            try server.receive(keys)
        }
        let roster = try server.roster()
        for client in clients {
            let boxes = try timed(client.index) {
                try client.shareKeys(roster: roster, graph: graph, threshold: threshold)
            }
            protocolSent[client.index] += try SecureAggregationWire.json(boxes).count
            try server.receive(shares: boxes, from: client.index)
        }
        let survivors = clients.dropLast(max(0, min(dropouts, participants)))
        for client in survivors {
            let input = (0..<values).map { Float(($0 + client.index) % 97) * 1e-3 }
            let received = try server.shares(for: client.index)
            let masked = try timed(client.index) { try client.maskedInput(input, received: received) }
            sent[client.index] += try SecureAggregationWire.encode(MaskedInput(vector: masked, metrics: [:])).count
            try server.receive(masked: masked, from: client.index)
        }
        for client in survivors {
            let answer = try timed(client.index) { try client.unmask(survivors: server.survivors) }
            protocolSent[client.index] += try SecureAggregationWire.json(answer).count
            try server.receive(answer)
        }
        let unmaskingStart = clock()
        _ = try server.sum(scale: settings.scale)
        let end = clock()
        let count = Double(survivors.count)
        let protocolBytes = survivors.reduce(0.0) { $0 + Double(protocolSent[$1.index]) } / count
        return SecureAggregationCost(
            participants: participants, neighbours: graph.degree, threshold: threshold, values: values,
            dropouts: participants - survivors.count, seconds: end - start,
            secondsPerClient: survivors.reduce(0.0) { $0 + clientSeconds[$1.index] } / count,
            serverSeconds: end - unmaskingStart,
            bytesPerClient: survivors.reduce(0.0) { $0 + Double(sent[$1.index]) } / count + protocolBytes,
            protocolBytesPerClient: protocolBytes)
    }

    /// Two charts of how `costs` grow with the number of participants: seconds (the round, one
    /// participant, the server's unmasking) and the kilobytes one participant sends besides its
    /// masked vector (keys, shares, unmasking: what the neighbour graph keeps at `O(log n)`).
    ///
    /// - Parameter costs: measurements for several round sizes.
    public static func charts(_ costs: [SecureAggregationCost]) -> (seconds: String, bytes: String) {
        let sorted = costs.sorted { $0.participants < $1.participants }
        let x = sorted.map { Double($0.participants) }
        let seconds = LineChart(
            title: "Seconds per secure round (\(sorted.first?.values ?? 0) values)",
            xLabel: "participants per round", yLabel: "seconds",
            series: [
                .init(
                    name: "whole round, one thread",
                    points: zip(x, sorted.map(\.seconds)).map { (x: $0.0, y: $0.1) }),
                .init(name: "server unmasking", points: zip(x, sorted.map(\.serverSeconds)).map { (x: $0.0, y: $0.1) }),
                .init(
                    name: "one participant", points: zip(x, sorted.map(\.secondsPerClient)).map { (x: $0.0, y: $0.1) })
            ])
        let bytes = LineChart(
            title: "KB a participant sends besides its masked vector",
            xLabel: "participants per round", yLabel: "kilobytes",
            series: [
                .init(
                    name: "keys, shares, unmasking",
                    points: zip(x, sorted.map { $0.protocolBytesPerClient / 1000 }).map { (x: $0.0, y: $0.1) })
            ])
        return (seconds.svg(), bytes.svg())
    }

    /// Writes `charts(costs)` into `folder` (created if needed) as `secure-aggregation-seconds.svg`
    /// and `secure-aggregation-bytes.svg`, with PNGs when `rsvg-convert` is installed.
    ///
    /// - Parameters:
    ///   - costs: measurements for several round sizes.
    ///   - folder: where the charts go.
    /// - Returns: the files written.
    @discardableResult
    public static func writeCharts(_ costs: [SecureAggregationCost], to folder: URL) throws -> [URL] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let charts = charts(costs)
        return try Figure.write(
            svg: charts.seconds, to: folder.appendingPathComponent("secure-aggregation-seconds.svg"))
            + Figure.write(svg: charts.bytes, to: folder.appendingPathComponent("secure-aggregation-bytes.svg"))
    }
}
