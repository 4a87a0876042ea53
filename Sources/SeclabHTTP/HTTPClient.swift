import CCurl
import CCurlShim
#if canImport(Glibc)
import Glibc
#endif

/// How this process initialises libcurl's global state (once, before any other libcurl call).
public enum CurlGlobal {
    /// Set once, first thing in main and before any `HTTPClient`, by a program that started
    /// the initialisation itself (seclab-run starts it before main on another thread,
    /// Sources/CSeclabRunStart): waits until it is done and returns its CURLcode. Unset: the
    /// first `HTTPClient` initialises libcurl here.
    nonisolated(unsafe) public static var startedElsewhere: (@convention(c) () -> Int32)? = nil
}

/// libcurl is initialised once per process, before any thread could race it.
private let curlReady: Bool = {
    if let wait = CurlGlobal.startedElsewhere { return wait() == Int32(CURLE_OK.rawValue) }
    return curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
}()

/// Accumulates a response body and headers from libcurl's callbacks.
private final class ResponseSink {
    var body: [UInt8] = []
    var headers: [String: String] = [:]
    var limit: Int
    var overflowed = false
    init(limit: Int) { self.limit = limit }
}

private let writeBody: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, context in
    guard let data, let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    if sink.body.count + length > sink.limit {
        sink.overflowed = true
        return 0  // aborts the transfer (CURLE_WRITE_ERROR)
    }
    if sink.body.isEmpty, let declared = sink.headers["content-length"].flatMap({ Int($0) }), declared <= sink.limit {
        // One allocation for the whole body instead of a copy per doubling (multi-MB pulls).
        sink.body.reserveCapacity(declared)
    }
    data.withMemoryRebound(to: UInt8.self, capacity: length) { sink.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length)) }
    return length
}

private let writeHeader: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, context in
    guard let data, let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    let line = data.withMemoryRebound(to: UInt8.self, capacity: length) { String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self) }
    if line.hasPrefix("HTTP/") { sink.headers = [:] }  // a new response (after a redirect or 100)
    if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t\r\n")
        sink.headers[name] = value
    }
    return length
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> String {
        let scalars = Array(unicodeScalars)
        var start = 0, end = scalars.count
        while start < end, set.unicodeScalars.contains(scalars[start]) { start += 1 }
        while end > start, set.unicodeScalars.contains(scalars[end - 1]) { end -= 1 }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[start..<end])
        return String(out)
    }
}

/// A small blocking HTTP client on libcurl: one reused connection, system CAs or a CA file,
/// `HTTPS_PROXY`/`NO_PROXY` (libcurl reads them), connect and total timeouts, and retries with
/// jittered exponential backoff on connection errors, 5xx and 429 (honouring `Retry-After`).
///
/// No telemetry, no update checks: the only requests are the ones callers send.
public final class HTTPClient {
    private let handle: UnsafeMutableRawPointer
    /// The options this client was made with.
    public let options: HTTPClientOptions

    /// Make a client. Fails only if libcurl cannot be initialised.
    public init(options: HTTPClientOptions = HTTPClientOptions()) throws(HTTPError) {
        guard curlReady, let handle = curl_easy_init() else {
            throw .unreachable(url: "-", reason: "libcurl could not be initialised")
        }
        self.handle = handle
        self.options = options
    }

    deinit { curl_easy_cleanup(handle) }

    /// Send `request`, retrying within the total timeout where that is safe. Returns the last
    /// response (including 4xx/5xx ones); throws only when no response could be had.
    public func send(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        try ServerURL.check(request.url, allowInsecureHTTP: options.allowInsecureHTTP)
        let deadline = Self.now() + options.totalTimeout
        var attempt = 0
        var backoff = options.initialBackoff
        while true {
            attempt += 1
            let remaining = deadline - Self.now()
            let outcome = perform(request, timeout: max(remaining, 0.05))
            var retryAfter: Double? = nil
            switch outcome {
            case let .response(response):
                let retryable = response.status == 429 || (response.status >= 500 && request.idempotent)
                guard retryable else { return response }
                if let header = response.headers["retry-after"], let seconds = Double(header) { retryAfter = seconds }
                if attempt >= options.maxAttempts || Self.now() + (retryAfter ?? 0) >= deadline { return response }
            case let .failure(code, message):
                let nothingSent = code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY
                if Self.isTLSFailure(code) { throw .tls(url: request.url, reason: message) }
                if code == CURLE_WRITE_ERROR { throw .responseTooLarge(limit: options.maxResponseBytes) }
                if code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL { throw .invalidURL(request.url) }
                let mayRetry = nothingSent || request.idempotent
                if !mayRetry || attempt >= options.maxAttempts || Self.now() >= deadline {
                    throw .unreachable(url: request.url, reason: "\(message) (after \(attempt) attempt\(attempt == 1 ? "" : "s"))")
                }
            }
            // Full jitter: spreads retries of many parallel CI jobs instead of synchronising them.
            let wait = retryAfter ?? Double.random(in: 0...backoff)
            backoff = min(backoff * 2, options.maxBackoff)
            let sleepFor = min(wait, max(deadline - Self.now(), 0))
            if sleepFor > 0 { usleep(UInt32(sleepFor * 1_000_000)) }
            if Self.now() >= deadline {
                switch outcome {
                case let .response(response): return response
                case let .failure(_, message):
                    // Say why (the last attempt's error), not only that time ran out.
                    throw .unreachable(url: request.url, reason: "\(message) (after \(attempt) attempts in \(Int(options.totalTimeout)) s)")
                }
            }
        }
    }

    private enum Outcome {
        case response(HTTPResponse)
        case failure(CURLcode, String)
    }

    private func perform(_ request: HTTPRequest, timeout: Double) -> Outcome {
        curl_easy_reset(handle)  // keeps the connection cache: the second request reuses the connection
        let sink = ResponseSink(limit: options.maxResponseBytes)
        let context = Unmanaged.passRetained(sink)
        defer { context.release() }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }
        for (name, value) in request.headers {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        // Without a body, libcurl would wait for "Expect: 100-continue" on large POSTs.
        headerList = curl_slist_append(headerList, "Expect:")

        let body = request.body ?? []
        let code: CURLcode = body.withUnsafeBufferPointer { bodyPointer in
            errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
                _ = seclab_curl_setopt_str(handle, CURLOPT_URL, request.url)
                _ = seclab_curl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, request.method)
                _ = seclab_curl_setopt_str(handle, CURLOPT_USERAGENT, options.userAgent)
                _ = seclab_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headerList))
                _ = seclab_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorPointer.baseAddress))
                _ = seclab_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
                _ = seclab_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(min(options.connectTimeout, timeout) * 1000))
                _ = seclab_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, max(Int(timeout * 1000), 50))
                // Why: only http/https, never follow redirects (a redirect could carry the
                // Authorization header elsewhere), and always verify the peer.
                _ = seclab_curl_setopt_long(handle, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS))
                _ = seclab_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
                _ = seclab_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
                _ = seclab_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
                if let caFile = options.caFile { _ = seclab_curl_setopt_str(handle, CURLOPT_CAINFO, caFile) }
                _ = seclab_curl_setopt_long(handle, CURLOPT_ACCEPT_ENCODING, 0)
                _ = seclab_curl_setopt_write_callback(handle, writeBody)
                _ = seclab_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, context.toOpaque())
                _ = seclab_curl_setopt_header_callback(handle, writeHeader)
                _ = seclab_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, context.toOpaque())
                if request.body != nil {
                    _ = seclab_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, bodyPointer.count)
                    _ = seclab_curl_setopt_ptr(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bodyPointer.baseAddress ?? UnsafePointer(bitPattern: 1)!))
                }
                return curl_easy_perform(handle)
            }
        }
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            return .failure(sink.overflowed ? CURLE_WRITE_ERROR : code, message)
        }
        var status = 0
        _ = seclab_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return .response(HTTPResponse(status: status, headers: sink.headers, body: sink.body))
    }

    private static func isTLSFailure(_ code: CURLcode) -> Bool {
        code == CURLE_SSL_CONNECT_ERROR || code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE
            || code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_CIPHER || code == CURLE_SSL_ISSUER_ERROR
    }

    private static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
