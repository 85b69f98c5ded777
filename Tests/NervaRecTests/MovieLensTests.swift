import Foundation
import Testing

@testable import NervaRec

@Suite struct MovieLensTests {
    /// Latin-1 bytes of an ml-100k `u.item` line (é is 0xE9, as in the published file).
    func itemLine(_ id: Int, _ title: String, flags: [Int]) -> [UInt8] {
        var bytes = Array("\(id)|".utf8)
        for scalar in title.unicodeScalars { bytes.append(UInt8(scalar.value)) }
        bytes += Array(
            "|01-Jan-1995||http://us.imdb.com/M/title-exact?x|\(flags.map(String.init).joined(separator: "|"))\n".utf8)
        return bytes
    }

    @Test func reads100KAsPublished() throws {
        let folder = temporaryFolder()
        write("196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t302\t5\t881250950\r\n", "u.data", in: folder)
        var flags = Array(repeating: 0, count: 19)
        flags[5] = 1
        flags[8] = 1 // Comedy, Drama
        write(
            itemLine(242, "Kolya (1996)", flags: flags)
                + itemLine(302, "L.A. Confidential (1997)", flags: Array(repeating: 0, count: 19))
                + itemLine(1306, "Délusion (1991)", flags: flags), "u.item", in: folder)
        write("196|49|M|writer|55105\n186|39|F|executive|00000\n", "u.user", in: folder)
        let (data, report) = try MovieLens.load(directory: folder)
        #expect(report.skipped.isEmpty)
        #expect(data.count == 3 && data.userCount == 2)
        #expect(data.itemCount == 3) // 1306 comes from u.item only
        #expect(data.users.ids == ["196", "186"])
        #expect(data.ratings == [3, 3, 5] && data.timestamps == [881_250_949, 891_717_742, 881_250_950])
        let catalog = try #require(data.catalog)
        let delusion = try #require(data.items.index(of: "1306"))
        #expect(catalog.titles[delusion] == "Délusion (1991)")
        let kolya = data.items.index(of: "242")!
        #expect(catalog.genres[kolya].map { catalog.genreNames[$0] } == ["Comedy", "Drama"])
        #expect(catalog.genreNames.count == 19)
        #expect(data.userTable?.rows[data.users.index(of: "186")!] == ["39", "F", "executive", "00000"])
    }

    @Test func malformedLinesFailWithFileAndLineOrAreSkipped() throws {
        let folder = temporaryFolder()
        let file = write("1\t10\t4\t100\n2\t20\tfive\t101\n3\t30\n4\t40\t2\t102\n", "u.data", in: folder)
        #expect(throws: RecDataError.malformedLine(file: file.path, line: 2, problem: "rating 'five' is not a number"))
        {
            try MovieLens.load(directory: folder, malformed: .fail)
        }
        let (data, report) = try MovieLens.load(directory: folder, malformed: .skip)
        #expect(data.count == 2)
        #expect(
            report.skipped.map(\.description) == [
                "\(file.path):2: rating 'five' is not a number",
                "\(file.path):3: expected 4 fields, found 2"
            ])
    }

    @Test func reads1MDoubleColonFiles() throws {
        let folder = temporaryFolder()
        write("1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n", "ratings.dat", in: folder)
        write(
            Array(
                "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::James and the Giant Peach (1996)::Animation|Children's|Musical\n"
                    .utf8)
                + [
                    0x39, 0x39, 0x3A, 0x3A, 0x43, 0x61, 0x66, 0xE9, 0x20, 0x28, 0x32, 0x30, 0x30, 0x30, 0x29, 0x3A,
                    0x3A, 0x43, 0x6F, 0x6D, 0x65, 0x64, 0x79, 0x0A
                ],
            "movies.dat", in: folder)
        write("1::F::1::10::48067\n2::M::56::16::70072\n", "users.dat", in: folder)
        let (data, _) = try MovieLens.load(directory: folder)
        #expect(MovieLens.layout(of: folder) == .ml1m)
        #expect(data.count == 3 && data.userCount == 2 && data.itemCount == 3)
        let catalog = try #require(data.catalog)
        #expect(catalog.titles[data.items.index(of: "99")!] == "Café (2000)")
        #expect(
            catalog.genres[data.items.index(of: "661")!].map { catalog.genreNames[$0] } == [
                "Animation", "Children's", "Musical"
            ])
        #expect(catalog.numericFeatures[0].values[data.items.index(of: "1193")!] == 1975)
    }

    @Test func readsLatestCSVWithQuotedTitles() throws {
        let folder = temporaryFolder()
        write("userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.5,964981247\n", "ratings.csv", in: folder)
        write(
            "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n3,\"Shawshank Redemption, The (1994)\",Crime|Drama\n5,Nothing (2003),(no genres listed)\n",
            "movies.csv", in: folder)
        let (data, _) = try MovieLens.load(directory: folder)
        #expect(data.ratings == [4.0, 4.5])
        let catalog = try #require(data.catalog)
        #expect(catalog.titles[data.items.index(of: "3")!] == "Shawshank Redemption, The (1994)")
        #expect(catalog.genres[data.items.index(of: "5")!].isEmpty)
    }

    @Test func unknownFolderIsReported() {
        let folder = temporaryFolder()
        #expect(throws: RecDataError.unknownLayout(directory: folder.path)) { try MovieLens.load(directory: folder) }
    }

    @Test func genericCSVWithNamedColumns() throws {
        let folder = temporaryFolder()
        let file = write("sku;customer;when;stars\nA;alice;5;4\nB;bob;6;2\nA;bob;7;5\n", "orders.csv", in: folder)
        let columns = InteractionCSV.Columns(user: "customer", item: "sku", rating: "stars", timestamp: "when")
        let (data, _) = try InteractionCSV.read(file, columns: columns, delimiter: ";")
        #expect(data.users.ids == ["alice", "bob"] && data.items.ids == ["A", "B"])
        #expect(data.ratings == [4, 2, 5] && data.timestamps == [5, 6, 7])
        #expect(
            throws: RecDataError.missingColumn(
                file: file.path, column: "client", header: ["sku", "customer", "when", "stars"])
        ) {
            try InteractionCSV.read(file, columns: .init(user: "client", item: "sku"), delimiter: ";")
        }
        let (implicit, _) = try InteractionCSV.read(
            file, columns: .init(user: "customer", item: "sku", rating: nil, timestamp: nil), delimiter: ";")
        #expect(!implicit.hasRatings && implicit.ratings == [1, 1, 1])
    }

    @Test func syntheticDataRoundTripsThroughThe100KFormat() throws {
        let synthetic = SyntheticInteractions(users: 30, items: 80, meanInteractions: 25, seed: 3)
        let folder = temporaryFolder()
        try MovieLens.write100K(synthetic.dataset, to: folder)
        let (read, report) = try MovieLens.load(directory: folder)
        #expect(report.skipped.isEmpty)
        #expect(read.count == synthetic.dataset.count)
        #expect(read.users.ids == synthetic.dataset.users.ids && read.items.ids == synthetic.dataset.items.ids)
        #expect(read.ratings == synthetic.dataset.ratings && read.timestamps == synthetic.dataset.timestamps)
        #expect(read.catalog?.titles == synthetic.dataset.catalog?.titles)
    }
}
