#!/usr/bin/python3
"""Writes the PSKC test files of swift-2fa with python-pskc (Debian's python3-pskc), an
implementation independent of swift-2fa's reader, and expected.json with the values put in.

    Tests/Fixtures/pskc/generate.py [OUTPUT-DIRECTORY]     (default: this directory)

python-pskc draws IVs, salts and MAC keys from os.urandom; here they come from a seeded
generator instead, so the same python-pskc writes the same bytes and the committed files can
be checked against a fresh run (PSKCFixtureTests). Never do that for real keys.
"""
import json
import os
import random
import sys

import pskc

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
HOTP = 'urn:ietf:params:xml:ns:keyprov:pskc:hotp'
TOTP = 'urn:ietf:params:xml:ns:keyprov:pskc:totp'

# The pre-shared key of the psk-* files and the password of the pbkdf2-* files.
PRE_SHARED_KEY_128 = bytes.fromhex('12345678901234567890123456789012')
PRE_SHARED_KEY_256 = bytes.fromhex('00112233445566778899aabbccddeeff' '0123456789abcdef0123456789abcdef')
PASSWORD = 'qwerty'

# The keys of every file: RFC 4226's and RFC 6238's seeds, and two others.
KEYS = [
    dict(id='hotp-1', serial='987654321', manufacturer='Manufacturer', algorithm=HOTP,
         secret=b'12345678901234567890', counter=42, response_length=8),
    dict(id='totp-sha256', serial='TOTP-256', algorithm=TOTP, algorithm_suite='HMAC-SHA256',
         secret=b'12345678901234567890123456789012', time_offset=0, time_interval=60, time_drift=0,
         response_length=7),
    dict(id='totp-sha1', algorithm=TOTP, secret=bytes(range(10, 30)), time_interval=30,
         time_drift=-2, response_length=6),
    dict(id='hotp-sha512', algorithm=HOTP, algorithm_suite='HMAC-SHA512',
         secret=bytes(range(200, 255)) + b'\x00' * 9, counter=0, response_length=6),
]

FILES = {
    'plain.pskcxml': dict(),
    'psk-aes128-hmac-sha1.pskcxml': dict(key=PRE_SHARED_KEY_128, algorithm='aes128-cbc', mac='hmac-sha1',
                                         fields=['secret', 'counter', 'time_interval']),
    'psk-aes256-hmac-sha256.pskcxml': dict(key=PRE_SHARED_KEY_256, algorithm='aes256-cbc', mac='hmac-sha256'),
    'pbkdf2-sha1-aes128.pskcxml': dict(password=PASSWORD, algorithm='aes128-cbc', iterations=1000),
    'pbkdf2-sha256-aes256.pskcxml': dict(password=PASSWORD, algorithm='aes256-cbc', iterations=2000,
                                         prf='hmac-sha256', mac='hmac-sha256'),
    # Key wrap: RFC 3394 for the 32- and 64-byte secrets, RFC 5649 padding for the others and
    # for the one-byte counter; no MAC (python-pskc adds one for CBC only), then one.
    'psk-kw-aes256.pskcxml': dict(key=PRE_SHARED_KEY_256, algorithm='kw-aes256',
                                  fields=['secret', 'counter', 'time_interval']),
    'pbkdf2-sha512-kw-aes128-hmac-sha512.pskcxml': dict(password=PASSWORD, algorithm='kw-aes128', iterations=1000,
                                                        prf='hmac-sha512', mac='hmac-sha512'),
}


def write(name, setup, seed):
    generator = random.Random(seed)
    os.urandom = lambda count: bytes(generator.getrandbits(8) for _ in range(count))
    container = pskc.PSKC()
    for key in KEYS:
        container.add_key(**key)
    if 'key' in setup:
        container.encryption.setup_preshared_key(
            key=setup['key'], algorithm=setup['algorithm'], key_name='Pre-shared-key',
            fields=setup.get('fields', ['secret']))
    elif 'password' in setup:
        container.encryption.setup_pbkdf2(
            setup['password'], algorithm=setup['algorithm'], iterations=setup['iterations'],
            prf=setup.get('prf'), key_name='My Password 1')
    if 'mac' in setup:
        container.mac.setup(algorithm=setup['mac'])
    container.write(os.path.join(OUT, name))


for seed, (name, setup) in enumerate(sorted(FILES.items())):
    write(name, setup, seed)

expected = {
    'pre_shared_key_128': PRE_SHARED_KEY_128.hex(),
    'pre_shared_key_256': PRE_SHARED_KEY_256.hex(),
    'password': PASSWORD,
    'files': sorted(FILES),
    'keys': [dict(id=key['id'], serial=key.get('serial'), algorithm=key['algorithm'].rsplit(':', 1)[1],
                  suite=key.get('algorithm_suite', 'HMAC-SHA1'), secret=key['secret'].hex(),
                  counter=key.get('counter'), period=key.get('time_interval'), drift=key.get('time_drift'),
                  digits=key['response_length'])
             for key in KEYS],
}
with open(os.path.join(OUT, 'expected.json'), 'w') as out:
    json.dump(expected, out, indent=1, sort_keys=True)
    out.write('\n')
