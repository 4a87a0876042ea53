/* libcurl's global initialisation, started before main on a second thread.
 *
 * Why: curl_global_init (OpenSSL's start: its configuration file, its providers) is ~0.5 ms of
 * every seclab-run start on this machine kind, and seclab-run's own start until its first
 * request (the Swift runtime's initialisers, reading the environment, the options and the
 * credential) is about as long and needs no libcurl; done one after the other they were ~1 ms,
 * side by side ~0.5 ms (docs/seclab-run.md, "Where the time goes").
 *
 * Safety: curl_global_init is not thread-safe against other libcurl calls, so seclab-run makes
 * none before seclab_run_curl_global_init() returned (SeclabHTTP's `CurlGlobal` hook, set
 * first thing in main); and OpenSSL registers exit handlers while it starts, so main waits for
 * it before exit(3) too. If no thread can be started, the initialisation happens in the first
 * call instead, as before.
 */
#include "cseclabrunstart.h"
#include "cseclabexec.h"
#include <curl/curl.h>
#include <pthread.h>

static pthread_t curl_thread;
static int curl_thread_started = 0;
static int curl_thread_joined = 0;
static int curl_result = -1;

static void *initialise(void *unused) {
    (void)unused;
    curl_result = (int)curl_global_init(CURL_GLOBAL_DEFAULT);
    return NULL;
}

__attribute__((constructor)) static void start_curl_initialisation(void) {
    curl_thread_started = seclab_start_thread_elsewhere(initialise, NULL, &curl_thread) == 0;
}

/* Called from main's thread only. */
int seclab_run_curl_global_init(void) {
    if (!curl_thread_joined) {
        if (curl_thread_started) {
            pthread_join(curl_thread, NULL);
        } else {
            initialise(NULL);
        }
        curl_thread_joined = 1;
    }
    return curl_result;
}
