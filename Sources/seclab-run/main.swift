import CSeclabRunStart
import SeclabHTTP
import SeclabRun
#if canImport(Glibc)
import Glibc
#endif

// libcurl's global initialisation was started before main on another thread
// (Sources/CSeclabRunStart/curl.c): the first HTTP client waits for it instead of starting it.
CurlGlobal.startedElsewhere = seclab_run_curl_global_init
// That thread then warms up the code run once the answer is in (Sources/SeclabRun/WarmUp.swift).
WarmUp.handOff = seclab_run_after_curl_init

// The arguments after the program name, read from the argv glibc gave the process (captured
// before main by Sources/CSeclabRunStart/arguments.c): the same strings as
// `CommandLine.arguments`, without the standard library's /proc/self/maps scan behind it.
let arguments: [String]
if let argv = seclab_run_argv() {
    arguments = (1..<max(Int(seclab_run_argc()), 1)).map { String(cString: argv[$0]!) }
} else {
    arguments = Array(CommandLine.arguments.dropFirst())
}
let code = SeclabRunMain.main(arguments: arguments)
// OpenSSL registers exit handlers while it starts: never exit while it is still starting (nor
// while the warm-up runs).
seclab_run_start_thread_finish()
exit(code)
