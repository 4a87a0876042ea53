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
 *
 * The thread then has nothing to do while main sends its request and waits for the answer
 * (~2 ms); main may hand it work for that time (seclab_run_after_curl_init: seclab-run's
 * warm-up, Sources/SeclabRun/WarmUp.swift), so the thread is no longer joined to learn that
 * libcurl is ready: a condition variable says so.
 */
#include "cseclabrunstart.h"
#include "cseclabexec.h"
#include <curl/curl.h>
#include <pthread.h>

static pthread_t start_thread;
static int start_thread_started = 0;
static int start_thread_joined = 0;

/* Guarded by `lock`. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t curl_ready_changed = PTHREAD_COND_INITIALIZER;
static int curl_ready = 0;
static int curl_result = -1;
/* The work handed over by main: 0 none yet, 1 handed over (`after_work`), 2 too late (the
   thread found none once libcurl was ready, and ended). */
static int after_state = 0;
static void (*after_work)(void) = NULL;

static void *initialise(void *unused) {
    (void)unused;
    int result = (int)curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_mutex_lock(&lock);
    curl_result = result;
    curl_ready = 1;
    pthread_cond_broadcast(&curl_ready_changed);
    void (*work)(void) = after_state == 1 ? after_work : NULL;
    if (!work) after_state = 2;
    pthread_mutex_unlock(&lock);
    if (work) work();
    return NULL;
}

__attribute__((constructor)) static void start_curl_initialisation(void) {
    start_thread_started = seclab_start_thread_elsewhere(initialise, NULL, &start_thread) == 0;
}

/* Called from main's thread only. */
int seclab_run_curl_global_init(void) {
    if (!start_thread_started) {
        if (!curl_ready) {
            curl_result = (int)curl_global_init(CURL_GLOBAL_DEFAULT);
            curl_ready = 1;
        }
        return curl_result;
    }
    pthread_mutex_lock(&lock);
    while (!curl_ready) pthread_cond_wait(&curl_ready_changed, &lock);
    int result = curl_result;
    pthread_mutex_unlock(&lock);
    return result;
}

/* Called from main's thread only. */
int seclab_run_after_curl_init(void (*work)(void)) {
    if (!start_thread_started) return 0;
    pthread_mutex_lock(&lock);
    int accepted = after_state == 0;
    if (accepted) {
        after_work = work;
        after_state = 1;
    }
    pthread_mutex_unlock(&lock);
    return accepted;
}

/* Called from main's thread only. */
void seclab_run_start_thread_finish(void) {
    if (start_thread_started && !start_thread_joined) {
        pthread_join(start_thread, NULL);
        start_thread_joined = 1;
    }
}
