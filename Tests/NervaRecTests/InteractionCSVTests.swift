import Foundation
import Testing

@testable import NervaRec

/// Any file name, any of the usual layouts: the format options (or the first line) decide, not the name.
@Suite struct InteractionCSVTests {
    let rows = "1\t10\t4\t100\n1\t11\t3\t101\n2\t10\t5\t102\n"

    @Test func aHeaderlessTabFileIsReadWhateverItsName() throws {
        let folder = temporaryFolder()
        let file = write(rows, "train.tsv", in: folder)
        let (data, _) = try InteractionCSV.read(file, format: .init())
        #expect(
            data.count == 3 && data.users.ids == ["1", "2"] && data.ratings == [4, 3, 5]
                && data.timestamps == [100, 101, 102])
        let (explicit, _) = try InteractionCSV.read(file, format: .init(delimiter: "\t", hasHeader: false))
        #expect(explicit.ratings == data.ratings)
        let spaced = write(rows.replacingOccurrences(of: "\t", with: "  "), "ratings.txt", in: folder)
        #expect(try InteractionCSV.read(spaced, format: .init()).0.ratings == [4, 3, 5])
    }

    @Test func columnsByPositionWithoutAHeader() throws {
        let file = write("10,1,x,4\n11,1,y,3\n", "data.csv", in: temporaryFolder())
        let format = InteractionCSV.Format(hasHeader: false, columns: try .init(list: "2,1,4"))
        let (data, _) = try InteractionCSV.read(file, format: format)
        #expect(
            data.users.ids == ["1"] && data.items.ids == ["10", "11"] && data.ratings == [4, 3] && !data.hasTimestamps)
    }

    @Test func anExtraColumnIsAnErrorNamingTheLineUnlessColumnsAreChosen() throws {
        let folder = temporaryFolder()
        let headed = write("user,item,rating,comment\n1,2,5,great\n", "a.csv", in: folder)
        #expect(throws: RecDataError.self) { try InteractionCSV.read(headed, format: .init()) }
        do { _ = try InteractionCSV.read(headed, format: .init()) } catch let error as RecDataError {
            #expect(error.description.contains("a.csv:1: column 'comment'"), "\(error)")
        }
        let (chosen, _) = try InteractionCSV.read(headed, format: .init(columns: try .init(list: "user,item,rating")))
        #expect(chosen.ratings == [5])
        let ragged = write("1,2,5\n1,3,4,999\n", "b.csv", in: folder)
        #expect(
            throws: RecDataError.malformedLine(
                file: ragged.path, line: 2, problem: "4 fields, more than the 3 of the first line")
        ) {
            try InteractionCSV.read(ragged, format: .init())
        }
        let wide = write("1,2,5,100,7\n", "c.csv", in: folder)
        do {
            _ = try InteractionCSV.read(wide, format: .init())
            Issue.record("5 fields were accepted")
        } catch let error as RecDataError {
            #expect(error.description.contains("c.csv:1: 5 fields"), "\(error)")
        }
    }

    @Test func textIDsOnlyWhenAllowed() throws {
        let file = write("user,item,rating\nalice,10,4\nbob,11,3\n", "d.csv", in: temporaryFolder())
        #expect(
            throws: RecDataError.malformedLine(
                file: file.path, line: 2,
                problem: "user 'alice' is not an integer id (text ids need --string-ids)")
        ) {
            try InteractionCSV.read(file, format: .init())
        }
        let (data, _) = try InteractionCSV.read(file, format: .init(allowsTextIDs: true))
        #expect(data.users.ids == ["alice", "bob"])
    }

    @Test func aByteOrderMarkIsSkipped() throws {
        let file = write([0xEF, 0xBB, 0xBF] + Array("user,item\n1,2\n".utf8), "bom.csv", in: temporaryFolder())
        let (data, _) = try InteractionCSV.read(file, format: .init())
        #expect(data.users.ids == ["1"] && !data.hasRatings)
    }

    @Test func movieLensRatingsRejectTextIDs() {
        let file = write("1\tabc\t4\t100\n", "u.data", in: temporaryFolder())
        #expect(
            throws: RecDataError.malformedLine(
                file: file.path, line: 1,
                problem: "item id 'abc' is not an integer id (text ids need --string-ids)")
        ) {
            try MovieLens.readRatings(file)
        }
    }
}
