public import SeclabFormat
@_spi(SeclabTesting) import SeclabHPKE
@_spi(SeclabTesting) public import SeclabPrimitives

/// Owner and share slots (spec §6.1): the VK wrapped with HPKE mode_auth to the recipient's
/// account public key, from the granting account's private key.
///
/// Why auth mode: a wrap opens only with the public key of the account that made it, so a
/// server cannot plant a vault key of its own choosing in anyone's vault list.
public enum PublicKeySlot {
    /// `wrapped_vk = HPKE.AuthSeal(pkR, skS, info = "seclab/v1/vault-key", aad = account_id ‖ vault_id ‖ slot_id, VK)`.
    public static func wrap(_ vaultKey: VaultKey, to recipient: X25519PublicKey, from sender: X25519PrivateKey,
                            in context: VaultContext, slotID: SeclabID) throws(KeysError) -> HPKEWrap {
        do {
            let sealed = try HPKE.sealAuth(vaultKey.secretBytes, recipient: recipient, sender: sender,
                                           info: Labels.bytes(Labels.vaultKey), aad: aad(context, slotID))
            return try HPKEWrap(enc: sealed.enc, ciphertext: sealed.ciphertext)
        } catch let error as CryptoError {
            throw KeysError.crypto("wrapping the vault key failed: \(error)")
        } catch {
            throw KeysError.crypto("wrapping the vault key failed: \(error)")
        }
    }

    /// Test path: a caller-chosen ephemeral key.
    @_spi(SeclabTesting)
    public static func wrap(_ vaultKey: VaultKey, to recipient: X25519PublicKey, from sender: X25519PrivateKey,
                            in context: VaultContext, slotID: SeclabID, ephemeral: X25519PrivateKey) throws -> HPKEWrap {
        let sealed = try HPKE.sealAuth(vaultKey.secretBytes, recipient: recipient, sender: sender,
                                       info: Labels.bytes(Labels.vaultKey), aad: aad(context, slotID), ephemeral: ephemeral)
        return try HPKEWrap(enc: sealed.enc, ciphertext: sealed.ciphertext)
    }

    /// Open a slot with the recipient's private key and the **granting** account's public key.
    /// Fails if anyone other than that account sealed it.
    public static func unwrap(_ wrap: HPKEWrap, recipient: X25519PrivateKey, sender: X25519PublicKey,
                              in context: VaultContext, slotID: SeclabID) throws(KeysError) -> VaultKey {
        do {
            let vk = try HPKE.openAuth(enc: wrap.enc, ciphertext: wrap.ciphertext, recipient: recipient, sender: sender,
                                       info: Labels.bytes(Labels.vaultKey), aad: aad(context, slotID))
            return try VaultKey(vk)
        } catch let error as CryptoError {
            throw KeysError.from(error, what: "the vault key slot")
        } catch let error as KeysError {
            throw error
        } catch {
            throw KeysError.crypto("\(error)")
        }
    }

    /// `account_id ‖ vault_id ‖ slot_id` (spec §6.1; the label is the HPKE info).
    static func aad(_ context: VaultContext, _ slotID: SeclabID) -> [UInt8] {
        concat(context.ownerAccountID.bytes, context.vaultID.bytes, slotID.bytes)
    }
}
