import Foundation
import SeclabTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// "`HTTPS_PROXY`/`NO_PROXY` honoured". A real TLS server (a second `seclab-server`
/// on the fixture's database) reached through a real CONNECT proxy in this process: the proxy
/// must see the tunnel, `NO_PROXY` must bypass it, and a dead proxy must stop the run (no
/// silent fallback to a direct connection).
@Suite("seclab-run through an HTTPS proxy", .serialized)
struct ProxyTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"))) func honoursHTTPSProxyAndNoProxy() throws {
        let fixture = try RunFixture.get()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-proxy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let cert = directory.appendingPathComponent("cert.pem").path, key = directory.appendingPathComponent("key.pem").path
        let made = try runProcess(URL(fileURLWithPath: "/usr/bin/openssl"),
                                  arguments: ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                              "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                                              "-addext", "subjectAltName=IP:127.0.0.1"],
                                  environment: ["PATH": "/usr/bin:/bin"])
        try #require(made.status == 0, "openssl: \(made.stderr)")
        let tls = try ServerProcess(extraArguments: ["--tls-cert", cert, "--tls-key", key], sharing: fixture.server.databasePath)
        defer { tls.stop() }
        try #require(tls.baseURL.hasPrefix("https://"))
        let port = tls.baseURL.split(separator: ":").last.map(String.init) ?? ""
        let proxy = try ConnectProxy()
        defer { proxy.stop() }
        let command = ["--", "/bin/sh", "-c", "printf %s \"$API_TOKEN\""]
        let base = ["SECLAB_SERVER": tls.baseURL, "SECLAB_CA_FILE": cert]

        // Through the proxy: one CONNECT tunnel to the server, the secret delivered.
        let proxied = try fixture.run(command, environment: base.merging(["HTTPS_PROXY": proxy.url]) { $1 })
        #expect(proxied.status == 0, "\(proxied.stderr)")
        #expect(proxied.stdout == RunFixture.secrets["API_TOKEN"])
        #expect(proxy.tunnels() == ["127.0.0.1:\(port)"])

        // NO_PROXY names the host: a direct connection, the proxy sees nothing more.
        let direct = try fixture.run(command, environment: base.merging(["HTTPS_PROXY": proxy.url, "NO_PROXY": "127.0.0.1"]) { $1 })
        #expect(direct.status == 0, "\(direct.stderr)")
        #expect(direct.stdout == RunFixture.secrets["API_TOKEN"])
        #expect(proxy.tunnels().count == 1)

        // A proxy that is down: the documented "unreachable" code, nothing run, no direct fallback.
        proxy.stop()
        let down = try fixture.run(["--timeout", "2"] + command, environment: base.merging(["HTTPS_PROXY": proxy.url]) { $1 })
        #expect(down.status == 124, "\(down.stderr)")
        #expect(down.stdout.isEmpty)
        #expect(down.stderr.contains("seclab-run: error:"))
    }
}

/// A minimal HTTP CONNECT proxy on 127.0.0.1 (RFC 9110 §9.3.6): records each tunnel's target,
/// answers 200, then relays bytes both ways until either side closes.
final class ConnectProxy: @unchecked Sendable {
    private let listener: Int32
    let port: Int
    private let lock = NSLock()
    private var targets: [String] = []
    private var stopped = false

    var url: String { "http://127.0.0.1:\(port)" }

    init() throws {
        guard let (fd, port) = LoopbackSocket.listen(backlog: 16) else { throw TestSupportError("bind/listen: \(errno)") }
        listener = fd
        self.port = port
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// The `host:port` of every tunnel asked for so far.
    func tunnels() -> [String] { lock.withLock { targets } }

    /// Stop accepting (the port then refuses connections).
    func stop() {
        let first = lock.withLock { () -> Bool in defer { stopped = true }; return !stopped }
        if first { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            Thread.detachNewThread { [self] in serve(client) }
        }
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var head = [UInt8]()
        var byte: UInt8 = 0
        while !head.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)), head.count < 8192 {
            guard read(client, &byte, 1) == 1 else { return }
            head.append(byte)
        }
        let line = String(decoding: head.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self).split(separator: " ")
        guard line.count == 3, line[0] == "CONNECT", let portText = line[1].split(separator: ":").last, let target = Int(portText) else {
            LoopbackSocket.writeAll(client, Array("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n".utf8))
            return
        }
        lock.withLock { targets.append(String(line[1])) }
        guard let upstream = LoopbackSocket.connect(port: target, timeout: 60) else { return }
        defer { close(upstream) }
        guard LoopbackSocket.writeAll(client, Array("HTTP/1.1 200 Connection established\r\n\r\n".utf8)) else { return }
        var fds = [pollfd(fd: client, events: Int16(POLLIN), revents: 0), pollfd(fd: upstream, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while poll(&fds, 2, 30_000) > 0 {
            for (index, entry) in fds.enumerated() where entry.revents != 0 {
                let count = read(entry.fd, &buffer, buffer.count)
                guard count > 0, LoopbackSocket.writeAll(fds[1 - index].fd, Array(buffer[0..<count])) else { return }
            }
        }
    }
}
