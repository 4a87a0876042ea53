#ifndef CSECLABRUNSTART_H
#define CSECLABRUNSTART_H

/* What seclab-run does before main. Linked into the seclab-run executable only. */

/* The command line as the process received it (argc, argv), captured before main
   (arguments.c). */
int seclab_run_argc(void);
char **seclab_run_argv(void);

/* libcurl's global initialisation, started before main on another thread (curl.c): waits
   until it is done and returns its CURLcode (0: CURLE_OK). Call before any other libcurl
   call, and before exit(3); harmless to call again. */
int seclab_run_curl_global_init(void);

#endif
