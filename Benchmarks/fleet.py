#!/usr/bin/env python3
"""swift-2fa fleet-mode benchmark: the module with `database =` and `pooler =`, reaching a
throwaway PostgreSQL (Tests/fleet/pg.sh) only through the local PgBouncer that
`swift-2fa-setup db pooler write` configures and `db pooler run` runs, through real libpam
under pam_wrapper and nss_wrapper, with the clients of bench.py (bench-client, bench-login).
Run by Benchmarks/run.sh after bench.py (BENCH_ONLY=fleet runs only this); see
Benchmarks/README.md.

Phases, each interleaved chunk by chunk so drift in the machine's load hits all alike:
- cold logins (one process each): the file store (store=), the fleet through a pooler that
  reaches the database over a Unix socket (fleet_unix) and one that reaches it over TLS with
  verify-full and a client certificate (fleet_tls), pam_permit; and fleet_unix as two
  concurrent streams. Goals: fleet / file store <= 1.3 for both poolers, two streams / one
  stream <= 1.3;
- the per-login time with 10 and with 100,000 users enrolled (10 first, then 100,000, then
  back to 10), goal <= 1.1;
- callgrind: instructions of one whole cold fleet login minus pam_permit's (the module's part,
  its protocol client included; the pooler and the database run in other processes)."""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (the shared helpers: users, nss_wrapper files, runs)

PG = os.path.join(bench.ROOT, "Tests", "fleet", "pg.sh")
QUICK = bench.QUICK
COLD = 60 if QUICK else 300
CHUNK = 20 if QUICK else 50
PROBES = 10
ROUNDS = 2 if QUICK else 4
BIG = 10000 if QUICK else 100000


def pg(*args):
    # pg.sh loads the schema and runs the pooler with this swift-2fa-setup.
    result = subprocess.run(["bash", PG] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, S2FA_SETUP=setup_binary()))
    if result.returncode != 0:
        raise RuntimeError("pg.sh %s failed: %s" % (args[0], result.stderr[-2000:]))
    return result.stdout.strip()


def sql(directory, statement):
    return pg("psql", directory, "twofa_admin", "-At", "-c", statement)


def enroll(directory, first, last):
    """Users first..last-1 (bench's names and secrets), enrolled as by swift-2fa-setup."""
    sql(directory, """
        INSERT INTO swift2fa.enrollment (user_name, secret, algorithm, digits, period, created)
        SELECT n, digest('swift-2fa-bench:' || n, 'sha1'), 'SHA1', 6, 30, extract(epoch FROM now())::bigint - 86400
        FROM (SELECT 'b' || lpad(i::text, 6, '0') AS n FROM generate_series(%d, %d) i) s
        ON CONFLICT DO NOTHING""" % (first, last - 1))
    sql(directory, "ANALYZE swift2fa.enrollment")


def reset_probes(directory):
    """The probe users as if they had not logged in for a while (3 more logins each)."""
    sql(directory, "UPDATE swift2fa.enrollment SET last_step = 0, failures = 0, throttled_until = 0 "
                   "WHERE user_name < '%s'" % bench.name_of(PROBES))


def users_file(path, first, count):
    bench.write(path, "".join("%s %s\n" % (bench.name_of(i), bench.secret_of(i).hex())
                              for i in range(first, first + count)), 0o644)


def setup_binary():
    """The staged swift-2fa-setup (run.sh stages it with install.sh), or BENCH_SETUP."""
    if os.environ.get("BENCH_SETUP"):
        return os.environ["BENCH_SETUP"]
    for directory, _, files in os.walk(os.path.join(bench.WORK, "stage")):
        if "swift-2fa-setup" in files:
            return os.path.join(directory, "swift-2fa-setup")
    sys.exit("fleet.py: no staged swift-2fa-setup (run Benchmarks/run.sh, or set BENCH_SETUP)")


def start_pooler(base, name, conninfo, timeout=3):
    """A configuration directory BASE/NAME with swift-2fa.conf naming `conninfo` and the
    pooler directory BASE/NAME/pooler; `db pooler write`, then `db pooler run` in the
    background. Returns (process, configuration file)."""
    directory = os.path.join(base, name)
    os.makedirs(directory, mode=0o755)
    os.chmod(directory, 0o755)
    path = os.path.join(directory, "swift-2fa.conf")
    bench.write(path, "database = %s\ndatabase_timeout = %d\npooler = %s/pooler\n" % (conninfo, timeout, directory), 0o600)
    setup = setup_binary()
    subprocess.run([setup, "db", "pooler", "write", "--config", path], check=True, stdout=subprocess.DEVNULL)
    process = subprocess.Popen([setup, "db", "pooler", "run", "--config", path],
                               stdout=subprocess.DEVNULL, stderr=open(os.path.join(base, name + ".log"), "w"))
    socket = os.path.join(directory, "pooler", ".s.PGSQL.6432")
    for _ in range(100):
        if os.path.exists(socket):
            break
        time.sleep(0.1)
    else:
        raise RuntimeError("the pooler %s did not start (see %s.log)" % (name, name))
    return process, path


def cold_chunk(base, env, service, first, count, name="chunk"):
    """Starts one bench-client cold run of `count` logins of users first.. and returns it."""
    chunk = os.path.join(base, name + ".txt")
    users_file(chunk, first, count)
    return subprocess.Popen([os.path.join(bench.BIN, "bench-client"), "cold", service, chunk, str(count),
                             os.path.join(bench.BIN, "bench-login")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def collect(process, samples, key, failed):
    out, _ = process.communicate()
    for line in out.splitlines():
        parts = line.split()
        if parts[:1] == ["COLD"]:
            if parts[2] != "0":
                failed[key] += 1
            else:
                samples[key].append(float(parts[1]) / 1000)


def cold(base, env, services, two_streams_offset, first):
    """COLD one-login processes per service, interleaved chunk by chunk, and fleet_unix as
    two concurrent streams of COLD each. `services` maps each service to the offset of its
    users: the fleet services have their own, so no code is replayed (file and permit use
    the file store's own users)."""
    keys = list(services) + ["fleet_unix_two_streams"]
    samples = {s: [] for s in keys}
    failed = {s: 0 for s in keys}
    for start in range(0, COLD, CHUNK):
        for service, offset in services.items():
            collect(cold_chunk(base, env, service, first + offset + start if service.startswith("fleet") else start, CHUNK),
                    samples, service, failed)
        streams = [cold_chunk(base, env, "fleet_unix", first + two_streams_offset + stream * COLD + start, CHUNK,
                              "stream%d" % stream) for stream in (0, 1)]
        for process in streams:
            collect(process, samples, "fleet_unix_two_streams", failed)
    return {s: {"logins": len(samples[s]), "failed": failed[s],
                "median_ms": round(statistics.median(samples[s]), 2) if samples[s] else None,
                "p99_ms": round(bench.percentile(samples[s], 99), 2) if samples[s] else None}
            for s in keys}


def callgrind(base, env, directory, first):
    """Instructions of one cold login (bench-login, whole process) for fleet_callgrind (the
    Unix-socket pooler with a long database_timeout, as valgrind is slow) and pam_permit;
    the module's part is the difference."""
    if shutil.which("valgrind") is None:
        return None
    objcopy = shutil.which("llvm-objcopy") or shutil.which("objcopy")
    # valgrind 3.19 cannot read the DWARF 5 debug info of the Swift build: a copy without it.
    copy = os.path.join(base, "pam_swift2fa.nodebug.so")
    subprocess.run([objcopy, "--strip-debug", bench.MODULE, copy], check=True)
    path = os.path.join(base, "pam.d", "fleet_callgrind")
    bench.write(path, open(path).read().replace(bench.MODULE, copy), 0o644)
    result = {}
    for index, service in enumerate(["fleet_callgrind", "permit"]):
        name, secret = bench.name_of(first + index), bench.secret_of(first + index)
        bench.wait_for_step_margin(15)
        outfile = os.path.join(base, "callgrind." + service)
        r = bench.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + outfile,
                       os.path.join(bench.BIN, "bench-login"), service, name, bench.totp_now(secret)], env, check=False)
        total = None
        if os.path.exists(outfile):
            for line in open(outfile):
                if line.startswith("summary:") or line.startswith("totals:"):
                    total = int(line.split()[1])
        result[service] = {"instructions": total, "login_ok": "RESULT 0 " in r.stdout}
    if result["fleet_callgrind"]["instructions"] and result["permit"]["instructions"]:
        result["module_part"] = result["fleet_callgrind"]["instructions"] - result["permit"]["instructions"]
    return result


def probe_latencies(directory, base, env):
    """Per-login times (ms) of the probe users, ROUNDS rounds of 3 logins each."""
    path = os.path.join(base, "probes.txt")
    users_file(path, 0, PROBES)
    samples, failed = [], 0
    for _ in range(ROUNDS):
        reset_probes(directory)
        bench.wait_for_step_margin()
        out = bench.run([os.path.join(bench.BIN, "bench-client"), "warm", "fleet_unix", path, str(PROBES), "1", "3"],
                        dict(env, LAT="1"), check=False).stdout
        samples += [float(line.split()[1]) / 1000 for line in out.splitlines() if line.startswith("LAT ")]
        m = re.search(r"WARM (\d+) (\d+)", out)
        failed += int(m.group(2)) if m else 1
    return samples, failed


def ratio(a, b):
    return round(a / b, 3) if a and b else None


def main():
    if bench.MODULE is None or not os.path.exists(bench.MODULE):
        sys.exit("fleet.py: no module (run Benchmarks/run.sh, or set BENCH_MODULE)")
    directory = tempfile.mkdtemp(prefix="swift-2fa-bench-pg.", dir="/tmp")
    base = os.path.join(bench.WORK, "fleet")
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(os.path.join(base, "pam.d"))
    results = {"module": bench.MODULE, "quick": QUICK}
    poolers = []
    try:
        pg("start", directory)
        port = pg("tls", directory)
        tls = ("host=127.0.0.1 port=%s dbname=twofa user=server_a sslmode=verify-full sslrootcert={d}/tls/ca.crt "
               "sslcert={d}/tls/client.crt sslkey={d}/tls/client.key" % port).format(d=directory)
        unix = start_pooler(base, "unix", pg("conninfo", directory, "server_a"))
        poolers.append(unix[0])
        over_tls = start_pooler(base, "tls", tls)
        poolers.append(over_tls[0])
        # The Unix-socket pooler again, with a deadline valgrind can meet.
        slow = os.path.join(base, "callgrind.conf")
        bench.write(slow, open(unix[1]).read().replace("database_timeout = 3", "database_timeout = 30"), 0o600)
        files = bench.make_dataset("fleet-file", COLD, 0)
        services = {
            "file": "auth required %s store=%s/s2fa\n" % (bench.MODULE, files),
            "fleet_unix": "auth required %s config=%s\n" % (bench.MODULE, unix[1]),
            "fleet_tls": "auth required %s config=%s\n" % (bench.MODULE, over_tls[1]),
            "fleet_callgrind": "auth required %s config=%s\n" % (bench.MODULE, slow),
            "permit": "auth required pam_permit.so\n",
            "other": "auth required pam_deny.so\naccount required pam_deny.so\n",
        }
        for service, text in services.items():
            bench.write(os.path.join(base, "pam.d", service), text, 0o644)
        total = PROBES + 4 * COLD + 2
        bench.PASSWD_USERS = max(bench.PASSWD_USERS, total)
        env = bench.environment(base, bench.make_passwd())
        bench.settle()

        enroll(directory, 0, PROBES)
        small, small_failed = probe_latencies(directory, base, env)

        first = PROBES
        enroll(directory, first, total)
        results["cold"] = cold(base, env, {"file": 0, "fleet_unix": 0, "fleet_tls": COLD, "permit": 0}, 2 * COLD, first)
        results["callgrind"] = callgrind(base, env, directory, first + 4 * COLD)

        enroll(directory, 0, BIG)
        big, big_failed = probe_latencies(directory, base, env)
        sql(directory, "DELETE FROM swift2fa.enrollment WHERE user_name >= '%s'" % bench.name_of(PROBES))
        sql(directory, "VACUUM ANALYZE swift2fa.enrollment")
        again, again_failed = probe_latencies(directory, base, env)
        small += again
        results["scaling"] = {
            "10": {"median_ms": round(statistics.median(small), 2) if small else None, "samples": len(small),
                   "failed": small_failed + again_failed},
            str(BIG): {"median_ms": round(statistics.median(big), 2) if big else None, "samples": len(big),
                       "failed": big_failed},
        }
        if small and big:
            results["scaling"]["ratio"] = round(statistics.median(big) / statistics.median(small), 3)
    finally:
        for process in poolers:
            process.send_signal(2)  # SIGINT: PgBouncer's safe shutdown
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        subprocess.run(["bash", PG, "stop", directory], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(directory, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(os.path.join(bench.WORK, "fleet-file"), ignore_errors=True)

    c = results["cold"]
    med = {k: v["median_ms"] for k, v in c.items()}
    results["ratios"] = {
        "fleet_unix_to_file": ratio(med["fleet_unix"], med["file"]),
        "fleet_tls_to_file": ratio(med["fleet_tls"], med["file"]),
        "two_streams_to_one": ratio(med["fleet_unix_two_streams"], med["fleet_unix"]),
        "users_%d_to_10" % BIG: results["scaling"].get("ratio"),
    }
    goals = {"fleet_unix_to_file": 1.3, "fleet_tls_to_file": 1.3, "two_streams_to_one": 1.3, "users_%d_to_10" % BIG: 1.1}
    print("\nfleet mode (through the local pooler)")
    for service, row in c.items():
        print("  cold %-23s median %6s ms  p99 %6s ms  (%d logins, %d failed)"
              % (service, row["median_ms"], row["p99_ms"], row["logins"], row["failed"]))
    s = results["scaling"]
    print("  per login, 10 users: %s ms; %d users: %s ms" % (s["10"]["median_ms"], BIG, s[str(BIG)]["median_ms"]))
    for key, value in results["ratios"].items():
        print("  %-22s %6s  (goal <= %s: %s)" % (key, value, goals[key],
                                                "met" if value is not None and value <= goals[key] else "NOT met"))
    g = results["callgrind"]
    if g:
        print("  callgrind: fleet login %s, pam_permit %s, module's part %s instructions (logins ok: %s, %s)"
              % (g["fleet_callgrind"]["instructions"], g["permit"]["instructions"], g.get("module_part"),
                 g["fleet_callgrind"]["login_ok"], g["permit"]["login_ok"]))
    os.makedirs(bench.OUT, exist_ok=True)
    path = os.path.join(bench.OUT, "fleet.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    print("wrote %s" % path)


if __name__ == "__main__":
    main()
