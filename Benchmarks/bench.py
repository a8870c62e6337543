#!/usr/bin/env python3
"""swift-2fa benchmarks against pam_google_authenticator and pam_oath.

Run through Benchmarks/run.sh, which builds everything first. This script only
drives the built binaries; see Benchmarks/README.md for what is measured and how.
"""
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import struct
import subprocess
import sys
import time
import base64

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "results")
BIN = os.path.join(OUT, "bin")
WORK = os.environ.get("BENCH_DIR", "/var/tmp/swift-2fa-bench")


def staged_module():
    """The pam_swift2fa.so that run.sh staged with install.sh under WORK/stage."""
    for directory, _, files in os.walk(os.path.join(WORK, "stage")):
        if "pam_swift2fa.so" in files:
            return os.path.join(directory, "pam_swift2fa.so")
    return None


# The module as installed by install.sh (run.sh exports BENCH_MODULE).
MODULE = os.environ.get("BENCH_MODULE") or staged_module()
SECURITY = "/lib/x86_64-linux-gnu/security"
GA = os.path.join(SECURITY, "pam_google_authenticator.so")
OATH = os.path.join(SECURITY, "pam_oath.so")
QUICK = os.environ.get("BENCH_QUICK") == "1"

COLD_LOGINS = 60 if QUICK else 300
COLD_CHUNK = 20 if QUICK else 50
WARM_USERS = 200 if QUICK else 1000
SCALES = [10, 1000, 10000] if QUICK else [10, 1000, 100000]
SCALE_PROBES = 10
SCALE_ROUNDS = 2 if QUICK else 6
PASSWD_USERS = max(2 * COLD_LOGINS, WARM_USERS, SCALE_PROBES)
MODULES = ["swift2fa", "google_authenticator", "oath", "permit"]
REFERENCE = "google_authenticator"


def name_of(i):
    return "b%06d" % i


def secret_of(i):
    return hashlib.sha1(b"swift-2fa-bench:" + name_of(i).encode()).digest()


def write(path, text, mode=0o600):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb" if isinstance(text, bytes) else "w") as f:
        f.write(text)


def slot_state(text):
    """A state file as the module leaves it after a login (Sources/TwoFactorCore/
    StateSlotFile.swift): a 4 KiB header, then two 4 KiB slots, `text` in slot 1 at sequence 1.
    With a text state file each user's first login would rewrite it whole (two fsyncs) instead
    of updating it in place (one fdatasync). The module refuses a file it cannot read
    (state-error), so a mistake here shows as failed logins."""
    body = text.encode()
    head = struct.pack("<QI", 1, len(body))
    slot = head + hashlib.sha256(head + body).digest()[:16] + body
    header = b"S2FASLOT" + struct.pack("<II", 1, 4096)
    return header.ljust(4096, b"\0") + slot.ljust(4096, b"\0") + bytes(4096)


def make_passwd():
    """nss_wrapper files: root and PASSWD_USERS benchmark users (uid 20000+i)."""
    directory = os.path.join(WORK, "nss")
    os.makedirs(directory, exist_ok=True)
    lines = ["root:x:0:0:root:/root:/bin/sh"]
    lines += ["%s:x:%d:20000::/nonexistent:/usr/sbin/nologin" % (name_of(i), 20000 + i) for i in range(PASSWD_USERS)]
    write(os.path.join(directory, "passwd"), "\n".join(lines) + "\n", 0o644)
    write(os.path.join(directory, "group"), "root:x:0:\nbench:x:20000:\n", 0o644)
    return directory


def make_dataset(label, count, probes):
    """A fresh world with `count` enrolled users for each module, and a users file
    (name, hex secret) for the first `probes` of them."""
    base = os.path.join(WORK, label)
    shutil.rmtree(base, ignore_errors=True)
    store, ga, oath, pamd = (os.path.join(base, d) for d in ("s2fa", "ga", "oath", "pam.d"))
    for d in (store, ga, oath):
        os.makedirs(d, mode=0o700)
        os.chmod(d, 0o700)
    os.makedirs(pamd)
    created = int(time.time()) - 86400
    old_step = int(time.time()) // 30 - 1000
    state = slot_state("version 1\nlast_step %d\nfailures 0\nthrottled_until 0\nlocked 0\n" % old_step)
    oath_lines = []
    for i in range(count):
        name, secret = name_of(i), secret_of(i)
        b32 = base64.b32encode(secret).decode().rstrip("=")
        write(os.path.join(store, name + ".secret"),
              "# swift-2fa secret file. Written by swift-2fa-setup; do not edit.\nversion 1\n"
              "secret %s\nalgorithm SHA1\ndigits 6\nperiod 30\ncreated %d\n" % (b32, created))
        # An enrolled user who has logged in before also has a state file.
        write(os.path.join(store, name + ".state"), state)
        write(os.path.join(ga, name),
              '%s\n" RATE_LIMIT 3 30\n" WINDOW_SIZE 3\n" DISALLOW_REUSE\n" TOTP_AUTH\n' % b32)
        oath_lines.append("HOTP/T30 %s - %s\n" % (name, secret.hex()))
    write(os.path.join(oath, "users.oath"), "".join(oath_lines))
    write(os.path.join(base, "users.txt"),
          "".join("%s %s\n" % (name_of(i), secret_of(i).hex()) for i in range(probes)), 0o644)
    services = {
        "swift2fa": "auth required %s store=%s\n" % (MODULE, store),
        "google_authenticator": "auth required %s secret=%s/${USER} user=root\n" % (GA, ga),
        "oath": "auth required %s usersfile=%s/users.oath window=1\n" % (OATH, oath),
        "permit": "auth required pam_permit.so\n",
        "other": "auth required pam_deny.so\naccount required pam_deny.so\n",
    }
    for service, text in services.items():
        write(os.path.join(pamd, service), text, 0o644)
    return base


def reset_probes(base, count, probes):
    """Gives the first `probes` users a fresh state in every module (as if they had not
    logged in for a while), so another round of 3 logins each is possible."""
    old_step = int(time.time()) // 30 - 1000
    state = slot_state("version 1\nlast_step %d\nfailures 0\nthrottled_until 0\nlocked 0\n" % old_step)
    for i in range(probes):
        name, secret = name_of(i), secret_of(i)
        b32 = base64.b32encode(secret).decode().rstrip("=")
        write(os.path.join(base, "s2fa", name + ".state"), state)
        write(os.path.join(base, "ga", name),
              '%s\n" RATE_LIMIT 3 30\n" WINDOW_SIZE 3\n" DISALLOW_REUSE\n" TOTP_AUTH\n' % b32)
    write(os.path.join(base, "oath", "users.oath"),
          "".join("HOTP/T30 %s - %s\n" % (name_of(i), secret_of(i).hex()) for i in range(count)))


def settle():
    """Flushes the dataset just written, so its writeback does not slow the fsyncs measured."""
    os.sync()
    time.sleep(2)


def environment(base, nss):
    env = {
        "PATH": "/usr/bin:/bin",
        "LD_PRELOAD": "libpam_wrapper.so libnss_wrapper.so",
        "PAM_WRAPPER": "1",
        "PAM_WRAPPER_SERVICE_DIR": os.path.join(base, "pam.d"),
        "NSS_WRAPPER_PASSWD": os.path.join(nss, "passwd"),
        "NSS_WRAPPER_GROUP": os.path.join(nss, "group"),
    }
    return env


def run(args, env, check=True):
    result = subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and result.returncode != 0:
        sys.stderr.write("command failed: %s\n%s\n%s\n" % (" ".join(args), result.stdout[-2000:], result.stderr[-2000:]))
    return result


def totp_now(secret, offset=0):
    import hmac as hmac_module
    counter = (int(time.time()) // 30 + offset).to_bytes(8, "big")
    mac = hmac_module.new(secret, counter, "sha1").digest()
    o = mac[-1] & 0x0F
    value = int.from_bytes(mac[o:o + 4], "big") & 0x7FFFFFFF
    return "%06d" % (value % 1000000)


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, int(round(p / 100.0 * (len(ordered) - 1)))))
    return ordered[k]


def wait_for_step_margin(margin=8):
    """Start a phase early in a 30 s step, so few logins straddle a step change."""
    into = time.time() % 30
    if 30 - into < margin:
        time.sleep(30 - into + 0.2)


COLD_SERIES = {"cold": "bench-login", "cold_libcrypto": "bench-login-libcrypto"}


def cold(nss, series):
    """COLD_LOGINS one-login processes per module and per series in `series`: "cold" runs
    bench-login (links only libpam), "cold_libcrypto" bench-login-libcrypto (libcrypto
    loaded and initialised before pam_start, as in sshd). Modules and series are
    interleaved chunk by chunk so drift in machine load hits all alike; each series
    has its own users, so no code is replayed."""
    base = make_dataset("cold", COLD_LOGINS * len(series), COLD_LOGINS * len(series))
    settle()
    env = environment(base, nss)
    keys = [(name, m) for name in series for m in MODULES]
    samples = {k: [] for k in keys}
    rss = {k: [] for k in keys}
    dirty = {k: [] for k in keys}
    pam = {k: [] for k in keys}
    failures = {k: 0 for k in keys}
    users = open(os.path.join(base, "users.txt")).read().splitlines()
    for start in range(0, COLD_LOGINS, COLD_CHUNK):
        for module in MODULES:
            for index, name in enumerate(series):
                first = index * COLD_LOGINS + start
                selected = users[first:first + min(COLD_CHUNK, COLD_LOGINS - start)]
                chunk = os.path.join(base, "chunk.txt")
                write(chunk, "\n".join(selected) + "\n", 0o644)
                out = run([os.path.join(BIN, "bench-client"), "cold", module, chunk, str(len(selected)),
                           os.path.join(BIN, COLD_SERIES[name])], env, check=False).stdout
                key = (name, module)
                for line in out.splitlines():
                    parts = line.split()
                    if parts[:1] == ["COLD"]:
                        if parts[2] != "0":
                            failures[key] += 1
                            continue
                        samples[key].append(float(parts[1]))
                        rss[key].append(int(parts[3]))
                        if len(parts) > 4 and float(parts[4]) >= 0:
                            pam[key].append(float(parts[4]))
                        if len(parts) > 5 and int(parts[5]) >= 0:
                            dirty[key].append(int(parts[5]))
    results = {}
    for name in series:
        result = results[name] = {}
        for m in MODULES:
            k = (name, m)
            result[m] = {
                "logins": len(samples[k]), "failed": failures[k],
                "median_us": statistics.median(samples[k]) if samples[k] else None,
                "p99_us": percentile(samples[k], 99) if samples[k] else None,
                "rss_kb_median": statistics.median(rss[k]) if rss[k] else None,
                "private_dirty_kb_median": statistics.median(dirty[k]) if dirty[k] else None,
                "pam_median_us": statistics.median(pam[k]) if pam[k] else None,
            }
    return results


def warm(nss, threads):
    result = {}
    for module in MODULES:
        base = make_dataset("warm", WARM_USERS, WARM_USERS)
        settle()
        env = environment(base, nss)
        wait_for_step_margin()
        out = run([os.path.join(BIN, "bench-client"), "warm", module, os.path.join(base, "users.txt"),
                   str(WARM_USERS), str(threads), "3"], env, check=False).stdout
        m = re.search(r"WARM (\d+) (\d+) ([\d.]+) ([\d.]+)", out)
        if m:
            result[module] = {"ok": int(m.group(1)), "failed": int(m.group(2)),
                              "seconds": float(m.group(3)), "logins_per_s": float(m.group(4))}
        else:
            result[module] = {"ok": 0, "failed": -1, "seconds": None, "logins_per_s": None}
    return result


def scaling(nss):
    """Per-login time with 10, 1,000 and 100,000 enrolled users. All datasets are built
    first; the rounds then visit the scales in turn (round-robin), so a change in the
    machine's load during the phase affects every scale alike instead of the last one."""
    bases, env_of, row_of = {}, {}, {}
    for count in SCALES:
        began = time.time()
        bases[count] = make_dataset("scale-%d" % count, count, SCALE_PROBES)
        row_of[count] = {"dataset_seconds": round(time.time() - began, 1)}
        env_of[count] = dict(environment(bases[count], nss), LAT="1")
    lat = {c: {m: [] for m in MODULES} for c in SCALES}
    ok = {c: {m: 0 for m in MODULES} for c in SCALES}
    failed = {c: {m: 0 for m in MODULES} for c in SCALES}
    for round_index in range(SCALE_ROUNDS):
        for count in SCALES:
            if round_index > 0:
                reset_probes(bases[count], count, SCALE_PROBES)
            settle()
            for module in MODULES:
                wait_for_step_margin()
                out = run([os.path.join(BIN, "bench-client"), "warm", module,
                           os.path.join(bases[count], "users.txt"), str(SCALE_PROBES), "1", "3"],
                          env_of[count], check=False).stdout
                lat[count][module] += [float(l.split()[1]) for l in out.splitlines() if l.startswith("LAT ")]
                m = re.search(r"WARM (\d+) (\d+)", out)
                ok[count][module] += int(m.group(1)) if m else 0
                failed[count][module] += int(m.group(2)) if m else 1
    result = {}
    for count in SCALES:
        row = row_of[count]
        for module in MODULES:
            samples = lat[count][module]
            row[module] = {"median_us": statistics.median(samples) if samples else None,
                           "mean_us": statistics.mean(samples) if samples else None,
                           "samples": len(samples), "ok": ok[count][module], "failed": failed[count][module]}
        result[str(count)] = row
        shutil.rmtree(bases[count], ignore_errors=True)
    return result


def callgrind(nss):
    if shutil.which("valgrind") is None:
        return None
    base = make_dataset("callgrind", 2 * len(MODULES), 2 * len(MODULES))
    env = environment(base, nss)
    # valgrind 3.19 cannot read the DWARF 5 debug info of the Swift build: use copies
    # without debug info (the code is identical).
    objcopy = shutil.which("llvm-objcopy") or shutil.which("objcopy")
    service_dir = os.path.join(base, "pam.d")
    for service in ("swift2fa",):
        path = os.path.join(service_dir, service)
        line = open(path).read()
        original = line.split()[2]
        copy = os.path.join(base, service + ".nodebug.so")
        subprocess.run([objcopy, "--strip-debug", original, copy], check=True)
        write(path, line.replace(original, copy), 0o644)
    users = [l.split() for l in open(os.path.join(base, "users.txt")).read().splitlines()]
    # Per module: one cold bench-login and one bench-login-libcrypto (libcrypto loaded and
    # initialised before pam_start, as in sshd), whole process each. The module's own
    # share is its count minus pam_permit's in the same series.
    result = {}
    for i, module in enumerate(MODULES):
        result[module] = {}
        for j, (key, login) in enumerate([("instructions", "bench-login"),
                                          ("instructions_libcrypto_loaded", "bench-login-libcrypto")]):
            name, hexsecret = users[2 * i + j]
            wait_for_step_margin(15)
            code = totp_now(bytes.fromhex(hexsecret))
            outfile = os.path.join(base, "callgrind.%s.%s" % (module, key))
            r = run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + outfile] +
                    [os.path.join(BIN, login), module, name, code], env, check=False)
            total = None
            if os.path.exists(outfile):
                for line in open(outfile):
                    if line.startswith("summary:") or line.startswith("totals:"):
                        total = int(line.split()[1])
            result[module][key] = total
            result[module][key + "_login_ok"] = "RESULT 0 " in r.stdout
    return result


def hmac():
    result = {}
    raw = run([os.path.join(BIN, "hmac-raw"), "300000"], os.environ.copy()).stdout
    for line in raw.splitlines():
        parts = line.split()
        result["raw_" + parts[1]] = float(parts[2])
    core = run([os.path.join(BIN, "hmac-core"), "300000"], os.environ.copy()).stdout
    for line in core.splitlines():
        parts = line.split()
        result["core_" + parts[1]] = float(parts[2])
    return result


def dirty_rows(rows, c, label):
    """Private dirty memory per login process (smaps_rollup after pam_end) over pam_permit's,
    one row per module; sets each module's "private_dirty_added_kb"."""
    base = c["permit"]["private_dirty_kb_median"]
    ref = None
    if base is not None and c[REFERENCE]["private_dirty_kb_median"] is not None:
        ref = c[REFERENCE]["private_dirty_kb_median"] - base
    for m in MODULES:
        value = c[m]["private_dirty_kb_median"]
        added = None if value is None or base is None else value - base
        c[m]["private_dirty_added_kb"] = added
        rows.append((label, m, added, ratio(added, ref) if ref else None))


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt(x, digits=2):
    return "-" if x is None else ("%.*f" % (digits, x))


def main():
    os.makedirs(WORK, exist_ok=True)
    os.makedirs(OUT, exist_ok=True)
    nss = make_passwd()
    started = datetime.datetime.now(datetime.timezone.utc)
    results = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
            "cores": os.cpu_count(),
            "kernel": platform.release(),
            "os": next((l.split("=", 1)[1].strip().strip('"') for l in open("/etc/os-release") if l.startswith("PRETTY_NAME")), "?"),
            "bench_dir": WORK,
            "bench_fs": subprocess.run(["stat", "-f", "-c", "%T", WORK], stdout=subprocess.PIPE, text=True).stdout.strip(),
            "load_before": os.getloadavg(),
        },
        "config": {"cold_logins": COLD_LOGINS, "warm_users": WARM_USERS, "scales": SCALES, "quick": QUICK},
        "module": MODULE,
    }
    if MODULE is None or not os.path.exists(MODULE):
        sys.exit("pam_swift2fa.so not found (BENCH_MODULE, or %s/stage): run Benchmarks/run.sh" % WORK)
    only = os.environ.get("BENCH_ONLY")
    series = [n for n in COLD_SERIES if not only or n in only.split(",")]
    # "cold" runs both cold series together (interleaved); "cold_libcrypto" is then a no-op.
    phases = [("hmac", hmac), ("callgrind", lambda: callgrind(nss)), ("cold", lambda: cold(nss, series)),
              ("warm_1", lambda: warm(nss, 1)), ("warm_2", lambda: warm(nss, 2)),
              ("scaling", lambda: scaling(nss))]
    for name, phase in phases:
        if name == "cold":
            if not series:
                continue
            name = "+".join(series)
        elif only and name not in only.split(","):
            continue
        print("== %s" % name, flush=True)
        began = time.time()
        if "cold" in name:
            results.update(phase())
        else:
            results[name] = phase()
        print("   %.0f s" % (time.time() - began), flush=True)
    results["machine"]["load_after"] = os.getloadavg()

    # Ratios to google-authenticator (and the goals).
    goals = {}
    rows = []
    if "cold" in results:
        c = results["cold"]
        for m in MODULES:
            rows.append(("cold median (ms)", m, c[m]["median_us"] and c[m]["median_us"] / 1000,
                         ratio(c[m]["median_us"], c[REFERENCE]["median_us"])))
        for m in MODULES:
            rows.append(("cold p99 (ms)", m, c[m]["p99_us"] and c[m]["p99_us"] / 1000,
                         ratio(c[m]["p99_us"], c[REFERENCE]["p99_us"])))
        base_rss = c["permit"]["rss_kb_median"]
        for m in MODULES:
            added = None if c[m]["rss_kb_median"] is None else c[m]["rss_kb_median"] - base_rss
            c[m]["rss_added_kb"] = added
            ref = c[REFERENCE]["rss_kb_median"] - base_rss
            rows.append(("RSS added (KiB)", m, added, ratio(added, ref) if ref else None))
        dirty_rows(rows, c, "private dirty added (KiB)")
        goals["cold_median"] = {"ratio": ratio(c["swift2fa"]["median_us"], c[REFERENCE]["median_us"]), "goal": "<= 1.1"}
        goals["cold_p99"] = {"ratio": ratio(c["swift2fa"]["p99_us"], c[REFERENCE]["p99_us"]), "goal": "-"}
        goals["private dirty over permit (KiB)"] = {"ratio": c["swift2fa"]["private_dirty_added_kb"], "goal": "<= 1024"}
    if "cold_libcrypto" in results:
        c = results["cold_libcrypto"]
        for m in MODULES:
            rows.append(("cold, libcrypto loaded, median (ms)", m, c[m]["median_us"] and c[m]["median_us"] / 1000,
                         ratio(c[m]["median_us"], c[REFERENCE]["median_us"])))
        for m in MODULES:
            rows.append(("cold, libcrypto loaded, p99 (ms)", m, c[m]["p99_us"] and c[m]["p99_us"] / 1000,
                         ratio(c[m]["p99_us"], c[REFERENCE]["p99_us"])))
        base_rss = c["permit"]["rss_kb_median"]
        for m in MODULES:
            added = None if c[m]["rss_kb_median"] is None or base_rss is None else c[m]["rss_kb_median"] - base_rss
            c[m]["rss_added_kb"] = added
            ref = None if base_rss is None else c[REFERENCE]["rss_kb_median"] - base_rss
            rows.append(("cold, libcrypto loaded, RSS added (KiB)", m, added, ratio(added, ref) if ref else None))
        dirty_rows(rows, c, "cold, libcrypto loaded, priv. dirty added (KiB)")
        for m in MODULES:
            rows.append(("  pam_start..pam_end only (ms)", m, c[m]["pam_median_us"] and c[m]["pam_median_us"] / 1000,
                         ratio(c[m]["pam_median_us"], c[REFERENCE]["pam_median_us"])))
        goals["cold_median (libcrypto loaded)"] = {
            "ratio": ratio(c["swift2fa"]["median_us"], c[REFERENCE]["median_us"]), "goal": "<= 1.0"}
        goals["cold pam only (libcrypto loaded)"] = {
            "ratio": ratio(c["swift2fa"]["pam_median_us"], c[REFERENCE]["pam_median_us"]), "goal": "<= 1.2"}
    if "callgrind" in results and results["callgrind"]:
        g = results["callgrind"]
        goals["cold instructions"] = {"ratio": ratio(g["swift2fa"]["instructions"], g[REFERENCE]["instructions"]),
                                      "goal": "<= 1.5"}
        for m in MODULES:
            rows.append(("cold instructions (M)", m, g[m]["instructions"] and g[m]["instructions"] / 1e6,
                         ratio(g[m]["instructions"], g[REFERENCE]["instructions"])))
        for key, label in (("instructions", "cold instr. over pam_permit (M)"),
                           ("instructions_libcrypto_loaded", "libcrypto loaded, instr. (M)"),
                           ("instructions_libcrypto_loaded", "libcrypto loaded, over permit (M)")):
            for m in MODULES:
                if "over" in label:
                    base_count = g["permit"][key]
                    v = None if g[m][key] is None or base_count is None else g[m][key] - base_count
                    ref = None if g[REFERENCE][key] is None or base_count is None else g[REFERENCE][key] - base_count
                    g[m][key + "_over_permit"] = v
                else:
                    v, ref = g[m][key], g[REFERENCE][key]
                rows.append((label, m, v and v / 1e6, ratio(v, ref) if v else None))
    for t in (1, 2):
        key = "warm_%d" % t
        if key in results:
            w = results[key]
            for m in MODULES:
                rows.append(("warm %d thread%s (logins/s)" % (t, "s" if t > 1 else ""), m, w[m]["logins_per_s"],
                             ratio(w[m]["logins_per_s"], w[REFERENCE]["logins_per_s"])))
            goals[key] = {"ratio": ratio(w["swift2fa"]["logins_per_s"], w[REFERENCE]["logins_per_s"]), "goal": ">= 2"}
    if "scaling" in results:
        s = results["scaling"]
        small, large = str(SCALES[0]), str(SCALES[-1])
        for count in SCALES:
            for m in MODULES:
                rows.append(("per login, %d users (us)" % count, m, s[str(count)][m]["median_us"],
                             ratio(s[str(count)][m]["median_us"], s[str(count)][REFERENCE]["median_us"])))
        for m in MODULES:
            s.setdefault("growth", {})[m] = ratio(s[large][m]["median_us"], s[small][m]["median_us"])
            rows.append(("%s vs %s users (x)" % (large, small), m, s["growth"][m], None))
        goals["scaling"] = {"ratio": s["growth"]["swift2fa"], "goal": "<= 1.1 (100,000 vs 10 users)"}
    if "hmac" in results:
        h = results["hmac"]
        limit = min(h[k] for k in ("raw_nettle", "raw_oneshot", "raw_evp_mac", "raw_hmac_ctx", "raw_evp_dup") if k in h)
        h["practical_limit_ns"] = limit
        h["ratio_core_truncate_vs_limit"] = limit / h["core_truncate"]
        h["ratio_core_truncate_vs_oneshot"] = h["raw_oneshot"] / h["core_truncate"]
        goals["core"] = {"ratio": h["ratio_core_truncate_vs_limit"], "goal": ">= 0.8 (speed, raw/core)"}
    results["goals"] = goals

    print()
    print("swift-2fa benchmarks, %s, %s, %d cores, %s" % (results["date"], results["machine"]["cpu"],
                                                           results["machine"]["cores"], results["machine"]["os"]))
    print("%-40s %-22s %12s %10s" % ("measure", "module", "value", "vs GA"))
    for measure, module, value, r in rows:
        print("%-40s %-22s %12s %10s" % (measure, module, fmt(value, 1 if value and abs(value) >= 10 else 3), fmt(r)))
    if "hmac" in results:
        h = results["hmac"]
        print()
        print("core HMAC-SHA1 + truncate (ns/op): raw Nettle %.0f, raw HMAC() %.0f, raw EVP_MAC %.0f, raw HMAC_CTX %.0f, "
              "raw EVP_MAC_CTX_dup %.0f; core truncate %.0f, core code %.0f" % (
                  h["raw_nettle"], h["raw_oneshot"], h["raw_evp_mac"], h["raw_hmac_ctx"], h["raw_evp_dup"],
                  h["core_truncate"], h["core_code"]))
        print("core speed vs practical limit: %.2f (vs one-shot HMAC(): %.2f)" % (
            h["ratio_core_truncate_vs_limit"], h["ratio_core_truncate_vs_oneshot"]))
    print()
    print("goals:")
    for key, g in goals.items():
        print("  %-34s %s  (goal %s)" % (key, fmt(g["ratio"]), g["goal"]))
    path = os.path.join(OUT, "latest.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    print("\nwrote %s" % path)


if __name__ == "__main__":
    main()
