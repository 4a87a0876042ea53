#!/usr/bin/env python3
"""Regenerate Fuzz/corpus/<target>/ from the spec's vectors (seclab-v1.json, SRP KATs).

The seed corpus is committed; this script documents where every seed came from and
rebuilds it after a vector change. Seeds are valid values and near misses (one defect
each), kept small: libFuzzer mutates them, it does not need many.
Usage: Fuzz/make-corpus.py   (from anywhere; rewrites its own seeds in Fuzz/corpus/ and
leaves other files there alone: inputs the fuzzer found and that were kept as seeds)
"""
import base64
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "Fuzz" / "corpus"
VECTORS = json.loads((ROOT / "Tests/SeclabVectorTests/vectors/seclab/seclab-v1.json").read_text())
SRP_KAT = json.loads((ROOT / "Tests/SeclabVectorTests/vectors/srp/srp6a_kat.json").read_text())


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def write(target: str, name: str, data) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data.encode() if isinstance(data, str) else data)


def vec(section: str, index: int, key: str) -> str:
    return VECTORS[section][index][key]


def encodings() -> None:
    pk = vec("account_key", 0, "public_key_text")
    write("encodings", "b64u-public-key", pk)
    write("encodings", "b64u-padded", pk + "=")
    write("encodings", "b64u-noncanonical-tail", pk[:-1] + "l")
    write("encodings", "b64u-std-alphabet", pk.replace("-", "+").replace("_", "/"))
    write("encodings", "b64u-len-1-mod-4", "AAAAA")
    write("encodings", "b64u-two-bytes", "AAE")
    sk_body = vec("secret_key", 0, "sk_text")[4:].replace("-", "")
    write("encodings", "b32-secret-key-body", sk_body)
    write("encodings", "b32-lowercase", sk_body.lower())
    write("encodings", "b32-len-3-mod-8", "ABC")
    write("encodings", "hex-sk", vec("secret_key", 0, "sk"))
    write("encodings", "hex-upper", vec("secret_key", 1, "sk").upper())
    write("encodings", "hex-odd", "abc")


def format_() -> None:
    write("format", "id-account", vec("two_skd", 0, "account_id_text"))
    write("format", "id-uppercase", vec("two_skd", 0, "account_id_text").upper())
    write("format", "id-no-hyphens", vec("two_skd", 0, "account_id_text").replace("-", ""))
    write("format", "xc1-enc-private-key", vec("account_key", 0, "enc_private_key_text"))
    write("format", "xc1-wrapped-index-key", vec("vault", 0, "wrapped_index_key_text"))
    write("format", "xc1-item-value", VECTORS["items"][0]["enc_value_text"])
    write("format", "xc1-two-dots", vec("vault", 0, "enc_vault_name_text") + ".AA")
    for entry in VECTORS["must_reject"]:
        if "enc_value_text" in entry:
            write("format", "reject-" + entry["what"].split()[-1].replace("xc2", "prefix"), entry["enc_value_text"])
    write("format", "hp1-owner-slot", vec("pk_slot", 0, "wrapped_vk_text"))
    write("format", "hp1-escrow", vec("machine_slot", 0, "unwrap_key_escrow_text"))
    write("format", "hp1-as-xc1", "xc1." + vec("pk_slot", 1, "wrapped_vk_text")[4:])
    write("format", "key-ref", VECTORS["items"][1]["key_ref_text"])
    write("format", "session-token", vec("machine_slot", 1, "auth_secret_text"))
    write("format", "email", "owner@example.com")
    write("format", "email-two-at", "a@b@example.com")
    write("format", "kdf-profile", "p1")


def key_text() -> None:
    for i, entry in enumerate(VECTORS["secret_key"]):
        write("key-text", f"sk-{i}", entry["sk_text"])
    write("key-text", "sk-typed", " " + vec("secret_key", 2, "sk_text").lower().replace("-", " ") + "\n")
    for i, entry in enumerate(VECTORS["machine_slot"]):
        write("key-text", f"credential-{i}", entry["credential_text"])
    for i, entry in enumerate(VECTORS["must_reject"]):
        for key in ("credential_text", "sk_text"):
            if key in entry:
                write("key-text", f"reject-{i}", entry[key])
    for i, entry in enumerate(VECTORS["items"][:3]):
        write("key-text", f"name-{i}", entry["name_text"])
    write("key-text", "name-nfd", "cafe\u0301_token")
    write("key-text", "name-equals", "A=B")
    write("key-text", "name-nul", b"A\x00B")


def srp_public() -> None:
    for i, entry in enumerate(VECTORS["srp"]):
        write("srp-public", f"A-{i}", bytes.fromhex(entry["A"]))
        write("srp-public", f"B-{i}", bytes.fromhex(entry["B"]))
    n = int(SRP_KAT["rfc5054_group_4096"]["N"], 16)
    write("srp-public", "N", n.to_bytes(512, "big"))
    write("srp-public", "N-minus-1", (n - 1).to_bytes(512, "big"))
    write("srp-public", "one", (1).to_bytes(512, "big"))
    write("srp-public", "short", bytes.fromhex(VECTORS["srp"][0]["A"])[:100])


def api_requests() -> None:
    skd, key, vault = VECTORS["two_skd"][0], VECTORS["account_key"][0], VECTORS["vault"][0]
    slot, machine, item = VECTORS["pk_slot"][0], VECTORS["machine_slot"][0], VECTORS["items"][0]
    verifier = b64u(bytes.fromhex(skd["srp_verifier"]))
    bodies = {
        "register-account": {
            "account_id": skd["account_id_text"], "email": "owner@example.com", "kdf_profile": "p1",
            "salt_auk": b64u(bytes.fromhex(skd["salt_auk"])), "salt_srp": b64u(bytes.fromhex(skd["salt_srp"])),
            "srp_verifier": verifier, "public_key": key["public_key_text"], "enc_private_key": key["enc_private_key_text"],
        },
        "change-passphrase": {
            "kdf_profile": "p1", "salt_auk": b64u(bytes.fromhex(skd["salt_auk"])),
            "salt_srp": b64u(bytes.fromhex(skd["salt_srp"])), "srp_verifier": verifier,
            "enc_private_key": key["enc_private_key_text"],
        },
        "srp-start": {"email": "owner@example.com", "client_public": b64u(bytes.fromhex(VECTORS["srp"][0]["A"]))},
        "srp-finish": {"login_id": skd["account_id_text"], "client_proof": b64u(bytes.fromhex(VECTORS["srp"][0]["M1"]))},
        "create-vault": {
            "vault_id": vault["vault_id_text"], "enc_name": vault["enc_vault_name_text"],
            "wrapped_index_key": vault["wrapped_index_key_text"],
            "owner_slot": {"slot_id": slot["slot_id_text"], "wrapped_vk": slot["wrapped_vk_text"]},
        },
        "create-share": {"slot_id": slot["slot_id_text"], "account_id": slot["account_id_text"], "wrapped_vk": slot["wrapped_vk_text"]},
        "rekey": {
            "enc_name": vault["enc_vault_name_text"], "wrapped_index_key": vault["wrapped_index_key_text"],
            "slots": [{"slot_id": slot["slot_id_text"], "wrapped_vk": slot["wrapped_vk_text"]},
                      {"slot_id": machine["slot_id_text"], "wrapped_vk": machine["wrapped_vk_text"],
                       "unwrap_key_escrow": machine["unwrap_key_escrow_text"], "enc_label": vault["enc_vault_name_text"]}],
            "items": [{"key_ref": item["key_ref_text"], "enc_name": item["enc_name_text"], "enc_value": item["enc_value_text"]}],
        },
        "put-item": {"enc_name": item["enc_name_text"], "enc_value": item["enc_value_text"]},
        "batch-get": {"key_refs": [e["key_ref_text"] for e in VECTORS["items"]]},
        "create-machine": {
            "slot_id": machine["slot_id_text"], "enc_label": vault["enc_vault_name_text"], "wrapped_vk": machine["wrapped_vk_text"],
            "unwrap_key_escrow": machine["unwrap_key_escrow_text"], "auth_secret": machine["auth_secret_text"],
        },
        "machine-pull": {"key_refs": [item["key_ref_text"]]},
    }
    for name, body in bodies.items():
        write("api-requests", name, json.dumps(body, separators=(",", ":")))
    # Near misses: a missing field, a wrong type, a null, a duplicate in a list, not JSON.
    write("api-requests", "near-missing-field", json.dumps({"enc_name": item["enc_name_text"]}))
    write("api-requests", "near-wrong-type", json.dumps({"key_refs": "x"}))
    write("api-requests", "near-null", json.dumps({"key_refs": None}))
    write("api-requests", "near-duplicate-slot", json.dumps({**bodies["rekey"], "slots": [bodies["rekey"]["slots"][0]] * 2}))
    write("api-requests", "near-empty-pull", "{}")
    write("api-requests", "near-not-json", "{\"enc_name\":")


def pull_response() -> None:
    machine, items = VECTORS["machine_slot"][0], VECTORS["items"][:2]
    body = {
        "account_id": machine["account_id_text"], "vault_id": machine["vault_id_text"], "slot_id": machine["slot_id_text"],
        "wrapped_vk": machine["wrapped_vk_text"], "wrapped_index_key": VECTORS["vault"][0]["wrapped_index_key_text"],
        "items": [{"key_ref": e["key_ref_text"], "enc_name": e["enc_name_text"], "enc_value": e["enc_value_text"],
                   "updated_at": "2026-11-23T10:00:00Z", "deleted": False} for e in items],
    }
    write("pull-response", "two-items", json.dumps(body, sort_keys=True, separators=(",", ":")))
    write("pull-response", "two-items-spaced", json.dumps(body, indent=1))
    write("pull-response", "no-items", json.dumps({**body, "items": []}))
    write("pull-response", "escapes", json.dumps({**body, "items": [], "note": "caf\u00e9 \U0001F511 \\ \" \t"}, ensure_ascii=True))
    write("pull-response", "extra-number", json.dumps({**body, "items": [], "n": -12.5e3}))
    write("pull-response", "duplicate-key", '{"items":[],"items":[]}')
    write("pull-response", "deep", "[" * 70 + "]" * 70)
    write("pull-response", "lone-surrogate", '{"items":[],"x":"\\ud800"}')


def run_options() -> None:
    def argv(flags: int, *args: str) -> bytes:
        return bytes([flags]) + b"\x00".join(a.encode() for a in args)
    write("run-options", "exec", argv(1, "--", "./deploy.sh", "--flag"))
    write("run-options", "mask-only", argv(1, "--only", "A,B", "--require=DATABASE_URL", "--mask", "--mask-min-length", "8", "--", "sh", "-c", "env"))
    write("run-options", "files", argv(0, "--server=https://seclab.example.com", "--file", "TLS_KEY=TLS_KEY_PATH", "--files-dir", "/dev/shm", "true"))
    write("run-options", "dry-run", argv(3, "--dry-run", "--allow-name", "PATH,LD_PRELOAD", "--keep-existing", "--no-github-mask"))
    write("run-options", "timeouts", argv(5, "--timeout", "2.5", "--connect-timeout=1", "--cacert", "/etc/ca.pem", "--allow-insecure-http", "--", "x"))
    write("run-options", "bad-value", argv(1, "--mask-min-length", "0", "--only", "A,,B", "--file", "=X"))
    write("run-options", "help", argv(0, "--help"))


def masker() -> None:
    # Layout (see MaskerTargets): min length, value count, length-prefixed values, then
    # length-prefixed output chunks; every byte is read modulo a four-letter alphabet.
    write("masker", "split-secret", bytes([2, 1, 6, 0, 1, 0, 1, 0, 1, 4, 3, 3, 0, 1, 5, 1, 0, 1, 0, 3]))
    write("masker", "multi-line", bytes([0, 0, 9, 0, 0, 1, 2, 3, 0, 1, 1, 0, 8, 0, 0, 1, 3, 2, 0, 1, 1]))
    write("masker", "nested", bytes([0, 2, 4, 0, 0, 0, 0, 2, 0, 0, 6, 1, 1, 0, 0, 0, 0, 2, 0, 0, 1, 1]))


def dotenv() -> None:
    write("dotenv", "documented", (
        "# comment\nexport A=plain value   # comment\nB=\"quoted \\\"inner\\\" \\n newline\"\n"
        "C='single $HOME \\n'\nD=\"multi\nline\"\nE=\nF=x#not-a-comment\nA=second\n"))
    write("dotenv", "crlf", "A=1\r\nB=\"two\r\nlines\"\r\n")
    write("dotenv", "pem", 'TLS_KEY="-----BEGIN KEY-----\\nMIIB\\n-----END KEY-----\\n"\n')
    write("dotenv", "unicode", "CAF\u00c9=\u00e9t\u00e9\nNAME=\"e\u0301\"\n")
    write("dotenv", "errors", "A=\"open\nno equals sign\n")


def main() -> None:
    for make in (encodings, format_, key_text, srp_public, api_requests, pull_response, run_options, masker, dotenv):
        make()
    for folder in sorted(CORPUS.iterdir()):
        files = list(folder.iterdir())
        print(f"{folder.name}: {len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes")


if __name__ == "__main__":
    main()
