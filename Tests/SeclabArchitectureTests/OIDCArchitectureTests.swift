import Testing

/// JWT verification and swift-crypto are server-side only. seclab-run forwards a token
/// string and must stay lean (libcurl, libsodium, FoundationEssentials); the owner's CLI sends a
/// policy, which is plain data.
@Suite struct OIDCArchitectureTests {
    @Test func onlyTheServerSideLinksJWTAndSwiftCrypto() throws {
        let graph = try ArchitectureTests.targetGraph()
        #expect(graph["SeclabOIDC"] != nil, "the manifest could not be read")
        let serverOnly: Set<String> = ["SeclabOIDC", "JWTKit", "Crypto", "CryptoExtras", "AsyncHTTPClient"]
        for client in ["seclab-run", "SeclabRun", "SeclabMachine", "seclab", "SeclabCLI", "SeclabOwner", "SeclabClient", "SeclabHTTP"] {
            let reached = ArchitectureTests.closure(of: client, in: graph).intersection(serverOnly)
            #expect(reached.isEmpty, "\(client) depends on \(reached.sorted())")
        }
        // And SeclabOIDC itself never reaches the key hierarchy (it runs inside the server).
        let keys = ArchitectureTests.closure(of: "SeclabOIDC", in: graph).intersection(["SeclabKeys", "SeclabHPKE", "SeclabPassphrase"])
        #expect(keys.isEmpty)
    }
}
