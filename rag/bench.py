"""`dangjian bench`: speed at several corpus sizes, cold starts and the naive baseline, in one run.

Corpora are synthesised from the shipped documents: the shipped corpus (or its first documents,
for sizes below it), then copies of every document with a new doc_id, a marked title and its
numbered articles shuffled, until the size is reached. Copies repeat the shipped texts, so their
vectors come from a memo (100k chunks need about 2.5k embeddings). Repeated texts make dense
search easier than real data would: the report says so, and approximate search is also checked
on perturbed vectors (`recall_at_10_perturbed`).

Everything that is timed runs in a fresh subprocess (cold starts, load, warm questions, RSS) or
around one library call (build), so the numbers are those a user sees. Library code stays silent:
progress goes to the `notify` callback the CLI passes in.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .bench_corpus import COLD_QUESTIONS, KINDS, MemoEmbedder, questions_by_kind, synthesise
from .bench_report import CAVEAT, markdown
from .config import Settings

__all__ = [
    "KINDS",
    "STORES",
    "MemoEmbedder",
    "markdown",
    "questions_by_kind",
    "run",
    "serve_stats",
    "synthesise",
]

Notify = Callable[[str], None]


def _percentile(values: Sequence[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def _rss_peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# -- the worker: one fresh process that loads an index and answers ------------------------------


def serve_stats(corpus: Path, index: Path, questions: dict[str, list[str]], *, repeat: int,
                encoder: bool = False) -> dict[str, Any]:
    """Load (open + first free question), then warm latencies per kind, peak RSS, ANN recall;
    with `encoder`, also the question encoder's latency and the build's embedding rate."""
    from dataclasses import replace

    from .assistant import open_assistant

    start = time.perf_counter()
    settings = replace(Settings.from_env(), corpus_dir=corpus, index_dir=index)
    assistant = open_assistant(settings, build_if_missing=True)
    assistant.ask(COLD_QUESTIONS["ask_search_s"])
    load_s = time.perf_counter() - start
    every = [q for qs in questions.values() for q in qs]
    for q in every:  # warm-up: first use of each code path
        assistant.ask(q)
    by_kind: dict[str, list[float]] = {k: [] for k in questions}
    for _ in range(repeat):
        for kind, qs in questions.items():
            for q in qs:
                t0 = time.perf_counter()
                assistant.ask(q)
                by_kind[kind].append((time.perf_counter() - t0) * 1000)
    out: dict[str, Any] = {"load_s": round(load_s, 3), "by_kind": {}}
    for kind, lat in by_kind.items():
        out["by_kind"][kind] = {"n": len(lat), "p50_ms": round(_percentile(lat, 50), 2),
                                "p95_ms": round(_percentile(lat, 95), 2)}
    every_lat = [x for lat in by_kind.values() for x in lat]
    out["p50_ms"] = round(_percentile(every_lat, 50), 2)
    out["p95_ms"] = round(_percentile(every_lat, 95), 2)
    out["rss_mb"] = _rss_peak_mb()  # before the recall check, which builds a second store
    if encoder:
        out["encoder"] = _encoder_stats(assistant, [q for qs in questions.values() for q in qs])
    free = [q for k in ("keyword", "paraphrase", "out_of_scope") for q in questions.get(k, [])]
    out.update(_recall(assistant, free))
    return out


def _encoder_stats(assistant: Any, questions: Sequence[str]) -> dict[str, float]:
    """One question at a time (what a question pays) and batches of 64 chunk texts (what a build pays)."""
    from .chunking import embed_text

    emb = assistant.emb
    lat = []
    for q in questions:
        t0 = time.perf_counter()
        emb.encode([q])
        lat.append((time.perf_counter() - t0) * 1000)
    texts = [embed_text(c) for c in assistant.index.chunks[:512]]
    t0 = time.perf_counter()
    for start in range(0, len(texts), 64):
        emb.encode(texts[start:start + 64])
    rate = len(texts) / (time.perf_counter() - t0)
    return {"question_p50_ms": round(_percentile(lat, 50), 2),
            "question_p95_ms": round(_percentile(lat, 95), 2),
            "build_chunks_per_s": round(rate, 1)}


def _recall(assistant: Any, questions: Sequence[str]) -> dict[str, Any]:
    """Recall@10 of the index's dense store against exact search (None where it is exact)."""
    if not hasattr(assistant.index, "dense"):  # an index without pluggable stores (the code before)
        return {"dense_store": "flat", "recall_at_10": None, "recall_at_10_perturbed": None}
    from .stores.recall import recall_report

    return recall_report(assistant.index, assistant.emb, questions, k=10)


# -- subprocess measurements --------------------------------------------------------------------


def _env(corpus: Path, index: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DANGJIAN_CORPUS_DIR": str(corpus), "DANGJIAN_INDEX_DIR": str(index),
                "DANGJIAN_STORE": "auto"})  # the local index these measure (Milvus: `measure_size`)
    return env


def _run(cmd: Sequence[str], env: dict[str, str], cwd: Path) -> float:
    """Wall time of one subprocess; a failure is an error, not a fast number."""
    t0 = time.perf_counter()
    proc = subprocess.run(list(cmd), env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr[-500:]}")
    return elapsed


def _median_run(cmd: Sequence[str], env: dict[str, str], cwd: Path, repeat: int) -> float:
    return round(statistics.median(_run(cmd, env, cwd) for _ in range(max(1, repeat))), 3)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "rag", *args]


def cold_starts(corpus: Path, index: Path, cwd: Path, *, repeat: int) -> dict[str, Any]:
    """`--help`, a reference question and a free question, each in a fresh process."""
    env = _env(corpus, index)
    out: dict[str, Any] = {
        "python_s": _median_run([sys.executable, "-c", "pass"], env, cwd, repeat),
        "numpy_s": _median_run([sys.executable, "-c", "import numpy"], env, cwd, repeat),
        "help_s": _median_run(_cli("--help"), env, cwd, repeat),
    }
    for key, question in COLD_QUESTIONS.items():
        out[key] = _median_run(_cli("ask", question), env, cwd, repeat)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_ready(corpus: Path, index: Path, cwd: Path, *, timeout_s: float = 120.0) -> float:
    """Seconds from launching `dangjian serve` until /healthz answers 200."""
    port = _free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(_cli("serve", "--port", str(port)), env=_env(corpus, index), cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - t0 < timeout_s:
            if proc.poll() is not None:
                raise RuntimeError(f"dangjian serve exited {proc.returncode} before it was ready")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return round(time.perf_counter() - t0, 3)
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dangjian serve was not ready in time")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def incremental(src: Path, work: Path, *, repeat: int) -> dict[str, Any]:
    """Build the shipped corpus without one regulation, then time `dangjian add` of it and an
    unchanged `dangjian index` (both in fresh processes, as a user runs them)."""
    from .corpus import read_manifest

    corpus, index = work / "corpus-add", work / "index-add"
    shutil.copytree(src, corpus)
    metas = read_manifest(corpus)
    last = next(m for m in reversed(metas) if not m.primary)
    held = work / last.file
    shutil.move(corpus / last.file, held)
    text = (corpus / "manifest.toml").read_text(encoding="utf-8")
    blocks = text.split("[[documents]]")
    kept = [b for b in blocks if f'doc_id = "{last.doc_id}"' not in b]
    (corpus / "manifest.toml").write_text("[[documents]]".join(kept), encoding="utf-8")
    env = _env(corpus, index)
    first = _run(_cli("index"), env, work)
    add = _run(_cli("add", str(held), "--doc-id", last.doc_id, "--title", last.title,
                    "--kind", "regulation"), env, work)
    again = _median_run(_cli("index"), env, work, repeat)
    return {"first_build_s": round(first, 3), "add_one_s": round(add, 3), "rebuild_unchanged_s": again,
            "added": last.doc_id}


def _worker(corpus: Path, index: Path, questions: dict[str, list[str]], repeat: int, cwd: Path, *,
            threads: int | None = None, extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    qfile = cwd / "questions.json"
    qfile.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    cmd = _cli("bench", "--worker", str(qfile), "--repeat", str(repeat))
    env = {**_env(corpus, index), **(extra_env or {})}
    if threads is not None:
        cmd.append("--worker-encoder")
        env["DANGJIAN_THREADS"] = str(threads)
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"bench worker exited {proc.returncode}: {proc.stderr[-800:]}")
    return dict(json.loads(proc.stdout))


def _baseline(corpus: Path, cwd: Path, questions: dict[str, list[str]], emb: Any, *,
              repeat: int) -> dict[str, Any]:
    """The naive LangChain baseline (rag/baseline.py): cold start with one question, warm latency."""
    code = ("import sys; from pathlib import Path; from rag.config import Settings; "
            "from rag.embed import make_embedder; from rag.baseline import NaiveBaseline; "
            "NaiveBaseline(Path(sys.argv[1]), make_embedder(Settings.from_env())).ask(sys.argv[2])")
    cold = _median_run([sys.executable, "-c", code, str(corpus), COLD_QUESTIONS["ask_search_s"]],
                       dict(os.environ), cwd, repeat)
    from .baseline import NaiveBaseline

    base = NaiveBaseline(corpus, emb.inner)  # the real encoder: questions are not memoised
    every = [q for qs in questions.values() for q in qs]
    for q in every:
        base.ask(q)
    lat = []
    for _ in range(repeat):
        for q in every:
            t0 = time.perf_counter()
            base.ask(q)
            lat.append((time.perf_counter() - t0) * 1000)
    return {"cold_ask_s": cold, "chunks": len(base.chunks), "p50_ms": round(_percentile(lat, 50), 2),
            "p95_ms": round(_percentile(lat, 95), 2)}


def threads_sweep(corpus: Path, index: Path, cwd: Path, questions: dict[str, list[str]], *,
                  repeat: int) -> dict[str, Any]:
    """DANGJIAN_THREADS 1 and 2, on the machine as it is and with a busy loop on every other core."""
    out: dict[str, Any] = {}
    for loaded in (False, True):
        busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(max(1, (os.cpu_count() or 2) - 1))] if loaded else []
        try:
            for threads in (1, 2):
                stats = _worker(corpus, index, questions, repeat, cwd, threads=threads)
                search = [stats["by_kind"][k] for k in ("keyword", "paraphrase", "out_of_scope", "real")
                          if k in stats["by_kind"]]
                out[f"{'loaded' if loaded else 'as_is'}_threads_{threads}"] = {
                    **stats["encoder"], "search_p50_ms": max(x["p50_ms"] for x in search),
                    "search_p95_ms": max(x["p95_ms"] for x in search)}
        finally:
            for proc in busy:
                proc.kill()
                proc.wait()
    return out


# -- the whole run ------------------------------------------------------------------------------


STORES = {"auto": None, "flat": 10**12, "ivf": 0, "milvus": None}  # exact_max_rows passed to the build


def measure_size(size: int, src: Path, work: Path, emb: MemoEmbedder, questions: dict[str, list[str]],
                 *, repeat: int, store: str = "auto") -> dict[str, Any]:
    """Synthesise, build (in this process), then load and query in a fresh one. Milvus: Milvus Lite
    in a file of the work folder, unless DANGJIAN_MILVUS_URI names a server."""
    from . import index as ix
    from .config import Settings, StoreSpec

    corpus, index = work / f"corpus-{size}", work / f"index-{size}-{store}"
    if not corpus.exists():
        synthesise(src, corpus, size)
    fresh_before = emb.fresh
    limit = STORES[store]
    kwargs: dict[str, Any] = {} if limit is None else {"exact_max_rows": limit}
    env: dict[str, str] = {}
    if store == "milvus":
        given = Settings.from_env()
        spec = StoreSpec(
            "milvus", given.milvus_uri or str(work / f"milvus-{size}.db"), "", given.milvus_token
        )
        kwargs["store"] = spec
        env = {"DANGJIAN_STORE": "milvus", "DANGJIAN_MILVUS_URI": spec.uri}
    t0 = time.perf_counter()
    built = ix.build(corpus, index, emb, **kwargs)
    build_s = time.perf_counter() - t0
    counts = built.manifest["counts"]
    del built
    if store == "milvus":
        from .stores.milvus import release

        release(spec)  # the worker process opens the Milvus Lite file: this one lets go of it
    stats = _worker(corpus, index, questions, repeat, work, extra_env=env)
    return {"chunks": counts["chunks"], "documents": counts["documents"], "store_choice": store,
            "build_s": round(build_s, 3),
            "embedded": emb.fresh - fresh_before, **stats}


def run(sizes: Sequence[int], *, corpus: Path, question_files: Sequence[Path], repeat: int = 3,
        cold_repeat: int = 5, sweep: bool = False, stores: Sequence[str] = ("auto",), quick: bool = False,
        notify: Notify = lambda _m: None, settings: Settings | None = None) -> dict[str, Any]:
    """The full benchmark over the documents of `corpus`, timing the questions of `question_files`;
    returns the JSON report. `settings`: the embedder and threads (default: the
    environment's); the timed subprocesses get the environment as it is."""
    settings = settings or Settings.from_env()
    from .embed import make_embedder

    src = corpus.resolve()
    questions = questions_by_kind(question_files)
    load_before = os.getloadavg()
    emb = MemoEmbedder(make_embedder(settings))
    report: dict[str, Any] = {"sizes": [], "caveat": CAVEAT}
    with tempfile.TemporaryDirectory(prefix="dangjian-bench-") as tmp:
        work = Path(tmp)
        if not quick:
            notify("增量构建：先建不含一份条例的索引，再 add 它")
            report["incremental"] = incremental(src, work, repeat=max(1, cold_repeat // 2))
            shipped, shipped_index = work / "corpus-add", work / "index-add"
            notify("冷启动（子进程）")
            report["cold"] = cold_starts(shipped, shipped_index, work, repeat=cold_repeat)
            report["cold"]["serve_ready_s"] = round(statistics.median(  # one start varies by ±0.2 s
                serve_ready(shipped, shipped_index, work) for _ in range(max(1, cold_repeat // 2 + 1))), 3)
            notify("朴素 LangChain 基线")
            report["baseline"] = _baseline(src, work, questions, emb, repeat=repeat)
            report["cold"].update(_ratios(report["cold"], report["baseline"]))
            if sweep:
                notify("线程数：1 与 2，原样与另一核满载")
                report["threads"] = threads_sweep(shipped, shipped_index, work, questions, repeat=repeat)
        for size in sizes:
            for store in stores:
                notify(f"规模 {size}（{store}）：合成、构建、加载、提问")
                size_report = measure_size(size, src, work, emb, questions, repeat=repeat, store=store)
                report["sizes"].append(size_report)
    load_after = os.getloadavg()
    report["load_avg"] = {"before": [round(x, 2) for x in load_before],
                          "after": [round(x, 2) for x in load_after]}
    report["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                         "threads": settings.threads}
    return report


def _ratios(cold: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    keys = ("help_s", "ask_ref_s", "ask_ref_doc_s", "ask_search_s")
    numpy_s, base_s = cold["numpy_s"] or 1e-9, baseline["cold_ask_s"] or 1e-9
    return {"vs_numpy": {k: round(cold[k] / numpy_s, 2) for k in keys},
            "vs_baseline": {k: round(cold[k] / base_s, 2) for k in keys}}


