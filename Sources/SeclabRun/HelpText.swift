extension SeclabRunMain {
    /// `seclab-run --help`: usage, options and the reserved exit codes.
    public static let helpText = """
    seclab-run: run a command with a vault's secrets, decrypted in memory.

    Usage: seclab-run [OPTIONS] -- COMMAND [ARG...]

    The machine credential comes from SECLAB_MACHINE_KEY, or a file (SECLAB_MACHINE_KEY_FILE);
    --credential-env / --credential-file name one or more instead (their vaults are pulled at
    once and merged). The server comes from SECLAB_SERVER or --server. Every credential
    variable used is removed from the command's environment. COMMAND replaces seclab-run
    (execve) unless --mask, --files-dir or --watch needs a supervisor. Nothing is written to
    disk but a --fallback file.

    Options:
      --server URL              server (https://…; http only to loopback)
      --credential-file PATH    read a slmk2_… credential from PATH (repeatable)
      --credential-env VAR      read a slmk2_… credential from $VAR (repeatable); VAR is
                                removed from COMMAND's environment
      --override                a name in two vaults: the later credential wins (else an error)
      --env NEW=NAME            deliver secret NAME as $NEW, not as $NAME (repeatable)
      --prefix P                prepend P to every other environment name (APP_ + DB_URL)
      --expand                  resolve ${NAME} in values with secret NAME of this run; $${ is
                                a literal ${; a missing name or a cycle is an error
      --template SRC=VAR        render SRC ({{ NAME }}, {{ NAME | base64 }}, {{ NAME | json }},
                                {{{{ for a literal {{) into a sealed in-memory file; $VAR holds
                                its /dev/fd/N path (repeatable; SRC is never sent anywhere)
      --only NAME[,NAME...]     fetch only these secrets (names never leave this machine)
      --only-file PATH          fetch only the names listed in PATH, one per line (# comments);
                                commit it beside the pipeline: without a pin, whoever can
                                write the vault chooses the names you get
      --require NAME[,NAME...]  fail before running if any is missing
      --file NAME[=VAR]         deliver NAME as a sealed in-memory file; $VAR (default NAME)
                                holds its /dev/fd/N path
      --files-dir DIR           write file secrets as 0400 files in a fresh 0700 directory
                                under DIR (tmpfs/ramfs only), removed when COMMAND exits
      --keep-existing           inherited variables win over secrets of the same name
      --allow-name NAME[,...]   allow a name of a refused family (LD_*, GIT_*, PYTHON*, *_proxy,
                                PATH, HOME, …: see docs/seclab-run.md)
      --mask                    supervise COMMAND and replace secret values in its output with ***
      --mask-min-length N       do not mask values shorter than N bytes (default 6)
      --no-github-mask          do not write ::add-mask:: lines (to stderr) under GitHub Actions
      --dry-run                 print names, destinations, sizes and sources (never values),
                                run nothing
      --json                    with --dry-run: print it as one JSON object
      --cacert FILE             trust this CA bundle (also SECLAB_CA_FILE)
      --allow-insecure-http     allow plain http to a non-loopback server
      --timeout SECONDS         total time for the pull, retries included (default 30)
      --connect-timeout SECONDS time to connect (default 5)
      --watch                   supervise COMMAND; poll every vault and restart COMMAND with the
                                new values when one changes (a failed poll never stops COMMAND)
      --watch-interval D        time between polls (default 60s, jittered ±10%; 90, 15m, 1h)
      --stop-timeout D          SIGTERM, then SIGKILL after D when restarting (default 10s)
      --watch-signal SIG        on a change rewrite the --files-dir files and send SIG (HUP,
                                USR1, …) instead of restarting; needs --files-dir
      --fallback PATH           keep each credential's last verified pull sealed in PATH (also
                                SECLAB_FALLBACK); run from it when the server is unreachable
                                (never when it refuses a credential)
      --fallback-max-age D      the oldest fallback used (default 24h)
      -h, --help                this help
      --version                 print the version

    Exit codes:
      COMMAND's own code (exec mode), or its code / 128+N for signal N when supervised
      122  integrity failure: a tampered, swapped, truncated or malformed response, or a
           modified or another credential's --fallback file; nothing ran
      123  refused: credential revoked or wrong, throttled, or a secret asked for (--require,
           --file, --env, ${NAME}, {{ NAME }}) is not in the run
      124  server unreachable or failing after retries within the timeout (no usable fallback)
      125  seclab-run's own failure: usage, credential text, environment policy, files-dir, a name
           in two vaults without --override, a template or ${…} syntax error or cycle
      126  COMMAND found but not executable
      127  COMMAND not found

    """
}
