import CCurlShim
import Testing

/// The libcurl shim links and its fixed-type setters reach libcurl (the HTTP client that
/// `seclab-run` is built on is exercised end to end by the run tests).
@Suite struct CurlShimTests {
    @Test func setoptWrappersReachLibcurl() throws {
        #expect(curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK)
        let handle = try #require(curl_easy_init())
        defer { curl_easy_cleanup(handle) }
        #expect(seclab_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, 1500) == CURLE_OK)
        #expect(seclab_curl_setopt_str(handle, CURLOPT_URL, "http://127.0.0.1:9/") == CURLE_OK)
        // An option that wants a long given an out-of-range value is refused by libcurl itself.
        #expect(seclab_curl_setopt_long(handle, CURLOPT_HTTP_VERSION, 999) != CURLE_OK)
    }
}
