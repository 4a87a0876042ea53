#if canImport(Glibc)
import Glibc
#endif

/// A fuzz target: a name for `SECLAB_FUZZ_TARGET` and the function libFuzzer calls per input.
struct FuzzTarget: Sendable {
    /// The name used in `SECLAB_FUZZ_TARGET`, `Fuzz/corpus/<name>` and `Fuzz/regressions/<name>`.
    let name: String
    /// What the target covers, for `SECLAB_FUZZ_TARGET=list`.
    let summary: String
    /// Runs one input; traps (via `check`) when a property is broken.
    let run: @Sendable ([UInt8]) -> Void
}

/// Every target, in the order `scripts/fuzz` runs them.
let allTargets: [FuzzTarget] = [
    EncodingTargets.target,
    FormatTargets.target,
    KeyTextTargets.target,
    SRPTargets.target,
    RequestTargets.target,
    PullWireTargets.target,
    RunOptionsTargets.target,
    TemplateTargets.target,
    MaskerTargets.target,
    DotenvTargets.target,
]

/// The target chosen by `SECLAB_FUZZ_TARGET`, resolved once.
///
/// Why an environment variable and not a flag: libFuzzer owns argv (its flags and corpus
/// folders) and warns about flags it does not know.
let selectedTarget: FuzzTarget = {
    let name = getenv("SECLAB_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    if name == "list" {
        for target in allTargets { print("\(target.name)\t\(target.summary)") }
        exit(0)
    }
    guard let target = allTargets.first(where: { $0.name == name }) else {
        let names = allTargets.map(\.name).joined(separator: ", ")
        var message = "seclab-fuzz: set SECLAB_FUZZ_TARGET to one of: \(names) (or 'list')\n"
        message.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        exit(2)
    }
    return target
}()

/// libFuzzer's hook, called before any input: resolves the target, so a wrong name fails
/// at once instead of at the first input.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    _ = selectedTarget
    return 0
}

/// libFuzzer's entry point: one input, any bytes. Returning normally means "no bug".
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selectedTarget.run(bytes)
    return 0
}

/// A broken property is a bug like a crash: trap so libFuzzer saves the input.
func check(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fatalError("property broken: \(message())", file: file, line: line) }
}
