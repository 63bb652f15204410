/// The `README.txt` every bundle carries: what the bundle holds, and how an auditor checks it
/// with standard tools (tar, sha256sum, jq, python3 and openssl), without remedy.
///
/// The recipe between the scissors lines is a shell script; a test runs it on a real bundle.
enum BundleReadme {
    static let scissors = "----8<----"

    static let text = #"""
    remedy audit bundle (format remedy-audit-bundle, version 1)

    This archive proves, offline, that its events are exactly those a remedy ledger committed to,
    in order, with nothing added, removed, reordered or edited: the events' RFC 9162 Merkle tree
    hashes to the root that checkpoint.txt signs (a C2SP tlog-checkpoint in a C2SP signed note,
    Ed25519). Trust comes from the verifier key you were given, never from a key in the bundle.

    Members (sorted by name; manifest.json lists each one's size and SHA-256):
      README.txt           this text
      checkpoint.txt       the signed checkpoint: origin, tree size, base64 root, signature
      checkpoints.ndjson   earlier signed checkpoints, each with a consistency proof to this one
      events.ndjson        the events' stored bytes, one canonical JSON envelope a line
      inclusion.ndjson     (a partial range only) each event's inclusion proof in the tree
      manifest.json        format, origin, range, tree, counts per event type, members
      policies/SHA.json    each autonomy policy adopted in the range, named by its SHA-256
      read-models/T.ndjson the read models' rows at the range's end, one JSON object a line

    Each event's leaf hash is SHA-256(0x00 || line without its newline); interior nodes are
    SHA-256(0x01 || left || right); the root of n leaves splits at the largest power of two
    below n (RFC 9162, section 2.1.1). With remedy: remedy verify-bundle FILE --key VKEY.

    To check it with standard tools, extract it and run this in its folder, with VKEY set to
    the verifier key (name+id+base64) you were given:

      tar xzf bundle.tar.gz -C somewhere && cd somewhere && VKEY='...' sh check.sh

    where check.sh is the text between the scissors lines:

    ----8<----
    set -eu
    # 1. Every member is what the manifest says.
    jq -r '.members[] | "\(.sha256)  \(.name)"' manifest.json | sha256sum --quiet -c -
    # 2. The events hash to the signed root (or, for a partial range, each is in the tree).
    python3 - <<'PY'
    import base64, hashlib, json, os
    leaf = lambda b: hashlib.sha256(b"\x00" + b).digest()
    node = lambda l, r: hashlib.sha256(b"\x01" + l + r).digest()
    origin, size, root = open("checkpoint.txt", "rb").read().split(b"\n")[:3]
    size, root = int(size), base64.b64decode(root)
    manifest = json.load(open("manifest.json"))
    first, last = manifest["range"]["from"], manifest["range"]["to"]
    assert manifest["origin"] == origin.decode() and manifest["tree"]["size"] == size
    leaves = []
    with open("events.ndjson", "rb") as events:
        for number, line in enumerate(events):
            assert line.endswith(b"\n") and not line.endswith(b"\r\n"), "line %d" % (number + 1)
            assert json.loads(line)["position"] == first + number, "line %d" % (number + 1)
            leaves.append(leaf(line[:-1]))
    assert len(leaves) == last - first + 1 == manifest["events"]["count"]
    if os.path.exists("inclusion.ndjson"):
        assert not (first == 1 and last == size), "the whole tree needs no inclusion proofs"
        proofs = open("inclusion.ndjson").read().splitlines()
        assert len(proofs) == len(leaves), "an inclusion proof for each event"
        for number, (line, hashed) in enumerate(zip(proofs, leaves)):
            proof = json.loads(line)
            assert proof["position"] == first + number, "proof %d" % (number + 1)
            fn, sn, r = proof["position"] - 1, size - 1, hashed
            for p in map(base64.b64decode, proof["hashes"]):
                if fn & 1 or fn == sn:
                    r = node(p, r)
                    while not fn & 1 and fn:
                        fn, sn = fn >> 1, sn >> 1
                else:
                    r = node(r, p)
                fn, sn = fn >> 1, sn >> 1
            assert sn == 0 and r == root, "event %d is not in the signed tree" % proof["position"]
    else:
        assert first == 1 and last == size
        def mth(hashes):
            if len(hashes) == 1:
                return hashes[0]
            k = 1 << ((len(hashes) - 1).bit_length() - 1)
            return node(mth(hashes[:k]), mth(hashes[k:]))
        assert mth(leaves) == root, "the events do not hash to the signed root"
    print("events: %d, tree size %d, root %s" % (len(leaves), size, root.hex()))
    PY
    # 3. The checkpoint is signed by the key you trust (Ed25519, with openssl).
    python3 - "$VKEY" <<'PY'
    import base64, hashlib, struct, sys
    name, keyid, key = sys.argv[1].split("+", 2)
    key = base64.b64decode(key)
    assert key[0] == 1 and len(key) == 33
    assert hashlib.sha256(name.encode() + b"\n" + key).digest()[:4].hex() == keyid
    note = open("checkpoint.txt", "rb").read()
    text, signatures = note.rsplit(b"\n\n", 1)
    for line in signatures.decode().splitlines():
        dash, signer, signature = line.split(" ")
        signature = base64.b64decode(signature)
        if signer == name and signature[:4].hex() == keyid:
            open("signed.txt", "wb").write(text + b"\n")
            open("signature.bin", "wb").write(signature[4:])
            open("key.der", "wb").write(bytes.fromhex("302a300506032b6570032100") + key[1:])
            break
    else:
        sys.exit("checkpoint.txt has no signature by " + name)
    PY
    openssl pkeyutl -verify -pubin -keyform DER -inkey key.der -rawin -in signed.txt -sigfile signature.bin
    rm -f signed.txt signature.bin key.der
    ----8<----

    A bundle is deterministic: the same ledger and options give the same bytes.
    """# + "\n"
}
