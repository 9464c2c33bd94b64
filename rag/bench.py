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
import random
import re
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

import numpy as np

KINDS: dict[str, tuple[str, ...]] = {
    "reference": ("item_lookup", "article_lookup"),
    "keyword": ("keyword",),
    "paraphrase": ("paraphrase",),
    "out_of_scope": ("out_of_scope",),
}
QUESTION_SETS = ("eval/questions.jsonl", "eval/questions-extra.jsonl")
COLD_QUESTIONS = {"ask_ref_s": "第8条要求什么？", "ask_ref_doc_s": "党章第三十二条",
                  "ask_search_s": "怎样管理流动党员？"}
_COPY_MARK = re.compile(r"（合成\d+）")
DEFAULT_SIZES = (2000, 10000, 100000)
CAVEAT = ("合成语料由随附文件复制、打乱条文而成，重复文本的向量取自缓存：重复文本使向量检索比真实数据容易，"
          "近似检索的召回率另在加噪向量上测量（recall_at_10_perturbed）。")

Notify = Callable[[str], None]


# -- synthetic corpora --------------------------------------------------------------------------


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # JSON string escapes are valid TOML


def _manifest_entry(fields: dict[str, object]) -> str:
    lines = ["[[documents]]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in fields.items() if v not in ("", (), None)]
    return "\n".join(lines) + "\n"


def _meta_fields(meta: Any) -> dict[str, object]:
    keys = ("doc_id", "file", "title", "doc_number", "issuer", "date", "kind", "primary", "aliases")
    return {k: getattr(meta, k) for k in keys if getattr(meta, k, None) not in (None, False)}


def _copy_text(doc: Any, copy_no: int, rng: random.Random) -> str:
    """A regulation-shaped text: the marked title, then the numbered units in shuffled order."""
    units = [u for u in doc.units if u.ref.isdigit()]
    rng.shuffle(units)
    body = "\n\n".join(f"第{u.ref}条　{u.text}" for u in units)
    return f"{doc.meta.title}（合成{copy_no}）\n\n{body}\n"


def _chunk_count(doc: Any, *, numbered_only: bool = False) -> int:
    return sum(1 + len(u.sentences) for u in doc.units if not numbered_only or u.ref.isdigit())


def synthesise(src: Path, dst: Path, chunks: int, *, seed: int = 0) -> None:
    """A corpus folder of about `chunks` chunks: shipped documents first, then shuffled copies."""
    from .corpus import load_corpus

    docs = load_corpus(src)
    dst.mkdir(parents=True, exist_ok=True)
    entries: list[str] = []
    total = 0
    for doc in docs:
        if total >= chunks and entries:
            break
        shutil.copy2(src / doc.meta.file, dst / doc.meta.file)
        entries.append(_manifest_entry(_meta_fields(doc.meta)))
        total += _chunk_count(doc)
    copy_no = 0
    while total < chunks:
        copy_no += 1
        rng = random.Random(seed * 100003 + copy_no)
        for doc in docs:
            if total >= chunks:
                break
            name = f"synth-{copy_no:03d}-{doc.doc_id}"
            (dst / f"{name}.txt").write_text(_copy_text(doc, copy_no, rng), encoding="utf-8")
            entries.append(_manifest_entry({"doc_id": name, "file": f"{name}.txt",
                                            "title": f"{doc.meta.title}（合成{copy_no}）",
                                            "kind": "regulation"}))
            total += _chunk_count(doc, numbered_only=True)
    (dst / "manifest.toml").write_text("\n".join(entries), encoding="utf-8")


class MemoEmbedder:
    """Wraps the real embedder; texts that differ only by a copy mark are embedded once."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.embedder_id: str = inner.embedder_id
        self.memo: dict[str, np.ndarray] = {}
        self.fresh = 0

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        keys = [_COPY_MARK.sub("", t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self.memo))
        for start in range(0, len(missing), 64):
            part = missing[start:start + 64]
            for key, vec in zip(part, self.inner.encode(part), strict=True):
                self.memo[key] = vec
            self.fresh += len(part)
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.memo[k] for k in keys]).astype(np.float32)


# -- questions ----------------------------------------------------------------------------------


def questions_by_kind(root: Path) -> dict[str, list[str]]:
    """Questions without history from the eval sets, grouped into the four kinds."""
    out: dict[str, list[str]] = {k: [] for k in KINDS}
    for rel in QUESTION_SETS:
        path = root / rel
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("history"):
                continue
            for kind, cats in KINDS.items():
                if row.get("category") in cats:
                    out[kind].append(str(row["question"]))
    return out


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

    from .config import Settings
    from .pipeline import Assistant

    start = time.perf_counter()
    settings = replace(Settings.from_env(), corpus_dir=corpus, index_dir=index)
    assistant = Assistant.open(settings)
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
    from .stores import recall_report

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
            "from rag.embed import make_embeddings; from rag.baseline import NaiveBaseline; "
            "NaiveBaseline(Path(sys.argv[1]), make_embeddings(Settings.from_env())).ask(sys.argv[2])")
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
                search = [stats["by_kind"][k] for k in ("keyword", "paraphrase", "out_of_scope")]
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
        spec = StoreSpec("milvus", given.milvus_uri or str(work / f"milvus-{size}.db"), "", given.milvus_token)
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


def run(sizes: Sequence[int], *, root: Path, repeat: int = 3, cold_repeat: int = 5, sweep: bool = False,
        stores: Sequence[str] = ("auto",), quick: bool = False,
        notify: Notify = lambda _m: None) -> dict[str, Any]:
    """The full benchmark; returns the JSON report."""
    from .config import Settings
    from .embed import make_embeddings

    root = root.resolve()
    src = root / "corpus"
    questions = questions_by_kind(root)
    load_before = os.getloadavg()
    emb = MemoEmbedder(make_embeddings(Settings.from_env()))
    report: dict[str, Any] = {"sizes": [], "caveat": CAVEAT}
    with tempfile.TemporaryDirectory(prefix="dangjian-bench-") as tmp:
        work = Path(tmp)
        if not quick:
            notify("增量构建：先建不含一份条例的索引，再 add 它")
            report["incremental"] = incremental(src, work, repeat=max(1, cold_repeat // 2))
            shipped, shipped_index = work / "corpus-add", work / "index-add"
            notify("冷启动（子进程）")
            report["cold"] = cold_starts(shipped, shipped_index, work, repeat=cold_repeat)
            report["cold"]["serve_ready_s"] = serve_ready(shipped, shipped_index, work)
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
                         "threads": os.environ.get("DANGJIAN_THREADS", "")}
    return report


def _ratios(cold: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    keys = ("help_s", "ask_ref_s", "ask_ref_doc_s", "ask_search_s")
    numpy_s, base_s = cold["numpy_s"] or 1e-9, baseline["cold_ask_s"] or 1e-9
    return {"vs_numpy": {k: round(cold[k] / numpy_s, 2) for k in keys},
            "vs_baseline": {k: round(cold[k] / base_s, 2) for k in keys}}


def markdown(report: dict[str, Any]) -> str:
    """The report as the markdown written to eval/bench.md."""
    la = report["load_avg"]
    return "\n".join([
        "# Speed benchmark", "",
        f"Regenerate: `dangjian bench --sizes {','.join(str(s['chunks']) for s in report['sizes'])} "
        "--out eval/bench.md` "
        f"(sizes are approximate targets; `chunks` is what was built).",
        f"Machine: {report['machine']['cpus']} CPUs, Python {report['machine']['python']}; "
        f"load average before {la['before']}, after {la['after']}; "
        f"DANGJIAN_THREADS={report['machine']['threads'] or 'default'}.",
        "", CAVEAT, "", *_sizes_markdown(report["sizes"]), *_cold_markdown(report),
        *_threads_markdown(report.get("threads")), *_incremental_markdown(report.get("incremental")),
    ])


def _sizes_markdown(sizes: Sequence[dict[str, Any]]) -> list[str]:
    kinds = list(KINDS)
    head = ("| chunks | build s | embedded | load s | RSS MiB | p50 ms | p95 ms | "
            + " | ".join(f"{k} p50/p95" for k in kinds) + " | dense | recall@10 | recall@10 perturbed |")
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    for s in sizes:
        cells = [str(s["chunks"]), f"{s['build_s']:.1f}", str(s["embedded"]), f"{s['load_s']:.2f}",
                 f"{s['rss_mb']:.0f}", f"{s['p50_ms']:.2f}", f"{s['p95_ms']:.2f}"]
        cells += [f"{s['by_kind'][k]['p50_ms']:.2f} / {s['by_kind'][k]['p95_ms']:.2f}"
                  if k in s["by_kind"] else "—" for k in kinds]
        cells += [str(s.get("dense_store", "")), _fmt(s.get("recall_at_10")),
                  _fmt(s.get("recall_at_10_perturbed"))]
        rows.append("| " + " | ".join(cells) + " |")
    return ["## Per corpus size", "",
            "Load = open the index and answer one free question in a fresh process; "
            "p50/p95 = warm `ask` over the eval questions of each kind; RSS = peak of that process; "
            "embedded = texts the build had to "
            "embed (the rest repeat and come from the memo or the previous index).", "", *rows, ""]


def _cold_markdown(report: dict[str, Any]) -> list[str]:
    cold, base = report.get("cold"), report.get("baseline")
    if not cold or not base:
        return []
    rows = ["| cold start | s | × numpy import | × naive baseline |", "|---|---|---|---|"]
    for key in ("help_s", "ask_ref_s", "ask_ref_doc_s", "ask_search_s"):
        label = "`dangjian --help`" if key == "help_s" else f"`dangjian ask \"{COLD_QUESTIONS[key]}\"`"
        ratios = f"{cold['vs_numpy'][key]:.2f} | {cold['vs_baseline'][key]:.2f}"
        rows.append(f"| {label} | {cold[key]:.3f} | {ratios} |")
    rows.append(f"| `python -c \"import numpy\"` | {cold['numpy_s']:.3f} | 1.00 | |")
    rows.append(f"| naive LangChain baseline (build + 1 question) | {base['cold_ask_s']:.3f} | | 1.00 |")
    rows.append(f"| `dangjian serve` until /healthz answers | {cold['serve_ready_s']:.3f} | | |")
    return ["## Cold start (fresh process, shipped corpus, median)", "", *rows, "",
            f"Naive baseline warm: p50 {base['p50_ms']:.2f} ms, p95 {base['p95_ms']:.2f} ms over "
            f"{base['chunks']} chunks.", ""]


def _incremental_markdown(inc: dict[str, Any] | None) -> list[str]:
    if not inc:
        return []
    return ["## Incremental build (fresh processes)", "",
            f"Shipped corpus without `{inc['added']}`: first build {inc['first_build_s']:.2f} s; "
            f"`dangjian add` of it {inc['add_one_s']:.2f} s; `dangjian index` with nothing changed "
            f"{inc['rebuild_unchanged_s']:.2f} s.", ""]


def _threads_markdown(sweep: dict[str, Any] | None) -> list[str]:
    if not sweep:
        return []
    rows = ["## DANGJIAN_THREADS (shipped corpus; \"loaded\" = a busy loop on the other core)", "",
            "| setting | encode 1 question p50 / p95 ms | build embedding chunks/s "
            "| search p50 / p95 ms (worst kind) |",
            "|---|---|---|---|"]
    for name, v in sweep.items():
        rows.append(f"| {name} | {v['question_p50_ms']:.2f} / {v['question_p95_ms']:.2f} | "
                    f"{v['build_chunks_per_s']:.0f} | {v['search_p50_ms']:.2f} / {v['search_p95_ms']:.2f} |")
    return [*rows, ""]


def _fmt(value: object) -> str:
    return "—" if value is None else f"{float(value):.3f}"  # type: ignore[arg-type]
