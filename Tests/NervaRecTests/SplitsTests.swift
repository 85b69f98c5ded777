import Testing

@testable import NervaRec

@Suite struct SplitsTests {
    @Test func leaveOneOutHoldsOutTheLatestWithTiesToTheLargerItem() {
        let data = dataset([
            ("u1", "5", 4, 10), ("u1", "9", 3, 30), ("u1", "10", 5, 30), ("u1", "2", 1, 20),
            ("u2", "7", 2, 5), ("u2", "8", 2, 1), ("u3", "1", 5, 1)
        ])
        let split = SplitRule.leaveOneOut.split(data)
        let test = (0..<split.test.count).map {
            (split.test.users[Int(split.test.userIndices[$0])], split.test.items[Int(split.test.itemIndices[$0])])
        }
        #expect(test.map(\.0) == ["u1", "u2"] && test.map(\.1) == ["10", "7"]) // "10" > "9" numerically
        #expect(split.train.count == 5)
        let train = UserItemMatrix(split.train)
        for row in 0..<split.test.count {
            #expect(!train.contains(user: Int(split.test.userIndices[row]), item: Int(split.test.itemIndices[row])))
        }
    }

    @Test func leaveOneOutOnSyntheticDataLeavesExactlyOnePerUserAndNoLeak() {
        let data = SyntheticInteractions(users: 60, items: 120, meanInteractions: 30, seed: 1).dataset
        let split = SplitRule.leaveOneOut.split(data)
        #expect(split.test.count == data.userCount)
        #expect(Set(split.test.userIndices).count == data.userCount)
        #expect(split.train.count + split.test.count == data.count)
        let train = UserItemMatrix(split.train)
        for row in 0..<split.test.count {
            let user = Int(split.test.userIndices[row])
            #expect(!train.contains(user: user, item: Int(split.test.itemIndices[row])))
            let latestTrain = (0..<split.train.count).filter { Int(split.train.userIndices[$0]) == user }.map {
                split.train.timestamps[$0]
            }.max()!
            #expect(split.test.timestamps[row] >= latestTrain)
        }
    }

    @Test func randomAndTemporalSplits() {
        let data = SyntheticInteractions(users: 40, items: 100, meanInteractions: 30, seed: 2).dataset
        let random = SplitRule.randomHoldout(fraction: 0.2).split(data, seed: 7)
        #expect(random.test.count == Int((Double(data.count) * 0.2).rounded()))
        #expect(random.train.count + random.test.count == data.count)
        #expect(SplitRule.randomHoldout(fraction: 0.2).split(data, seed: 7).test.itemIndices == random.test.itemIndices)
        let temporal = SplitRule.temporal(fraction: 0.25).split(data)
        for user in 0..<data.userCount {
            let trainTimes = (0..<temporal.train.count).filter { Int(temporal.train.userIndices[$0]) == user }.map {
                temporal.train.timestamps[$0]
            }
            let testTimes = (0..<temporal.test.count).filter { Int(temporal.test.userIndices[$0]) == user }.map {
                temporal.test.timestamps[$0]
            }
            #expect(trainTimes.max()! <= testTimes.min()!)
        }
    }

    @Test func explicitToImplicit() {
        let data = dataset([("a", "x", 5, 1), ("a", "y", 2, 2), ("b", "x", 4, 3)])
        let liked = data.implicit(threshold: 4)
        #expect(liked.count == 2 && !liked.hasRatings && liked.ratings == [1, 1])
        #expect(data.implicit().count == 3)
    }

    @Test func negativesNeverContainPositivesAndAreSeeded() {
        let data = SyntheticInteractions(users: 20, items: 60, meanInteractions: 25, seed: 4).dataset
        let seen = UserItemMatrix(data)
        let sampler = NegativeSampler(seen: seen)
        for user in 0..<data.userCount {
            let negatives = sampler.sample(for: user, count: 50, generator: RandomGenerator(seed: UInt64(user)))
            #expect(negatives.allSatisfy { !seen.contains(user: user, item: $0) })
            #expect(negatives == sampler.sample(for: user, count: 50, generator: RandomGenerator(seed: UInt64(user))))
            let distinct = sampler.sampleDistinct(
                for: user, count: 20, excluding: [0], generator: RandomGenerator(seed: 1))
            #expect(Set(distinct).count == distinct.count && !distinct.contains(0))
            #expect(distinct.allSatisfy { !seen.contains(user: user, item: $0) })
        }
    }
}
