#!/usr/bin/env python3
"""A fake pooler for the tests: a PostgreSQL v3 server that lies.

    fake_pooler.py --unix PATH [--unix PATH ...] [--tcp HOST:PORT ...] --log FILE SCENARIO...

Connection N (from 0) is served SCENARIO N (the last one repeats). Each connection's
scenario and the types of the messages the client sent are appended to FILE as one line,
e.g. "password: startup" or "honest: startup P B D E S X". `honest` answers every call
correctly with one row (accepted-totp, 0, 0, 10, f, default, NULL: verify's seven columns), whatever was asked;
every other scenario
breaks the protocol in its own way (see SCENARIOS). Runs until killed.
"""
import argparse
import os
import signal
import socket
import struct
import threading
import time


def msg(kind, body=b""):
    return kind + struct.pack("!i", len(body) + 4) + body


def cstr(text):
    return text.encode() + b"\0"


AUTH_OK = msg(b"R", struct.pack("!i", 0))
READY = msg(b"Z", b"I")
STARTUP = AUTH_OK + msg(b"S", cstr("server_version") + cstr("15.0")) + msg(b"K", struct.pack("!ii", 7, 8)) + READY


def row_description(columns):
    body = struct.pack("!h", columns)
    for i in range(columns):
        body += cstr("c%d" % i) + struct.pack("!ihihih", 0, 0, 25, -1, -1, 0)
    return msg(b"T", body)


def data_row(values):
    body = struct.pack("!h", len(values))
    for value in values:
        body += struct.pack("!i", -1) if value is None else struct.pack("!i", len(value)) + value
    return msg(b"D", body)


ACCEPTED = data_row([b"accepted-totp", b"0", b"0", b"10", b"f", b"default", None])
HEAD = msg(b"1") + msg(b"2") + row_description(7)
ANSWER = HEAD + ACCEPTED + msg(b"C", cstr("SELECT 1")) + READY

# Scenario: (what to send after the StartupMessage, what to send after each call's Sync,
# seconds to stay silent before closing). None: send the normal start-up.
SCENARIOS = {
    "honest": (None, ANSWER, 0),
    "password": (msg(b"R", struct.pack("!i", 3)), b"", 2),
    "md5": (msg(b"R", struct.pack("!i", 5) + b"salt"), b"", 2),
    "sasl": (msg(b"R", struct.pack("!i", 10) + cstr("SCRAM-SHA-256") + b"\0"), b"", 2),
    "ready-before-auth": (READY + STARTUP, ANSWER, 0),
    "startup-garbage": (b"\x00\x01\x02garbage", b"", 0),
    "short-length": (msg(b"R", struct.pack("!i", 0)) + b"Z\x00\x00\x00\x02", b"", 0),
    "truncated": (None, msg(b"1") + msg(b"2")[:3], 0),
    "huge-length": (None, HEAD + b"D\x7f\xff\xff\xff", 5),
    "oversized": (None, HEAD + data_row([b"accepted-totp", b"0", b"x" * 70000, b"10", b"f", b"default", None]) + msg(b"C", cstr("SELECT 1")) + READY, 0),
    "row-before-ready-then-close": (None, HEAD + ACCEPTED, 0),
    "row-before-ready-then-silence": (None, HEAD + ACCEPTED, 5),
    "row-before-parse": (None, ACCEPTED + ANSWER, 0),
    "wrong-width": (None, HEAD + data_row([b"accepted-totp", b"0"]) + msg(b"C", cstr("SELECT 1")) + READY, 0),
    "negative-length": (None, HEAD + msg(b"D", struct.pack("!hi", 7, -7)) + msg(b"C", cstr("SELECT 1")) + READY, 0),
    "not-utf8": (None, HEAD + data_row([b"accepted-totp", b"\xff\xfe", b"0", b"10", b"f", b"default", None]) + msg(b"C", cstr("SELECT 1")) + READY, 0),
    "open-transaction": (None, HEAD + ACCEPTED + msg(b"C", cstr("SELECT 1")) + msg(b"Z", b"T"), 0),
    "two-answers": (None, ANSWER + ANSWER, 0),
    "error-then-row": (None, msg(b"E", b"SERROR\0C22023\0Mno\0\0") + ACCEPTED + msg(b"C", cstr("SELECT 1")) + READY, 0),
    "notification": (None, msg(b"A", struct.pack("!i", 1) + cstr("c") + cstr("p")) + ANSWER, 0),
    "copy": (None, msg(b"1") + msg(b"2") + msg(b"G", b"\0\0\0"), 0),
    "silence": (b"", b"", 5),
}


def read_exact(conn, count):
    data = b""
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def serve(conn, name, log, lock):
    seen = []
    startup, answer, silence = SCENARIOS[name]
    conn.settimeout(10)
    try:
        length = struct.unpack("!i", read_exact(conn, 4))[0]
        read_exact(conn, length - 4)
        seen.append("startup")
        conn.sendall(STARTUP if startup is None else startup)
        if startup is not None and not startup.startswith(READY) and startup != b"":
            # A refused or broken start-up: note anything the client still sends.
            conn.settimeout(max(silence, 0.5))
            try:
                while True:
                    kind = read_exact(conn, 1)
                    length = struct.unpack("!i", read_exact(conn, 4))[0]
                    read_exact(conn, max(0, length - 4))
                    seen.append(kind.decode("latin-1"))
            except (EOFError, OSError):
                pass
            return
        if startup == b"":
            time.sleep(silence)
            return
        while True:
            kind = read_exact(conn, 1)
            length = struct.unpack("!i", read_exact(conn, 4))[0]
            read_exact(conn, max(0, length - 4))
            seen.append(kind.decode("latin-1"))
            if kind == b"X":
                return
            if kind == b"S":
                conn.sendall(answer)
                if name != "honest":
                    time.sleep(silence)
                    return
    except (EOFError, OSError):
        pass
    finally:
        with lock:
            with open(log, "a") as out:
                out.write("%s: %s\n" % (name, " ".join(seen)))
        conn.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--unix", action="append", default=[])
    parser.add_argument("--tcp", action="append", default=[])
    parser.add_argument("--log", required=True)
    parser.add_argument("scenarios", nargs="+", choices=sorted(SCENARIOS))
    args = parser.parse_args()
    # A test runner may have blocked or ignored SIGTERM; be stoppable.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    listeners = []
    for path in args.unix:
        if os.path.exists(path):
            os.unlink(path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.listen(64)
        listeners.append(s)
    for address in args.tcp:
        host, port = address.rsplit(":", 1)
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
        s.listen(64)
        listeners.append(s)
    lock = threading.Lock()
    count = [0]

    def accept(listener):
        while True:
            conn, _ = listener.accept()
            with lock:
                index = count[0]
                count[0] += 1
            name = args.scenarios[min(index, len(args.scenarios) - 1)]
            threading.Thread(target=serve, args=(conn, name, args.log, lock), daemon=True).start()

    for listener in listeners:
        threading.Thread(target=accept, args=(listener,), daemon=True).start()
    with open(args.log + ".ready", "w") as ready:
        ready.write("ready\n")
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
