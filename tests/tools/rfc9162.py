#!/usr/bin/env python3
"""An RFC 9162 proof checker written from the RFC's text (sections 2.1.3.2 and 2.1.4.2), sharing
no code with the service: the transparency tests give it the service's proofs and the canonical
texts of the events, and it answers whether each proof holds.

stdin: {"leaves": [canonical text, ...],          # every event, in order
        "root": hex, "size": n,                    # a checkpoint's tree
        "inclusion": [{"leaf_index", "tree_size", "hashes": [hex]}],
        "consistency": [{"from", "to", "hashes": [hex], "from_root": hex, "to_root": hex}]}
stdout: {"mth": hex (root over the first `size` leaves), "inclusion": [bool], "consistency": [bool]}
"""
import hashlib
import json
import sys


def leaf_hash(text):
    return hashlib.sha256(b"\x00" + text.encode("utf-8")).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves):
    """RFC 9162 2.1.1: the Merkle Tree Hash of a list of leaf hashes."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def verify_inclusion(leaf_index, tree_size, leaf, path, root):
    """RFC 9162 2.1.3.2."""
    if leaf_index >= tree_size:
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_hash, second_hash, path):
    """RFC 9162 2.1.4.2."""
    if first == second:
        return not path and first_hash == second_hash
    if first == 0 or first > second or not path:
        return False
    if first & (first - 1) == 0:  # a power of two: the first tree is a complete subtree
        path = [first_hash] + path
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


def main():
    q = json.load(sys.stdin)
    leaves = [leaf_hash(t) for t in q["leaves"]]
    out = {"mth": mth(leaves[: q["size"]]).hex(), "inclusion": [], "consistency": []}
    for p in q.get("inclusion", []):
        n = p["tree_size"]
        root = mth(leaves[:n])
        path = [bytes.fromhex(h) for h in p["hashes"]]
        out["inclusion"].append(verify_inclusion(p["leaf_index"], n, leaves[p["leaf_index"]], path, root))
    for p in q.get("consistency", []):
        path = [bytes.fromhex(h) for h in p["hashes"]]
        out["consistency"].append(
            verify_consistency(p["from"], p["to"], bytes.fromhex(p["from_root"]), bytes.fromhex(p["to_root"]), path)
        )
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
