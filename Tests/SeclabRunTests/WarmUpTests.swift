@testable import SeclabRun
import Testing

/// seclab-run's warm-up (SeclabRun/WarmUp.swift) runs the steps after the answer on a vault it
/// makes up; the end-to-end tests check that nothing of it reaches the command.
@Suite struct WarmUpTests {
    static func options(_ arguments: [String]) throws -> RunOptions {
        try RunOptions.parse(arguments + ["--", "true"], environment: ["SECLAB_SERVER": "http://127.0.0.1:1"])
    }

    /// Every step still runs (open, merge, plan): a change that broke one would leave the real
    /// run paying for it again, silently.
    @Test func exercisesEveryStepAfterTheAnswer() throws {
        #expect(WarmUp.exercise(options: try Self.options([])) == 1)
        #expect(WarmUp.exercise(options: try Self.options(["--prefix", "APP_", "--keep-existing"])) == 1)
    }

    /// Options the made-up vault cannot satisfy stop the warm-up quietly (the real run then
    /// does that work itself): nothing thrown, nothing trapped.
    @Test func optionsItCannotSatisfyStopItQuietly() throws {
        #expect(WarmUp.exercise(options: try Self.options(["--require", "DB_PASSWORD"])) == 0)
        #expect(WarmUp.exercise(options: try Self.options(["--file", "CERT=CERT_PATH"])) == 0)
    }
}
