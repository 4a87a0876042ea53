#ifndef CSECLABRUNSTART_H
#define CSECLABRUNSTART_H

/* What seclab-run does before main. Linked into the seclab-run executable only. */

/* The command line as the process received it (argc, argv), captured before main
   (arguments.c). */
int seclab_run_argc(void);
char **seclab_run_argv(void);

/* libcurl's global initialisation, started before main on another thread (curl.c): waits
   until it is done and returns its CURLcode (0: CURLE_OK). Call before any other libcurl
   call; harmless to call again. */
int seclab_run_curl_global_init(void);

/* Hands `work` to that thread, to run once libcurl is ready (while main sends its request):
   1 if it will run, 0 if the thread has already ended (or never started). At most once. */
int seclab_run_after_curl_init(void (*work)(void));

/* Waits until that thread has ended (libcurl started, and any work handed over done). Call
   before exit(3): OpenSSL registers exit handlers while it starts, and the work must not run
   while the process exits. */
void seclab_run_start_thread_finish(void);

#endif
