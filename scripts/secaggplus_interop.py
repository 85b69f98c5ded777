"""Checks Nerva's SecAgg+ primitives against flwr 1.42 itself (run with flwr 1.42 installed).

`python scripts/secaggplus_interop.py vectors` prints, as JSON, values computed by flwr's own code:
the NumPy masks of `pseudo_rand_gen` for fixed seeds, the shared key of two fixed P-384 keys
(`generate_shared_key`), a Fernet token (`encrypt`), Shamir shares (`create_shares`) and the
plaintext layout of `share_keys_plaintext_concat`.
`python scripts/secaggplus_interop.py check FILE` reads what Nerva computed (JSON) and exits 1
unless flwr decrypts Nerva's token, combines Nerva's shares (any `threshold` of them) into the
secret, loads Nerva's PEM keys and derives the same shared key from them.
"""
import base64
import itertools
import json
import sys

from cryptography.hazmat.primitives.asymmetric import ec
from flwr.common.secure_aggregation.crypto.shamir import combine_shares, create_shares
from flwr.common.secure_aggregation.crypto.symmetric_encryption import decrypt, encrypt, generate_shared_key
from flwr.common.secure_aggregation.secaggplus_utils import pseudo_rand_gen, share_keys_plaintext_concat
from flwr.supercore.primitives.asymmetric import (
    bytes_to_private_key,
    bytes_to_public_key,
    private_key_to_bytes,
    public_key_to_bytes,
)

MASK_CASES = [
    ("00010203" * 8, 1 << 32, [[1], [3, 4], [5]]),
    (base64.urlsafe_b64encode(bytes(range(32))).hex(), 1 << 32, [[7], [2, 3]]),
    ("ffffffff" * 11, 1 << 10, [[4], [3, 2]]),
    ("12345678", 1000, [[6]]),
    ("a1b2c3d4e5f60718", (1 << 40), [[3], [2]]),
]


def fixed_key(scalar: int) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(scalar, ec.SECP384R1())


def vectors():
    masks = []
    for seed, modulus, shapes in MASK_CASES:
        values = pseudo_rand_gen(bytes.fromhex(seed), modulus, [tuple(s) for s in shapes])
        masks.append({"seed": seed, "modulus": modulus, "shapes": shapes,
                      "values": [a.ravel().tolist() for a in values]})
    alice, bob = fixed_key(0x1234567890ABCDEF), fixed_key(0xFEDCBA0987654321)
    shared = generate_shared_key(alice, bob.public_key())
    plaintext = share_keys_plaintext_concat(7, 1 << 40, b"share-of-seed", b"share-of-key")
    secret = bytes(range(40))
    json.dump({
        "masks": masks,
        "alicePrivatePEM": private_key_to_bytes(alice).decode(),
        "bobPublicPEM": public_key_to_bytes(bob.public_key()).decode(),
        "sharedKey": shared.decode(),
        "plaintext": plaintext.hex(),
        "token": encrypt(shared, plaintext).decode(),
        "secret": secret.hex(),
        "shares": [s.hex() for s in create_shares(secret, 3, 5)],
    }, sys.stdout)


def check():
    with open(sys.argv[2], encoding="utf-8") as file:
        nerva = json.load(file)
    problems = []
    key = nerva["fernetKey"].encode()
    if decrypt(key, nerva["token"].encode()) != bytes.fromhex(nerva["plaintext"]):
        problems.append("flwr decrypts Nerva's Fernet token to other bytes")
    secret = bytes.fromhex(nerva["secret"])
    shares = [bytes.fromhex(s) for s in nerva["shares"]]
    for subset in itertools.combinations(shares, nerva["threshold"]):
        if combine_shares(list(subset)) != secret:
            problems.append(f"shares {[s[:4].hex() for s in subset]} do not combine to the secret")
    private_key = bytes_to_private_key(nerva["privatePEM"].encode())
    own_public = bytes_to_public_key(nerva["publicPEM"].encode())
    if public_key_to_bytes(private_key.public_key()) != public_key_to_bytes(own_public):
        problems.append("Nerva's public key is not its private key's")
    peer = bytes_to_public_key(nerva["peerPublicPEM"].encode())
    if generate_shared_key(private_key, peer).decode() != nerva["sharedKey"]:
        problems.append("flwr derives another shared key from Nerva's private key")
    print("\n".join(problems) or "ok")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    {"vectors": vectors, "check": check}[sys.argv[1]]()
