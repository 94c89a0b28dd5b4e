#!/usr/bin/env python3
"""Independent RFC 9258 known answers for common/tls/psk_importer_test.cc.

Written from RFC 9258 3 and 4.2 and RFC 8446 7.1 with hashlib/hmac only (no shared code with
psk_importer.cc). Run: python3 common/tls/testing/psk_importer_kat.py
"""
import hashlib
import hmac
import struct


def hkdf_extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand(prk, info, length):
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def hkdf_expand_label(secret, label, context, length):
    full = b"tls13 " + label
    info = struct.pack(">H", length) + bytes([len(full)]) + full + bytes([len(context)]) + context
    return hkdf_expand(secret, info, length)


def imported_identity(external_identity, context, protocol=0x0304, kdf=0x0001):
    return (struct.pack(">H", len(external_identity)) + external_identity +
            struct.pack(">H", len(context)) + context + struct.pack(">HH", protocol, kdf))


def ipsk(epsk, identity_wire):
    epskx = hkdf_extract(bytes(32), epsk)
    return hkdf_expand_label(epskx, b"derived psk", hashlib.sha256(identity_wire).digest(), 32)


CASES = [
    (b"kpm-1", b"", bytes(range(1, 33))),
    (b"KeID.0123456789abcdef", b"oneM2M", bytes.fromhex("00112233445566778899aabbccddeeff")),
]

for ext, ctx, key in CASES:
    wire = imported_identity(ext, ctx)
    print("external_identity=%r context=%r epsk=%s" % (ext, ctx, key.hex()))
    print("  wire=%s" % wire.hex())
    print("  ipsk=%s" % ipsk(key, wire).hex())
