import Foundation
import NervaRec

// MARK: - Interaction files: ratings CSV and the MovieLens layouts

extension FuzzTarget {
    /// The first byte chooses the columns, delimiter and malformed-line policy; the rest is the file.
    static let ratingsCSV = FuzzTarget(
        name: "ratings-csv", reader: "InteractionCSV.read(bytes:) (any delimited ratings file with a header)",
        run: { bytes in
            guard let first = bytes.first else { return }
            let columns =
                first & 1 == 0
                ? InteractionCSV.Columns()
                : InteractionCSV.Columns(user: "userId", item: "movieId", rating: "rating", timestamp: nil)
            let delimiter: Character = first & 2 == 0 ? "," : ";"
            _ = try? InteractionCSV.read(
                bytes: Array(bytes.dropFirst()), columns: columns, delimiter: delimiter,
                malformed: first & 4 == 0 ? .fail : .skip, optionalColumns: first & 8 == 0)
        },
        seeds: {
            [
                (
                    "plain.csv",
                    [0]
                        + Array(
                            "user,item,rating,timestamp\nalice,book-1,4.5,100\nbob,book-2,3,200\nalice,book-2,1,300\n"
                                .utf8)
                ),
                (
                    "quoted-skip.csv",
                    [4] + Array("\u{FEFF}user,item,rating\n\"al,ice\",\"a \"\"b\"\"\",2\r\nbob,x\n\nbob,y,5\n".utf8)
                ),
                ("movielens-columns-semicolon.csv", [3] + Array("userId;movieId;rating\n1;31;2.5\n1;1029;3.0\n".utf8)),
                ("implicit.csv", [8] + Array("user,item\nu1,i1\nu2,i1\n".utf8))
            ]
        })

    /// The first byte chooses the layout and the malformed-line policy; then come the ratings
    /// file, the movies file and the users file (see `FuzzParts`), written into a folder.
    static let movieLens = FuzzTarget(
        name: "movielens",
        reader: "MovieLens.load(directory:) (ml-100k, ml-1m and ml-latest folders, catalogue and users)",
        run: { bytes in
            guard let first = bytes.first else { return }
            let layout = MovieLens.Layout.allCases[Int(first & 3) % 3]
            let parts = FuzzParts.split(Array(bytes.dropFirst()), count: 3)
            let names: [String] =
                switch layout {
                case .ml100k: ["u.data", "u.item", "u.user"]
                case .ml1m: ["ratings.dat", "movies.dat", "users.dat"]
                case .latest: ["ratings.csv", "movies.csv", "users.none"]
                }
            let folder = FuzzScratchFolder.shared.reset()
            for (name, part) in zip(names, parts) where !(name != names[0] && part.isEmpty) {
                _ = FileManager.default.createFile(
                    atPath: folder.appendingPathComponent(name).path, contents: Data(part))
            }
            _ = try? MovieLens.load(directory: folder, malformed: first & 4 == 0 ? .fail : .skip)
        },
        seeds: {
            let flags = (0..<19).map { $0 == 1 || $0 == 5 ? "1" : "0" }.joined(separator: "|")
            return [
                (
                    "ml-100k.bin",
                    [0]
                        + FuzzParts.join([
                            Array("196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t302\t5\t881251000\n".utf8),
                            Array(
                                "242|Kolya (1996)|24-Jan-1997||http://us.imdb.com/M/title-exact?Kolya%20(1996)|\(flags)\n302|L.A. Confidential|01-Jan-1997||x|\(flags)\n"
                                    .utf8)
                                + [0xE9, 0x0A],
                            Array("196|49|M|writer|55105\n186|39|F|executive|00000\n".utf8)
                        ])
                ),
                (
                    "ml-1m.bin",
                    [1]
                        + FuzzParts.join([
                            Array("1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n".utf8),
                            Array(
                                "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::James and the Giant Peach (1996)::Animation|Children's|Musical\n"
                                    .utf8),
                            Array("1::F::1::10::48067\n2::M::56::16::70072\n".utf8)
                        ])
                ),
                (
                    "ml-latest.bin",
                    [2]
                        + FuzzParts.join([
                            Array(
                                "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.0,964981247\n2,1,2.5,964982224\n"
                                    .utf8),
                            Array(
                                "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n3,\"Grumpier Old Men, The (1995)\",(no genres listed)\n"
                                    .utf8),
                            []
                        ])
                ),
                ("ml-100k-skip-malformed.bin", [4] + FuzzParts.join([Array("1\t2\t3\n1\t2\t3\t4\n".utf8), [], []]))
            ]
        })
}

/// One scratch folder per process for the targets that read files (in memory when /dev/shm exists).
final class FuzzScratchFolder: @unchecked Sendable {
    static let shared = FuzzScratchFolder()
    let url: URL

    private init() {
        let base =
            FileManager.default.fileExists(atPath: "/dev/shm")
            ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
        url = base.appendingPathComponent("nerva-fuzz-scratch-\(getpid())")
        atexit { try? FileManager.default.removeItem(at: FuzzScratchFolder.shared.url) }
    }

    /// The folder, emptied.
    func reset() -> URL {
        try? FileManager.default.removeItem(at: url)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
