// Shared test support: real server processes, binaries, temporary directories.
