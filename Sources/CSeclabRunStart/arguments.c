/* The Swift standard library's command-line hook, for the seclab-run executable only.
 *
 * Why: on Linux, the static Swift standard library finds argv with a C++ static initializer
 * (stdlib/public/CommandLineSupport/CommandLine.cpp, "ArgvGrabber") that reads and sscanf()s
 * every line of /proc/self/maps at start-up, to locate the initial stack. With libcurl's ~35
 * libraries mapped, the kernel formats ~150 mappings for it: ~0.1-0.15 ms of every
 * seclab-run start on this machine kind (docs/seclab-run.md, "Where the time goes"), for
 * argv, which glibc hands to every ELF initializer anyway.
 *
 * How: that initializer lives in the archive member that defines the two functions below,
 * and an archive member is linked only to define a symbol still undefined. This object
 * defines both, so the linker never pulls the member in, and the initializer does not exist
 * in the binary (scripts/build-seclab-run checks the release binary for its string). The two
 * functions keep the standard library's contract (same names, Swift calling convention,
 * same behaviour: the override first, then the captured argv). With a shared standard library
 * (debug builds and tests) the library binds its own copy internally and this one is unused.
 */
#include "cseclabrunstart.h"
#include <stddef.h>

static int captured_argc = 0;
static char **captured_argv = NULL;
static int override_argc = 0;
static char **override_argv = NULL;
static char *empty_argv[] = { NULL };

/* glibc calls the main program's initializers with (argc, argv, envp). */
static void capture(int argc, char **argv, char **envp) {
    (void)envp;
    captured_argc = argc;
    captured_argv = argv;
}
__attribute__((section(".init_array"), used)) static void (*const capture_at_start)(int, char **, char **) = capture;

int seclab_run_argc(void) { return captured_argc; }
char **seclab_run_argv(void) { return captured_argv; }

__attribute__((swiftcall, visibility("hidden")))
char **_swift_stdlib_getUnsafeArgvArgc(int *outArgLen) {
    if (override_argv) {
        *outArgLen = override_argc;
        return override_argv;
    }
    if (!captured_argv) {
        *outArgLen = 0;
        return empty_argv;
    }
    *outArgLen = captured_argc;
    return captured_argv;
}

__attribute__((swiftcall, visibility("hidden")))
void _swift_stdlib_overrideUnsafeArgvArgc(char **argv, int argc) {
    override_argv = argv;
    override_argc = argc;
}
