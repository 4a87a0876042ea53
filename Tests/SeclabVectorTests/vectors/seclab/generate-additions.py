#!/usr/bin/env python3
"""Independent generator of seclab-v1-additions.json (docs/crypto-v1.md §11).

Written from the spec text alone with Python's standard library (zlib's CRC-32, base64, hmac
and hashlib for HKDF-SHA256; XChaCha20-Poly1305 written out below from RFC 8439 and
draft-irtf-cfrg-xchacha), not from the Swift code, so a mistake in one is caught by the other. Run it to regenerate (A1 credentials, A2 fallback records):
    python3 generate-additions.py > seclab-v1-additions.json
Inputs are taken from the machine_slot vectors of seclab-v1.json (same ids and MK), so the v1
and v2 texts of one credential can be compared side by side.
"""
import base64, hashlib, hmac, json, struct, uuid, zlib

def b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")

def v2_text(slot: str, vault: str, account: str, mk: bytes) -> str:
    # A1: slmk2_ || b64u(slot_id(16) || vault_id(16) || account_id(16) || MK(32) || CRC32 BE(4))
    body = uuid.UUID(slot).bytes + uuid.UUID(vault).bytes + uuid.UUID(account).bytes + mk
    return "slmk2_" + b64u(body + zlib.crc32(body).to_bytes(4, "big"))

# --- A2: HKDF-SHA256 (RFC 5869) and XChaCha20-Poly1305 (RFC 8439 + HChaCha20) ----------------

def hkdf(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]

def _rotl(v: int, c: int) -> int:
    return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))

def _rounds(state: list) -> list:
    x = list(state)
    def qr(a, b, c, d):
        x[a] = (x[a] + x[b]) & 0xFFFFFFFF; x[d] = _rotl(x[d] ^ x[a], 16)
        x[c] = (x[c] + x[d]) & 0xFFFFFFFF; x[b] = _rotl(x[b] ^ x[c], 12)
        x[a] = (x[a] + x[b]) & 0xFFFFFFFF; x[d] = _rotl(x[d] ^ x[a], 8)
        x[c] = (x[c] + x[d]) & 0xFFFFFFFF; x[b] = _rotl(x[b] ^ x[c], 7)
    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    return x

_SIGMA = list(struct.unpack("<4I", b"expand 32-byte k"))

def _block(key: bytes, counter: int, nonce12: bytes) -> bytes:
    state = _SIGMA + list(struct.unpack("<8I", key)) + [counter] + list(struct.unpack("<3I", nonce12))
    x = _rounds(state)
    return struct.pack("<16I", *[(a + b) & 0xFFFFFFFF for a, b in zip(x, state)])

def hchacha20(key: bytes, nonce16: bytes) -> bytes:
    x = _rounds(_SIGMA + list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16)))
    return struct.pack("<8I", *(x[0:4] + x[12:16]))

def _chacha20(key: bytes, counter: int, nonce12: bytes, data: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(data), 64):
        stream = _block(key, counter + i // 64, nonce12)
        out += bytes(a ^ b for a, b in zip(data[i:i + 64], stream))
    return bytes(out)

def _poly1305(key: bytes, msg: bytes) -> bytes:
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(key[16:], "little")
    acc, p = 0, (1 << 130) - 5
    for i in range(0, len(msg), 16):
        acc = (acc + int.from_bytes(msg[i:i + 16] + b"\x01", "little")) * r % p
    return ((acc + s) % (1 << 128)).to_bytes(16, "little")

def xchacha20poly1305_seal(key: bytes, nonce24: bytes, aad: bytes, plaintext: bytes) -> bytes:
    subkey = hchacha20(key, nonce24[:16])
    nonce12 = b"\x00" * 4 + nonce24[16:]
    otk = _block(subkey, 0, nonce12)[:32]
    ct = _chacha20(subkey, 1, nonce12, plaintext)
    pad = lambda b: b"\x00" * (-len(b) % 16)
    mac = aad + pad(aad) + ct + pad(ct) + struct.pack("<QQ", len(aad), len(ct))
    return ct + _poly1305(otk, mac)

FALLBACK = b"seclab/v1/fallback"

def fallback_record(slot: str, mk: bytes, nonce: bytes, pulled_at: int, body: bytes) -> bytes:
    # A2: record = slot_id || u32be(len(sealed)) || sealed; sealed = nonce || AEAD(key, nonce, aad, u64be(t) || body)
    sid = uuid.UUID(slot).bytes
    key = hkdf(mk, sid, FALLBACK, 32)
    sealed = nonce + xchacha20poly1305_seal(key, nonce, FALLBACK + sid, struct.pack(">Q", pulled_at) + body)
    return sid + struct.pack(">I", len(sealed)) + sealed

def main() -> None:
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    v1 = json.load(open(os.path.join(here, "seclab-v1.json")))
    cases = []
    for c in v1["machine_slot"]:
        mk = bytes.fromhex(c["mk"])
        cases.append({
            "slot_id_text": c["slot_id_text"], "vault_id_text": c["vault_id_text"],
            "account_id_text": c["account_id_text"], "mk": c["mk"],
            "credential_v1_text": c["credential_text"],
            "credential_text": v2_text(c["slot_id_text"], c["vault_id_text"], c["account_id_text"], mk),
        })
    good = cases[0]
    body = base64.urlsafe_b64decode(good["credential_text"][6:] + "==")
    flipped = bytearray(body); flipped[-1] ^= 1
    reject = [
        {"why": "checksum does not match", "credential_text": "slmk2_" + b64u(bytes(flipped))},
        {"why": "truncated by one byte", "credential_text": "slmk2_" + b64u(body[:-1])},
        {"why": "v2 prefix on a v1 body", "credential_text": "slmk2_" + good["credential_v1_text"][6:]},
        {"why": "v1 prefix on a v2 body", "credential_text": "slmk1_" + good["credential_text"][6:]},
        {"why": "unknown version", "credential_text": "slmk3_" + good["credential_text"][6:]},
        {"why": "padding", "credential_text": good["credential_text"] + "=="},
    ]
    # A2: the offline fallback file. The bodies are pull answers as a server sends them (any
    # bytes do: the seal does not parse them); the nonce is fixed here, random in use.
    fallback = []
    for index, c in enumerate(v1["machine_slot"]):
        mk = bytes.fromhex(c["mk"])
        body = json.dumps({"account_id": c["account_id_text"], "items": [], "revision": 7 + index,
                           "slot_id": c["slot_id_text"], "vault_id": c["vault_id_text"],
                           "wrapped_index_key": "xc1.ik", "wrapped_vk": "xc1.vk"}, separators=(",", ":"), sort_keys=True).encode()
        nonce = hashlib.sha256(b"fallback nonce %d" % index).digest()[:24]
        pulled_at = 1764892800000 + index
        sid = uuid.UUID(c["slot_id_text"]).bytes
        fallback.append({
            "slot_id_text": c["slot_id_text"], "mk": c["mk"], "nonce": nonce.hex(), "pulled_at_ms": pulled_at,
            "body": body.decode(), "key": hkdf(mk, sid, FALLBACK, 32).hex(), "aad": (FALLBACK + sid).hex(),
            "record": fallback_record(c["slot_id_text"], mk, nonce, pulled_at, body).hex(),
        })
    both = b"slfb1\n" + bytes.fromhex(fallback[0]["record"]) + bytes.fromhex(fallback[1]["record"])
    first = bytes.fromhex(fallback[0]["record"])
    flipped = bytearray(first); flipped[-1] ^= 1
    flipped_time = bytearray(first); flipped_time[20 + 24] ^= 1
    other_slot = uuid.UUID(fallback[1]["slot_id_text"]).bytes
    moved = other_slot + first[16:]
    fallback_reject = [
        {"why": "a flipped tag byte", "file": (b"slfb1\n" + bytes(flipped)).hex(), "credential_index": 0},
        {"why": "a flipped byte of the sealed time", "file": (b"slfb1\n" + bytes(flipped_time)).hex(), "credential_index": 0},
        {"why": "another credential's record under this slot id", "file": (b"slfb1\n" + uuid.UUID(fallback[0]["slot_id_text"]).bytes + bytes.fromhex(fallback[1]["record"])[16:]).hex(), "credential_index": 0},
        {"why": "this credential's record under another slot id", "file": (b"slfb1\n" + moved).hex(), "credential_index": 1},
        {"why": "no record for this slot", "file": (b"slfb1\n" + bytes.fromhex(fallback[1]["record"])).hex(), "credential_index": 0},
        {"why": "truncated", "file": (b"slfb1\n" + first[:-1]).hex(), "credential_index": 0},
        {"why": "not a fallback file", "file": (b"slfb2\n" + first).hex(), "credential_index": 0},
    ]
    print(json.dumps({
        "spec": "docs/crypto-v1.md section 11 (additions to v1)",
        "generator": "generate-additions.py (Python standard library, independent of the Swift code)",
        "machine_credential_v2": cases,
        "machine_credential_v2_must_reject": reject,
        "fallback_record": fallback,
        "fallback_file_two_credentials": both.hex(),
        "fallback_must_reject": fallback_reject,
    }, indent=2))

if __name__ == "__main__":
    main()
