"""Registry latency: `history --at` and `status` over a log of 100,000 events, and the
runtime client's render with a warm cache.

    python bench/registry.py [--events 100000] [--prompts 200] [--registry URL] [--json FILE]

Without --registry the log is written to a fresh SQLite file under bench/work/registry/;
with a `postgresql://` URL it is written to that (empty) database. The log is generated
through the registry's own transaction API (promotions, canary steps, rollbacks across
three environments), so every event is chained and each label's state is real.

Timings: in-process query latency (p50/p95 over many random labels and instants) and the
time to check the whole audit chain, the
same answers through the command line (whole-process wall time, which includes Python's
start-up), and `Client.render` with a warm cache (label state within its TTL, bundle
verified once) with and without a rollout in flight.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVS = ("dev", "staging", "prod")


def bundle_documents(prompts: int, versions: int) -> list[dict]:
    from promptc.runtime import spec_hash

    from promptc import driver

    out = ROOT / "bench" / "work" / "registry" / "dist"
    built = driver.build(driver.open_project(ROOT / "examples" / "support-desk"), out=out)
    if not built.ok:
        raise SystemExit("the example project does not build")
    example = json.loads(next(out.glob("support.answer@*.json")).read_text())
    docs = []
    for p in range(prompts):
        for v in range(versions):
            doc = copy.deepcopy(example)
            doc["name"] = f"team{p % 17}.prompt{p}"
            doc["version"] = f"1.{v}.0"
            doc["spec"]["messages"][0]["content"].insert(0, {"kind": "text", "text": f"[{p}.{v}] "})
            doc["hash"] = spec_hash(doc["spec"])
            docs.append(doc)
    return docs


def generate(store, events: int, prompts: int, seed: int) -> dict:
    from promptc.registry import ops
    from promptc.registry.model import Arm, Release, Rollout
    from dataclasses import replace

    rng = random.Random(seed)
    versions = 5
    docs = bundle_documents(prompts, versions)
    started = time.perf_counter()
    ops.publish(store, [(d["name"], json.dumps(d).encode()) for d in docs], "bench")
    by_name: dict[str, list[Release]] = {}
    for d in docs:
        by_name.setdefault(d["name"], []).append(Release(d["version"], d["hash"]))
    names = sorted(by_name)
    written = len(docs)
    instants = []
    batch = 2000
    while written < events:
        with store.transaction() as tx:
            for _ in range(min(batch, events - written)):
                name, env = rng.choice(names), rng.choice(ENVS)
                state = tx.label(name, env)
                release = rng.choice(by_name[name])
                roll = rng.random()
                if state.stable is None or roll < 0.45:
                    if state.stable is not None and state.stable.hash == release.hash:
                        release = by_name[name][(by_name[name].index(release) + 1) % versions]
                    new = replace(state.with_stable(release), rollout=None)
                    event = tx.append("promote", name, env, actor="bench", reason="bench",
                                      old_hash=state.stable.hash if state.stable else None, new_hash=release.hash,
                                      state=new)
                elif roll < 0.85 and release.hash != state.stable.hash:
                    percent = rng.choice((100, 1000, 5000))
                    rollout = Rollout(f"{name}@{env}#{tx.seq + 1}", "canary", f"{name}@{env}#{tx.seq + 1}",
                                      (Arm("stable", state.stable.version, state.stable.hash, 10_000 - percent),
                                       Arm("candidate", release.version, release.hash, percent)), "",
                                      step=percent / 100)
                    event = tx.append("rollout", name, env, actor="bench", reason="bench",
                                      old_hash=state.stable.hash, new_hash=release.hash,
                                      state=replace(state, rollout=rollout))
                elif state.prior:
                    event = tx.append("rollback", name, env, actor="bench", reason="bench",
                                      old_hash=state.stable.hash, new_hash=state.prior[0].hash,
                                      state=replace(state, stable=state.prior[0], prior=state.prior[1:], rollout=None))
                else:
                    continue
                written += 1
                if rng.random() < 0.01:
                    instants.append((name, env, event.at))
    return {"events": store.head()[0], "seconds": round(time.perf_counter() - started, 1), "instants": instants,
            "names": names}


def percentiles(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {"p50_ms": round(1000 * statistics.median(samples), 3),
            "p95_ms": round(1000 * samples[int(0.95 * (len(samples) - 1))], 3), "n": len(samples)}


def time_queries(store, instants, names, rng) -> dict:
    from promptc.registry import queries

    history, status = [], []
    for name, env, at in rng.sample(instants, min(300, len(instants))):
        t = time.perf_counter()
        answer = queries.live_at(store, name, env, at)
        history.append(time.perf_counter() - t)
        assert answer["live"] is not None
    for env in ENVS * 10:
        t = time.perf_counter()
        queries.status(store, env)
        status.append(time.perf_counter() - t)
    from promptc.registry.model import verify_chain

    started = time.perf_counter()
    problems = verify_chain(list(store.iter_events()), store.head())
    assert not problems, problems[:3]
    return {"history_at": percentiles(history), "status_env": percentiles(status),
            "audit_verify_seconds": round(time.perf_counter() - started, 2)}


def time_cli(url: str, instants, rng) -> dict:
    exe = [sys.executable, "-m", "promptc.cli"]
    rows = {}
    for label, args in (
        ("history_at", ["history", instants[0][0], "--env", instants[0][1], "--at", instants[0][2]]),
        ("status", ["status"]),
    ):
        times = []
        for _ in range(5):
            t = time.perf_counter()
            subprocess.run([*exe, *args, "--registry", url, "--project", str(ROOT)], check=True,
                           stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
            times.append(time.perf_counter() - t)
        rows[label] = percentiles(times)
    return rows


def time_client(store, names) -> dict:
    from promptc.registry import ops
    from promptc.runtime.client import Client

    inputs = json.loads((ROOT / "examples" / "support-desk" / "inputs" / "answer.json").read_text())
    name = names[0]
    for env in ("bench-a", "bench-b"):
        ops.promote(store, name, "1.0.0", env, "bench")
    ops.rollout(store, name, "bench-b", "1.1.0", 2000, "bench")
    rows = {}
    for env, label in (("bench-a", "render_stable"), ("bench-b", "render_canary_with_key")):
        client = Client(store, env, ttl=3600)
        client.render(name, inputs, key="warm")
        times = []
        for i in range(2000):
            t = time.perf_counter()
            client.render(name, inputs, key=f"user-{i}")
            times.append(time.perf_counter() - t)
        rows[label] = percentiles(times)
        resolve = []
        for i in range(2000):
            t = time.perf_counter()
            client.resolve(name, key=f"user-{i}")
            resolve.append(time.perf_counter() - t)
        rows[label.replace("render", "resolve")] = percentiles(resolve)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--prompts", type=int, default=200)
    parser.add_argument("--registry", help="a registry URL (default: a fresh SQLite file)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "registry-results.json")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    from promptc.registry.backends import open_store

    url = args.registry
    if not url:
        work = ROOT / "bench" / "work" / "registry"
        work.mkdir(parents=True, exist_ok=True)
        for old in work.glob("registry.db*"):
            old.unlink()
        url = f"sqlite:///{work / 'registry.db'}"
    store = open_store(url)
    if store.head()[0]:
        raise SystemExit(f"{url} is not empty; give an empty registry")
    rng = random.Random(args.seed)
    made = generate(store, args.events, args.prompts, args.seed)
    result = {
        "backend": store.backend, "events": made["events"], "labels": len(store.labels()),
        "generate_seconds": made["seconds"],
        "in_process": time_queries(store, made["instants"], made["names"], rng),
        "cli_wall": time_cli(url, made["instants"], rng),
        "client": time_client(store, made["names"]),
        "python": platform.python_version(), "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d"),
    }
    print(json.dumps(result, indent=2))
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
