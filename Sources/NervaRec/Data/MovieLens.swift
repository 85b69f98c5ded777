import Foundation

/// Readers for the MovieLens data sets exactly as GroupLens publishes them
/// (https://grouplens.org/datasets/movielens/):
///
/// - ml-100k: `u.data` (`user \t item \t rating \t timestamp`), `u.item` (pipe-separated,
///   Latin-1: id, title, release date, video release date, IMDb URL, 19 genre flags), `u.user`
///   (`id|age|gender|occupation|zip`);
/// - ml-1m: `ratings.dat` (`UserID::MovieID::Rating::Timestamp`), `movies.dat`
///   (`MovieID::Title::Genres`, Latin-1, genres `|`-joined), `users.dat`;
/// - ml-latest, ml-latest-small, ml-20m, ml-25m, ml-32m: `ratings.csv`
///   (`userId,movieId,rating,timestamp`), `movies.csv` (`movieId,title,genres`, quoted titles).
///
/// ```swift
/// let (data, report) = try MovieLens.load(directory: URL(fileURLWithPath: "ml-100k"), malformed: .skip)
/// ```
public enum MovieLens {
    /// The layouts `load(directory:)` recognises.
    public enum Layout: String, Sendable, CaseIterable {
        case ml100k = "ml-100k", ml1m = "ml-1m", latest = "ml-latest"
    }

    /// ml-100k's 19 genres, in the order of the flags in `u.item` (as listed in `u.genre`).
    public static let genres100K = [
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
        "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
        "Romance", "Sci-Fi", "Thriller", "War", "Western"
    ]

    /// The layout of `directory`, judged by the files in it.
    public static func layout(of directory: URL) -> Layout? {
        let has = { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
        if has("u.data") { return .ml100k }
        if has("ratings.dat") { return .ml1m }
        if has("ratings.csv") { return .latest }
        return nil
    }

    /// Reads the ratings of a MovieLens folder with its movie catalogue (and users, where the
    /// layout has them). Malformed lines stop the read (`.fail`) or are skipped and listed in
    /// the report (`.skip`).
    public static func load(directory: URL, malformed: MalformedLinePolicy = .fail) throws -> (
        InteractionDataset, ReadReport
    ) {
        guard let layout = layout(of: directory) else { throw RecDataError.unknownLayout(directory: directory.path) }
        var parser = LineParser(policy: malformed)
        let file = { (name: String) in directory.appendingPathComponent(name) }
        let exists = { (name: String) in FileManager.default.fileExists(atPath: file(name).path) }
        var builder = InteractionDatasetBuilder()
        var catalog: ItemCatalog?
        var userTable: UserTable?
        switch layout {
        case .ml100k:
            try readRatings(file("u.data"), .separator("\t"), header: false, parser: &parser, into: &builder)
            if exists("u.item") { catalog = try read100KItems(file("u.item"), parser: &parser, items: &builder.items) }
            if exists("u.user") {
                userTable = try readUsers(
                    file("u.user"), .separator("|"), columns: ["age", "gender", "occupation", "zip_code"],
                    parser: &parser, users: &builder.users)
            }
        case .ml1m:
            try readRatings(file("ratings.dat"), .separator("::"), header: false, parser: &parser, into: &builder)
            if exists("movies.dat") {
                catalog = try readMovies(
                    file("movies.dat"), .separator("::"), encoding: .latin1, header: false,
                    parser: &parser, items: &builder.items)
            }
            if exists("users.dat") {
                userTable = try readUsers(
                    file("users.dat"), .separator("::"), columns: ["gender", "age", "occupation", "zip_code"],
                    parser: &parser, users: &builder.users)
            }
        case .latest:
            try readRatings(file("ratings.csv"), .csv(","), header: true, parser: &parser, into: &builder)
            if exists("movies.csv") {
                catalog = try readMovies(
                    file("movies.csv"), .csv(","), encoding: .utf8OrLatin1, header: true,
                    parser: &parser, items: &builder.items)
            }
        }
        var dataset = builder.build(hasRatings: true, hasTimestamps: true, catalog: catalog)
        if var table = userTable {
            table.rows += Array(
                repeating: Array(repeating: "", count: table.columns.count),
                count: max(0, dataset.userCount - table.rows.count))
            dataset.userTable = table
        }
        return (dataset, parser.report)
    }

    static func readRatings(
        _ url: URL, _ splitter: FieldSplitter, header: Bool, parser: inout LineParser,
        into builder: inout InteractionDatasetBuilder
    ) throws {
        let before = builder.users.count
        let lines = try TextLines(url: url, encoding: .utf8OrLatin1)
        var rows = 0
        try parser.parse(lines, skipHeader: header ? 1 : 0) { line in
            let fields = try LineProblem.fields(line, splitter, atLeast: 4, exactly: true)
            let user = try LineProblem.integerIdentifier(fields[0], "user id")
            let item = try LineProblem.integerIdentifier(fields[1], "item id")
            let rating = try LineProblem.number(fields[2], "rating")
            let timestamp = try LineProblem.integer(fields[3], "timestamp")
            builder.append(user: user, item: item, rating: rating, timestamp: timestamp)
            rows += 1
        }
        if rows == 0 && builder.users.count == before { throw RecDataError.empty(file: url.path) }
    }

    static func read100KItems(_ url: URL, parser: inout LineParser, items: inout IDMap) throws -> ItemCatalog {
        var rows: [(id: String, title: String, genres: [String], numeric: [Float])] = []
        try parser.parse(try TextLines(url: url, encoding: .latin1)) { line in
            let fields = try LineProblem.fields(line, .separator("|"), atLeast: 5 + 19, exactly: true)
            let flags = fields[5...].map { $0.trimmingCharacters(in: .whitespaces) }
            guard flags.allSatisfy({ $0 == "0" || $0 == "1" }) else {
                throw LineProblem("the 19 genre flags must be 0 or 1, found \(flags.joined(separator: "|"))")
            }
            let genres = zip(genres100K, flags).filter { $0.1 == "1" }.map(\.0)
            // The film's year is in its title ("Return of the Jedi (1983)"); the release date is
            // often a later re-release (14-Mar-1997 for that one), so it is only the fallback.
            let titleYear = yearInTitle(fields[1])
            let year = titleYear.isNaN ? fields[2].split(separator: "-").last.flatMap { Float($0) } ?? .nan : titleYear
            rows.append((try LineProblem.identifier(fields[0], "item id"), fields[1], genres, [year]))
        }
        return ItemCatalog.indexed(byID: rows, numericNames: ["year"], genreNames: genres100K, items: &items)
    }

    static func readMovies(
        _ url: URL, _ splitter: FieldSplitter, encoding: TextEncoding, header: Bool,
        parser: inout LineParser, items: inout IDMap
    ) throws -> ItemCatalog {
        var rows: [(id: String, title: String, genres: [String], numeric: [Float])] = []
        try parser.parse(try TextLines(url: url, encoding: encoding), skipHeader: header ? 1 : 0) { line in
            let fields = try LineProblem.fields(line, splitter, atLeast: 3, exactly: true)
            let genres = fields[2] == "(no genres listed)" ? [] : fields[2].split(separator: "|").map(String.init)
            rows.append(
                (try LineProblem.identifier(fields[0], "movie id"), fields[1], genres, [yearInTitle(fields[1])]))
        }
        return ItemCatalog.indexed(byID: rows, numericNames: ["year"], items: &items)
    }

    static func readUsers(
        _ url: URL, _ splitter: FieldSplitter, columns: [String], parser: inout LineParser,
        users: inout IDMap
    ) throws -> UserTable {
        var entries: [(id: String, values: [String])] = []
        try parser.parse(try TextLines(url: url, encoding: .utf8OrLatin1)) { line in
            let fields = try LineProblem.fields(line, splitter, atLeast: columns.count + 1, exactly: true)
            entries.append((try LineProblem.identifier(fields[0], "user id"), Array(fields[1...])))
        }
        return UserTable.indexed(byID: entries, columns: columns, users: &users)
    }

    /// The year in a title such as "Toy Story (1995)", or `nan`.
    static func yearInTitle(_ title: String) -> Float {
        let trimmed = title.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasSuffix(")"), let open = trimmed.lastIndex(of: "(") else { return .nan }
        return Float(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]) ?? .nan
    }
}

extension MovieLens {
    /// Reads one MovieLens ratings file on its own (`u.data`, `u1.base`, `ratings.dat`,
    /// `ratings.csv`, judged by name), without the catalogue.
    public static func readRatings(_ url: URL, malformed: MalformedLinePolicy = .fail) throws -> (
        InteractionDataset, ReadReport
    ) {
        var parser = LineParser(policy: malformed)
        var builder = InteractionDatasetBuilder()
        let name = url.lastPathComponent
        let splitter: FieldSplitter =
            name.hasSuffix(".dat") ? .separator("::") : name.hasSuffix(".csv") ? .csv(",") : .separator("\t")
        try readRatings(url, splitter, header: name.hasSuffix(".csv"), parser: &parser, into: &builder)
        return (builder.build(hasRatings: true, hasTimestamps: true), parser.report)
    }

    /// Whether `url` is named like a MovieLens ratings file.
    public static func isRatingsFile(_ url: URL) -> Bool {
        let name = url.lastPathComponent
        return ["u.data", "ratings.dat", "ratings.csv"].contains(name) || name.hasSuffix(".base")
            || name.hasSuffix(".test")
    }
}

extension InteractionSplit {
    /// A split from separately read train and test files: the test rows are re-indexed onto the
    /// training data's id maps (users or items seen only in the test file are added at the end,
    /// and are cold-start for every model).
    public init(train: InteractionDataset, separateTest test: InteractionDataset) {
        var full = train
        var users: [Int32] = [], items: [Int32] = []
        for row in 0..<test.count {
            users.append(Int32(full.users.insert(test.users[Int(test.userIndices[row])])))
            items.append(Int32(full.items.insert(test.items[Int(test.itemIndices[row])])))
        }
        if var catalog = full.catalog {
            catalog.pad(to: full.itemCount)
            full.catalog = catalog
        }
        var remapped = InteractionDataset(
            users: full.users, items: full.items, userIndices: users, itemIndices: items,
            ratings: test.ratings, timestamps: test.timestamps, catalog: full.catalog)
        remapped.hasRatings = test.hasRatings
        remapped.hasTimestamps = test.hasTimestamps
        self.init(train: full, test: remapped)
    }
}
