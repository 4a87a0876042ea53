public import SeclabPrimitives

extension HPKE {
    /// DHKEM(X25519, HKDF-SHA256), KEM id 0x0020 (RFC 9180 §4.1, §7.1).
    ///
    /// Test path only: the application uses the single-shot API of `HPKE`, which always
    /// draws a fresh ephemeral key. Here the ephemeral key is an argument, so that the
    /// RFC 9180 vectors can be reproduced.
    ///
    /// Every DH goes through `X25519PrivateKey.sharedSecret(with:)`, which throws
    /// `CryptoError.zeroSharedSecret` for an all-zero output; that error propagates unchanged.
    /// Why: RFC 9180 §7.1.4 and spec §1 require both sides to abort on an all-zero DH result
    /// (a low-order `enc`, recipient or sender key), and never to derive keys from it.
    @_spi(SeclabTesting)
    public enum KEM {
        /// `DeriveKeyPair(ikm)` for X25519 (RFC 9180 §7.1.3): `sk = LabeledExpand(LabeledExtract("",
        /// "dkp_prk", ikm), "sk", "", Nsk)`. The private key is returned unclamped, as in the RFC
        /// vectors; libsodium clamps it on use.
        public static func deriveKeyPair(ikm: SecretBytes) throws(CryptoError) -> X25519PrivateKey {
            // Why a length floor: RFC 9180 §4 and §7.1.3 ask for ikm with at least Nsk bytes of
            // entropy; a shorter ikm cannot carry that, so it is refused outright.
            guard ikm.count >= Suite.privateKeyCount else {
                throw .invalidInput("HPKE DeriveKeyPair: ikm of \(ikm.count) bytes is shorter than Nsk = \(Suite.privateKeyCount)")
            }
            let prk = LabeledKDF.kem.extract(salt: nil, label: HPKELabel.dkpPRK, ikm: [ikm])
            let sk = try LabeledKDF.kem.expand(prk: prk, label: HPKELabel.sk, info: [], length: Suite.privateKeyCount)
            return try X25519PrivateKey(sk)
        }

        /// `Encap(pkR)` (RFC 9180 §4.1) with the given ephemeral key `skE`.
        /// Returns the KEM shared secret and `enc = SerializePublicKey(pkE)`.
        public static func encap(recipient: X25519PublicKey,
                                 ephemeral: X25519PrivateKey) throws(CryptoError) -> (sharedSecret: SecretBytes, enc: [UInt8]) {
            let dh = try ephemeral.sharedSecret(with: recipient)
            let enc = ephemeral.publicKey.bytes
            let kemContext = enc + recipient.bytes
            return (try extractAndExpand(dh: [dh], kemContext: kemContext), enc)
        }

        /// `Decap(enc, skR)` (RFC 9180 §4.1).
        public static func decap(enc: [UInt8], recipient: X25519PrivateKey) throws(CryptoError) -> SecretBytes {
            let ephemeral = try deserialize(enc)
            let dh = try recipient.sharedSecret(with: ephemeral)
            let kemContext = enc + recipient.publicKey.bytes
            return try extractAndExpand(dh: [dh], kemContext: kemContext)
        }

        /// `AuthEncap(pkR, skS)` (RFC 9180 §4.1) with the given ephemeral key `skE`:
        /// `dh = DH(skE, pkR) ‖ DH(skS, pkR)`, `kem_context = enc ‖ pkRm ‖ pkSm`.
        public static func authEncap(recipient: X25519PublicKey, sender: X25519PrivateKey,
                                     ephemeral: X25519PrivateKey) throws(CryptoError) -> (sharedSecret: SecretBytes, enc: [UInt8]) {
            let dhEphemeral = try ephemeral.sharedSecret(with: recipient)
            let dhStatic = try sender.sharedSecret(with: recipient)
            let enc = ephemeral.publicKey.bytes
            let kemContext = enc + recipient.bytes + sender.publicKey.bytes
            return (try extractAndExpand(dh: [dhEphemeral, dhStatic], kemContext: kemContext), enc)
        }

        /// `AuthDecap(enc, skR, pkS)` (RFC 9180 §4.1):
        /// `dh = DH(skR, pkE) ‖ DH(skR, pkS)`, `kem_context = enc ‖ pkRm ‖ pkSm`.
        ///
        /// Why this authenticates the sender: the second DH needs either `skS` or `skR`, so a
        /// shared secret that opens the AEAD proves the sender held `skS` (spec §1, §6.1).
        public static func authDecap(enc: [UInt8], recipient: X25519PrivateKey,
                                     sender: X25519PublicKey) throws(CryptoError) -> SecretBytes {
            let ephemeral = try deserialize(enc)
            let dhEphemeral = try recipient.sharedSecret(with: ephemeral)
            let dhStatic = try recipient.sharedSecret(with: sender)
            let kemContext = enc + recipient.publicKey.bytes + sender.bytes
            return try extractAndExpand(dh: [dhEphemeral, dhStatic], kemContext: kemContext)
        }

        /// `DeserializePublicKey(enc)`: exactly Nenc = 32 bytes (RFC 9180 §7.1.1).
        /// Any 32-byte string is a valid X25519 input; low-order points are caught by the DH.
        static func deserialize(_ enc: [UInt8]) throws(CryptoError) -> X25519PublicKey {
            guard enc.count == Suite.encCount else {
                throw .invalidLength(what: "HPKE enc", expected: Suite.encCount, actual: enc.count)
            }
            return try X25519PublicKey(enc)
        }

        /// `ExtractAndExpand(dh, kem_context)` (RFC 9180 §4.1); `dh` is the concatenation of
        /// the parts, fed to HMAC without being copied out of their protected buffers.
        static func extractAndExpand(dh: [SecretBytes], kemContext: [UInt8]) throws(CryptoError) -> SecretBytes {
            let prk = LabeledKDF.kem.extract(salt: nil, label: HPKELabel.eaePRK, ikm: dh)
            return try LabeledKDF.kem.expand(prk: prk, label: HPKELabel.sharedSecret, info: kemContext,
                                             length: Suite.sharedSecretCount)
        }
    }
}
