#!/usr/bin/env python3
"""Independent generator of seclab-v1-additions.json (docs/crypto-v1.md §11).

Written from the spec text alone with Python's standard library (zlib's CRC-32, base64), not
from the Swift code, so a mistake in one is caught by the other. Run it to regenerate:
    python3 generate-additions.py > seclab-v1-additions.json
Inputs are taken from the machine_slot vectors of seclab-v1.json (same ids and MK), so the v1
and v2 texts of one credential can be compared side by side.
"""
import base64, json, uuid, zlib

def b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")

def v2_text(slot: str, vault: str, account: str, mk: bytes) -> str:
    # A1: slmk2_ || b64u(slot_id(16) || vault_id(16) || account_id(16) || MK(32) || CRC32 BE(4))
    body = uuid.UUID(slot).bytes + uuid.UUID(vault).bytes + uuid.UUID(account).bytes + mk
    return "slmk2_" + b64u(body + zlib.crc32(body).to_bytes(4, "big"))

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
    print(json.dumps({
        "spec": "docs/crypto-v1.md section 11 (additions to v1)",
        "generator": "generate-additions.py (Python standard library, independent of the Swift code)",
        "machine_credential_v2": cases,
        "machine_credential_v2_must_reject": reject,
    }, indent=2))

if __name__ == "__main__":
    main()
