/// Every domain-separation label of the spec, holding the spec's exact text.
///
/// Why named constants: a label typo silently produces keys no other implementation can
/// read; with one constant per label, the vectors of every construction pin each text.
public enum Labels {
    /// Secret Key checksum prefix: `H("seclab-sk1" ‖ SK)[0..2]` (spec §3).
    public static let secretKeyChecksum = "seclab-sk1"
    /// Secret Key text prefix (spec §3).
    public static let secretKeyTextPrefix = "SK1-"
    /// HKDF info for the AUK half derived from the Secret Key (spec §4).
    public static let auk = "auk"
    /// HKDF info for the SRP-x half derived from the Secret Key (spec §4).
    public static let srpX = "srp-x"
    /// Fingerprint hash prefix: `H("seclab-fp1" ‖ pk)` (spec §5).
    public static let fingerprint = "seclab-fp1"
    /// AAD prefix of the encrypted account private key (spec §5).
    public static let accountKey = "seclab/v1/account-key"
    /// AAD prefix of the wrapped index key (spec §6).
    public static let indexKey = "seclab/v1/index-key"
    /// AAD prefix of the encrypted vault name (spec §6).
    public static let vaultName = "seclab/v1/vault-name"
    /// HPKE info of owner and share slots (spec §6.1).
    public static let vaultKey = "seclab/v1/vault-key"
    /// AAD prefix of a machine slot's wrapped VK (spec §6.2).
    public static let machineSlot = "seclab/v1/machine-slot"
    /// HPKE info of the owner's escrow copy of a machine slot's unwrap key (spec §6.2).
    public static let machineUnwrapKey = "seclab/v1/machine-unwrap-key"
    /// HKDF info of a machine's `auth_secret` (spec §6.2).
    public static let machineAuth = "auth"
    /// HKDF info of a machine's `unwrap_key` (spec §6.2).
    public static let machineUnwrap = "unwrap"
    /// Machine credential text prefix (spec §6.2).
    public static let machineCredentialPrefix = "slmk1_"
    /// Machine credential text prefix of version 2, which binds vault and owner (spec §11 A1).
    public static let machineCredentialV2Prefix = "slmk2_"
    /// AAD prefix of an item name blob (spec §7).
    public static let itemName = "seclab/v1/item-name"
    /// AAD prefix of an item value blob (spec §7).
    public static let itemValue = "seclab/v1/item-value"
    /// AAD prefix of a machine slot's encrypted label.
    ///
    /// Not in spec v1, which is silent on how the label is encrypted (an "encrypted label" is
    /// asked for): we seal it under the VK like the vault name, bound to the slot.
    public static let machineLabel = "seclab/v1/machine-label"

    /// The UTF-8 bytes of a label.
    static func bytes(_ label: String) -> [UInt8] { Array(label.utf8) }
}
