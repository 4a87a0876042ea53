import SeclabAPI
import SeclabClient
import SeclabFormat
import SeclabKeys
import SeclabMachine
import SeclabPrimitives

/// What seclab-run does once its answer has arrived, done once beforehand, on a vault of one
/// item made up here, by the thread that started libcurl, while the request is on the wire.
///
/// Why: the first time a process runs that code, the Swift runtime builds type metadata and
/// looks protocol conformances up (a scan of every conformance the binary holds), libsodium
/// picks its implementations, the locked-page allocator maps its first pages, and the refused
/// names' matcher is built: all of it after the answer, while the second CPU sat idle through
/// the ~2 ms the request takes. Run here first, the real pull finds it done: from the answer
/// to `execve` 0.32 ms instead of 0.65 at 1 secret, 0.67 instead of 0.97 at 100, 2.43 instead
/// of 2.79 at 1,000 (timestamps inside the binary, 40 runs of each in turn; docs/seclab-run.md,
/// "Where the time goes").
///
/// Safety: only code that is a pure function of its arguments runs (opening an answer from
/// memory, merging, planning the environment); it touches no file, no network, no
/// environment, and its made-up secret (one byte, in the locked-page allocator) never meets
/// the real run's values. Whatever it fails at is ignored: the real run then pays for the
/// same work itself, as before. seclab-run waits for it before exit(3)
/// (`seclab_run_start_thread_finish`); an `execve` ends it wherever it is.
public enum WarmUp {
    /// Set by seclab-run's main (`seclab_run_after_curl_init`): hands `work` to the thread that
    /// starts libcurl, to run once that is done; nonzero when it will run. Unset (tests, other
    /// programs), nothing is warmed up.
    nonisolated(unsafe) public static var handOff: (@convention(c) ((@convention(c) () -> Void)?) -> Int32)? = nil

    /// The run's options, for the warm-up's plan. Why unchecked: written once by main before
    /// `handOff` publishes the work under the start thread's lock, read only by that work.
    nonisolated(unsafe) private static var options: RunOptions? = nil

    /// Hand the warm-up over, if main set `handOff`; at most once per process.
    static func start(options: RunOptions) {
        guard let handOff, self.options == nil else { return }
        self.options = options
        _ = handOff { if let options = WarmUp.options { _ = WarmUp.exercise(options: options) } }
    }

    /// The warm-up itself: seal one item in a vault made up here, serve it as a server would,
    /// and open, merge and plan it the way a run does. Returns how many variables the plan
    /// sets (1 when every step ran: the tests check that it still exercises them all).
    static func exercise(options: RunOptions) -> Int {
        let context = VaultContext(ownerAccountID: .random(), vaultID: .random())
        let credential = MachineCredential.generate(for: context)
        let vaultKey = VaultKey.generate(), indexKey = IndexKey.generate()
        let cipher = ItemCipher(vaultKey: vaultKey, indexKey: indexKey, context: context)
        guard let item = try? cipher.seal(name: ItemName("WARM_UP_VALUE"), value: SecretBytes(copying: [0x2A])) else { return 0 }
        let body = PullWire.body(MachinePullResponse(
            accountID: context.ownerAccountID.text, vaultID: context.vaultID.text, slotID: credential.slotID.text,
            wrappedVK: MachineSlot.wrap(vaultKey, with: credential.unwrapKey, in: context, slotID: credential.slotID).text,
            wrappedIndexKey: vaultKey.wrap(indexKey, in: context).text,
            items: [ItemView(keyRef: item.keyRef.text, encName: item.encName.text, encValue: item.encValue.text, updatedAt: "", deleted: false)]))
        // The same steps as `Credentials.pullAll` and `gather` after the answer, then `ExecPlan`.
        let pulls = Concurrently.results(count: 1) { _ throws(ClientError) in try MachinePull.open(served: body, credential: credential).vault }
        guard case let .success(vault)? = pulls.first,
              let items = try? Credentials.merge([(source: "warm-up", items: vault.items)], override: false, selecting: nil),
              let plan = try? ExecPlan.build(command: options.command, inherited: [], items: items, options: options) else { return 0 }
        return plan.environment.count
    }
}
