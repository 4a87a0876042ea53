@testable import SeclabCLI

/// `seclab secret import --dotenv` (SeclabCLI.Dotenv): a file from anywhere, parsed on the
/// owner's machine. Parsing must not trap, and `render` must write what `parse` reads back
/// exactly (`secret export --format dotenv` followed by an import changes nothing) for every
/// name it accepts.
enum DotenvTargets {
    static let target = FuzzTarget(name: "dotenv", summary: "Dotenv.parse, and parse(render(pairs)) == pairs", run: run)

    static func run(_ data: [UInt8]) {
        guard let pairs = try? Dotenv.parse(String(decoding: data, as: UTF8.self)) else { return }
        check(Set(pairs.map(\.name)).count == pairs.count, "Dotenv.parse returned a name twice")
        // render refuses names a shell would run, and only those.
        let rendered: String
        do throws(Dotenv.RenderError) { rendered = try Dotenv.render(pairs) } catch {
            check(pairs.contains { !Dotenv.isShellName($0.name) }, "Dotenv: render refused a shell name")
            return
        }
        guard let again = try? Dotenv.parse(rendered) else {
            check(false, "Dotenv: render wrote a file parse refuses")
            return
        }
        check(again.map(\.name) == pairs.map(\.name), "Dotenv: a name changed through render and parse")
        check(again.map(\.value) == pairs.map(\.value), "Dotenv: a value changed through render and parse")
    }
}
