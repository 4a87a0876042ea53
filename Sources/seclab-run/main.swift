import CSeclabRunArguments
import SeclabRun

// The arguments after the program name, read from the argv glibc gave the process (captured
// before main by Sources/CSeclabRunArguments/arguments.c): the same strings as
// `CommandLine.arguments`, without the standard library's /proc/self/maps scan behind it.
let arguments: [String]
if let argv = seclab_run_argv() {
    arguments = (1..<max(Int(seclab_run_argc()), 1)).map { String(cString: argv[$0]!) }
} else {
    arguments = Array(CommandLine.arguments.dropFirst())
}
SeclabRunMain.main(arguments: arguments)
