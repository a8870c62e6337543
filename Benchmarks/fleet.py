#!/usr/bin/env python3
"""swift-2fa fleet-mode benchmark: the module with `database =` against a throwaway
PostgreSQL (Tests/fleet/pg.sh), through real libpam under pam_wrapper and nss_wrapper,
with the clients of bench.py (bench-client, bench-login). Run by Benchmarks/run.sh after
bench.py (BENCH_ONLY=fleet runs only this); see Benchmarks/README.md.

Phases: cold logins (one process each) over a Unix socket, over TLS with a client
certificate and, when pgbouncer is installed, through PgBouncer (transaction pooling, on a
Unix socket), interleaved with pam_permit; warm logins per second from 1 and 2 threads
(one process, a new connection per login as always); the per-login time with 10 and with
100,000 users enrolled in the database (10 first, then 100,000, then back to 10)."""
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
WARM = 50 if QUICK else 150
PROBES = 10
ROUNDS = 2 if QUICK else 4
BIG = 10000 if QUICK else 100000


def pg(*args):
    result = subprocess.run(["bash", PG] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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


def config(base, name, conninfo):
    path = os.path.join(base, name + ".conf")
    bench.write(path, "database = %s\ndatabase_timeout = 3\n" % conninfo, 0o600)
    return path


def start_bouncer(directory):
    """PgBouncer (transaction pooling) in front of the primary, on a Unix socket in
    `directory`, as the postgres user; returns the process and its connection string for
    server_a. None when pgbouncer is not installed (apt-get install pgbouncer)."""
    binary = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None)
    if binary is None:
        return None
    port = open(os.path.join(directory, "port")).read().strip()
    sockets = os.path.join(directory, "bouncer.sock")
    os.makedirs(sockets, mode=0o700)
    ini, users = os.path.join(directory, "bouncer.ini"), os.path.join(directory, "bouncer.users")
    bench.write(ini, "[databases]\ntwofa = host=%s/primary.sock port=%s dbname=twofa\n"
                     "[pgbouncer]\nlisten_addr =\nlisten_port = %s\nunix_socket_dir = %s\nauth_type = trust\n"
                     "auth_file = %s\npool_mode = transaction\nmax_client_conn = 200\ndefault_pool_size = 10\n"
                     "logfile = %s/bouncer.log\n" % (directory, port, port, sockets, users, directory))
    bench.write(users, '"server_a" ""\n')
    subprocess.run(["chown", "-R", "postgres:", sockets, ini, users], check=True)
    process = subprocess.Popen(["runuser", "-u", "postgres", "--", binary, ini],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(50):
        if os.path.exists(os.path.join(sockets, ".s.PGSQL.%s" % port)):
            break
        time.sleep(0.1)
    return process, "host=%s port=%s dbname=twofa user=server_a" % (sockets, port)


def cold(base, env, services, first):
    """COLD one-login processes per service, interleaved chunk by chunk. `services` maps
    each service to the offset of its users: the fleet services have their own, so no code
    is replayed (pam_permit checks none)."""
    samples = {s: [] for s in services}
    failed = {s: 0 for s in services}
    for start in range(0, COLD, CHUNK):
        for service, offset in services.items():
            chunk = os.path.join(base, "chunk.txt")
            users_file(chunk, first + offset + start, CHUNK)
            out = bench.run([os.path.join(bench.BIN, "bench-client"), "cold", service, chunk, str(CHUNK),
                             os.path.join(bench.BIN, "bench-login")], env, check=False).stdout
            for line in out.splitlines():
                parts = line.split()
                if parts[:1] == ["COLD"]:
                    if parts[2] != "0":
                        failed[service] += 1
                    else:
                        samples[service].append(float(parts[1]) / 1000)
    return {s: {"logins": len(samples[s]), "failed": failed[s],
                "median_ms": round(statistics.median(samples[s]), 2) if samples[s] else None,
                "p99_ms": round(bench.percentile(samples[s], 99), 2) if samples[s] else None}
            for s in services}


def warm(base, env, first, threads):
    path = os.path.join(base, "warm.txt")
    users_file(path, first, WARM)
    bench.wait_for_step_margin()
    out = bench.run([os.path.join(bench.BIN, "bench-client"), "warm", "fleet_unix", path, str(WARM),
                     str(threads), "3"], env, check=False).stdout
    m = re.search(r"WARM (\d+) (\d+) ([\d.]+) ([\d.]+)", out)
    if not m:
        return {"ok": 0, "failed": -1, "logins_per_s": None}
    return {"ok": int(m.group(1)), "failed": int(m.group(2)), "logins_per_s": round(float(m.group(4)), 1)}


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


def main():
    if bench.MODULE is None or not os.path.exists(bench.MODULE):
        sys.exit("fleet.py: no module (run Benchmarks/run.sh, or set BENCH_MODULE)")
    directory = tempfile.mkdtemp(prefix="swift-2fa-bench-pg.", dir="/tmp")
    base = os.path.join(bench.WORK, "fleet")
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(os.path.join(base, "pam.d"))
    results = {"module": bench.MODULE, "quick": QUICK}
    bouncer = None
    try:
        pg("start", directory)
        port = pg("tls", directory)
        tls = ("host=127.0.0.1 port=%s dbname=twofa user=server_a sslmode=verify-full sslrootcert={d}/tls/ca.crt "
               "sslcert={d}/tls/client.crt sslkey={d}/tls/client.key" % port).format(d=directory)
        bouncer = start_bouncer(directory)
        services = {
            "fleet_unix": "auth required %s config=%s\n" % (bench.MODULE, config(base, "unix", pg("conninfo", directory, "server_a"))),
            "fleet_tls": "auth required %s config=%s\n" % (bench.MODULE, config(base, "tls", tls)),
            "permit": "auth required pam_permit.so\n",
            "other": "auth required pam_deny.so\naccount required pam_deny.so\n",
        }
        if bouncer:
            services["fleet_bouncer"] = "auth required %s config=%s\n" % (bench.MODULE, config(base, "bouncer", bouncer[1]))
        for service, text in services.items():
            bench.write(os.path.join(base, "pam.d", service), text, 0o644)
        bench.PASSWD_USERS = max(bench.PASSWD_USERS, PROBES + 3 * COLD + 2 * WARM)
        env = bench.environment(base, bench.make_passwd())

        enroll(directory, 0, PROBES)
        small, small_failed = probe_latencies(directory, base, env)

        first = PROBES
        paths = ["fleet_unix", "fleet_tls"] + (["fleet_bouncer"] if bouncer else [])
        enroll(directory, first, first + len(paths) * COLD + 2 * WARM)
        offsets = {path: index * COLD for index, path in enumerate(paths)}
        results["cold"] = cold(base, env, dict(offsets, permit=0), first)
        first += len(paths) * COLD
        results["warm_1"] = warm(base, env, first, 1)
        results["warm_2"] = warm(base, env, first + WARM, 2)

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
        if bouncer:
            bouncer[0].terminate()
            bouncer[0].wait()
        subprocess.run(["bash", PG, "stop", directory], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(directory, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)

    print("\nfleet mode")
    for service, row in results["cold"].items():
        print("  cold %-11s median %6s ms  p99 %6s ms  (%d logins, %d failed)"
              % (service, row["median_ms"], row["p99_ms"], row["logins"], row["failed"]))
    for key in ("warm_1", "warm_2"):
        row = results[key]
        print("  %s: %s logins/s (%d ok, %d failed)" % (key, row["logins_per_s"], row["ok"], row["failed"]))
    s = results["scaling"]
    print("  per login, 10 users: %s ms; %d users: %s ms; ratio %s"
          % (s["10"]["median_ms"], BIG, s[str(BIG)]["median_ms"], s.get("ratio")))
    os.makedirs(bench.OUT, exist_ok=True)
    path = os.path.join(bench.OUT, "fleet.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    print("wrote %s" % path)


if __name__ == "__main__":
    main()
