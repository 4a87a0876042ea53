import CSeclabExec
#if canImport(Glibc)
import Glibc
#endif

/// Runs the command as a child (for `--mask` and `--files-dir`), relays and masks its output,
/// forwards signals, and returns its exit code or 128+N when signal N killed it.
struct Supervisor {
    let path: String
    let argv: [[UInt8]]
    /// The child's environment, as the plan holds it (written as `NAME=VALUE` at spawn).
    let environment: [(name: [UInt8], value: [UInt8])]
    let mask: Bool
    let maskValues: [[UInt8]]
    let maskMinimumLength: Int

    func run() throws(RunFailure) -> Int32 { try supervise(watch: nil).code }

    /// Supervise one COMMAND until it exits. With `watch` (Watch.swift), also wait on
    /// its wake pipe: a change is applied by sending a signal, or by stopping COMMAND (SIGTERM,
    /// then SIGKILL after the stop timeout), in which case `restart` is true and the caller
    /// starts it again with the new values.
    func supervise(watch: WatchHook?) throws(RunFailure) -> (code: Int32, restart: Bool) {
        var signalPipe: [Int32] = [-1, -1]
        guard seclab_pipe(&signalPipe, 1) == 0, seclab_install_signal_pipe(signalPipe[1]) == 0 else {
            throw RunFailure(RunExitCode.failure, "could not set up signal forwarding")
        }
        defer { seclab_reset_signals() }

        let usePTY = mask && isatty(1) == 1
        var outRead: Int32 = -1, errRead: Int32 = -1, master: Int32 = -1
        var childOut: Int32 = -1, childErr: Int32 = -1
        var mode: Int32 = 2
        if usePTY {
            var slave: Int32 = -1
            guard seclab_openpty(&master, &slave, 1) == 0 else { throw RunFailure(RunExitCode.failure, "could not open a pseudo-terminal") }
            childOut = slave
            mode = 1
        } else if mask {
            var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
            guard seclab_pipe(&out, 0) == 0, seclab_pipe(&err, 0) == 0 else { throw RunFailure(RunExitCode.failure, "could not create pipes") }
            outRead = out[0]; childOut = out[1]; errRead = err[0]; childErr = err[1]
            mode = 0
        }

        let pid = withCStrings(argv) { cArgv in
            withCEnvironment(environment) { cEnvp in seclab_spawn(path, cArgv, cEnvp, mode, childOut, childErr) }
        }
        let spawnErrno = errno
        if childOut >= 0 { close(childOut) }
        if childErr >= 0 { close(childErr) }
        guard pid > 0 else {
            throw RunFailure(spawnErrno == ENOENT ? RunExitCode.notFound : RunExitCode.notExecutable,
                             "cannot execute '\(path)': \(String(cString: strerror(spawnErrno)))")
        }

        var rawStdin = false
        if usePTY, isatty(0) == 1 { rawStdin = seclab_tty_raw(0) == 0 }
        defer { if rawStdin { _ = seclab_tty_restore(0) } }

        var outMasker = Masker(values: maskValues, minimumLength: maskMinimumLength)
        var errMasker = outMasker
        var open: [(fd: Int32, target: Int32, isErr: Bool)] = []
        if usePTY { open.append((master, 1, false)) }
        if outRead >= 0 { open.append((outRead, 1, false)) }
        if errRead >= 0 { open.append((errRead, 2, true)) }
        var stdinOpen = usePTY && rawStdin
        var status: Int32 = 0
        var exited = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        var restart = false
        var killAt: Int64? = nil

        while !(exited && open.isEmpty) {
            var fds = [pollfd(fd: signalPipe[0], events: Int16(POLLIN), revents: 0)]
            for stream in open { fds.append(pollfd(fd: stream.fd, events: Int16(POLLIN), revents: 0)) }
            if stdinOpen { fds.append(pollfd(fd: 0, events: Int16(POLLIN), revents: 0)) }
            if let watch { fds.append(pollfd(fd: watch.wakeFD, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), exited ? 50 : 100)
            if ready < 0 && errno != EINTR { break }

            // Watch: apply a verified change, or escalate a stop that timed out.
            if let watch, !exited {
                if let last = fds.last, last.fd == watch.wakeFD, last.revents != 0 {
                    watch.drainWake()
                    // During a restart, a newer change is picked up by the next start anyway.
                    switch restart ? nil : watch.takeChange() {
                    case let .signal(number)?:
                        if mask {
                            // The files now hold new values: mask them too (and still the old ones).
                            writeAll(1, outMasker.finish())
                            writeAll(2, errMasker.finish())
                            outMasker = Masker(values: maskValues + watch.maskValues, minimumLength: maskMinimumLength)
                            errMasker = outMasker
                        }
                        kill(pid, number)
                    case .restart?:
                        restart = true
                        kill(pid, SIGTERM)
                        killAt = WatchHook.nowMillis() + Int64(watch.stopTimeout * 1000)
                    case nil: break
                    }
                }
                if let deadline = killAt, WatchHook.nowMillis() >= deadline {
                    kill(pid, SIGKILL)
                    killAt = nil
                }
            }

            // Signals: forward what the child did not already get.
            if fds[0].revents & Int16(POLLIN) != 0 {
                var message = [UInt8](repeating: 0, count: 2)
                while read(signalPipe[0], &message, 2) == 2 {
                    let signal = Int32(message[0]), sentByProcess = message[1] == 1
                    if usePTY && signal == SIGWINCH { _ = seclab_copy_winsize(1, master); continue }
                    // A terminal-generated signal already reached the child when it shares our
                    // process group (pipe and plain modes): forwarding it would double it.
                    if sentByProcess || usePTY { kill(pid, signal) }
                    // Someone asked us to stop while a watch restart was under way: stop, do not restart.
                    if restart, sentByProcess, [SIGINT, SIGTERM, SIGQUIT].contains(signal) { restart = false; killAt = nil }
                }
            }
            var closed = [Int32]()
            for (offset, stream) in open.enumerated() {
                let revents = fds[offset + 1].revents
                guard revents != 0 else { continue }
                let count = read(stream.fd, &buffer, buffer.count)
                if count > 0 {
                    let chunk = Array(buffer[0..<count])
                    let masked = stream.isErr ? errMasker.feed(chunk) : outMasker.feed(chunk)
                    writeAll(stream.target, masked)
                } else if count == 0 || (count < 0 && errno != EINTR && errno != EAGAIN) {
                    closed.append(stream.fd)
                }
            }
            if stdinOpen, let last = fds.last(where: { $0.fd == 0 }), last.revents != 0 {
                let count = read(0, &buffer, buffer.count)
                if count > 0 { writeAll(master, Array(buffer[0..<count])) } else { stdinOpen = false }
            }
            for fd in closed {
                if let index = open.firstIndex(where: { $0.fd == fd }) {
                    let stream = open.remove(at: index)
                    writeAll(stream.target, stream.isErr ? errMasker.finish() : outMasker.finish())
                    close(fd)
                }
            }
            if !exited {
                // As PID 1 (a container's entrypoint) every orphan of the namespace becomes our
                // child and must be reaped, as tini does; otherwise only the command is waited for.
                let reapAll = getpid() == 1
                while true {
                    var waited: Int32 = 0
                    let result = waitpid(reapAll ? -1 : pid, &waited, WNOHANG)
                    guard result > 0 else { break }
                    guard result == pid else { continue }  // an adopted orphan, now reaped
                    status = waited
                    exited = true
                    // A grandchild may keep the pipe open; drain what is there, then stop.
                    if !usePTY { drain(&open, &outMasker, &errMasker, &buffer) }
                    break
                }
            } else if !open.isEmpty {
                drain(&open, &outMasker, &errMasker, &buffer)
            }
        }
        writeAll(1, outMasker.finish())
        writeAll(2, errMasker.finish())
        if master >= 0 { close(master) }
        close(signalPipe[0]); close(signalPipe[1])
        return (Self.exitCode(status), restart)
    }

    /// Read what is immediately available from every stream, then close them.
    private func drain(_ open: inout [(fd: Int32, target: Int32, isErr: Bool)], _ outMasker: inout Masker,
                       _ errMasker: inout Masker, _ buffer: inout [UInt8]) {
        for stream in open {
            _ = fcntl(stream.fd, F_SETFL, O_NONBLOCK)
            while true {
                let count = read(stream.fd, &buffer, buffer.count)
                guard count > 0 else { break }
                let chunk = Array(buffer[0..<count])
                writeAll(stream.target, stream.isErr ? errMasker.feed(chunk) : outMasker.feed(chunk))
            }
            writeAll(stream.target, stream.isErr ? errMasker.finish() : outMasker.finish())
            close(stream.fd)
        }
        open.removeAll()
    }

    /// The wait status as a shell would report it: the exit code, or 128+N for signal N.
    static func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7F
        if signal == 0 { return (status >> 8) & 0xFF }
        return 128 + signal
    }
}

/// Write every byte, retrying on short writes and EINTR.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written < 0 {
            if errno == EINTR { continue }
            return
        }
        offset += written
    }
}

