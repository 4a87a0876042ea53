#ifndef CSECLABRUNARGUMENTS_H
#define CSECLABRUNARGUMENTS_H

/* seclab-run's command line as the process received it (argc, argv), captured before main.
   Linked into the seclab-run executable only; see arguments.c for why. */
int seclab_run_argc(void);
char **seclab_run_argv(void);

#endif
