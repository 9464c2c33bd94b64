"""The HTTP API and the mounted Gradio app, against a real uvicorn server on a loopback port."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_openai import FakeOpenAI, fake_openai  # noqa: F401 - fixture

from rag import Settings
from rag.config import MAX_QUESTION_CHARS
from rag.llm import AI_NOTE, FAILED_CHECK_NOTE

ROOT = Path(__file__).resolve().parent.parent
DOC = "dongzhi-2025-3"
pytestmark = pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning",
                                        "ignore:The copy keyword:Warning")
CITATION_KEYS = {"doc_id", "ref", "label", "title", "section", "quote"}
# units per shipped regulation: its lead (where it has one), preamble (党章's 总纲) and articles
REGULATION_UNITS = {"dangzhang-2022": ["lead", "preamble", *map(str, range(1, 56))],
                    "jilv-chufen-tiaoli-2023": ["lead", *map(str, range(1, 159))],
                    "jiguan-jiceng-zuzhi-gongzuo-tiaoli-2019": ["lead", *map(str, range(1, 44))],
                    "dangyuan-jiaoyu-guanli-gongzuo-tiaoli-2019": ["lead", *map(str, range(1, 47))],
                    "fazhan-dangyuan-gongzuo-xize-2026": ["lead", *map(str, range(1, 45))],
                    "lijie-jieyue-fandui-langfei-tiaoli-2025": ["lead", *map(str, range(1, 64))],
                    "dangshi-xuexi-jiaoyu-gongzuo-tiaoli-2024": ["lead", *map(str, range(1, 35))]}


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30.0) as c:
        yield c


def assert_clean_error(resp: httpx.Response, status: int | tuple[int, ...]) -> str:
    statuses = status if isinstance(status, tuple) else (status,)
    assert resp.status_code in statuses, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in resp.text and "File \"" not in resp.text
    return str(body["error"])


def test_healthz(client: httpx.Client) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["documents"] == 8  # the notice and seven regulations
    assert body["units"] == 21 + sum(len(u) for u in REGULATION_UNITS.values())
    assert body["llm"] is False


def test_ask_contract(client: httpx.Client) -> None:
    resp = client.post("/api/ask", json={"question": "第8条要求什么？"})
    assert resp.status_code == 200
    body = resp.json()
    assert {"question", "answer", "abstained", "citations", "retrieved", "timings_ms"} <= set(body)
    assert body["question"] == "第8条要求什么？" and body["abstained"] is False
    assert "〔第8条〕" in body["answer"]
    assert body["citations"] and all(set(c) == CITATION_KEYS for c in body["citations"])
    assert {(c["doc_id"], c["ref"], c["label"]) for c in body["citations"]} == {(DOC, "8", "第8条")}
    assert body["retrieved"] == [f"{DOC}#8"]
    assert body["timings_ms"]["total"] >= 0


def test_ask_with_history_and_mode(client: httpx.Client) -> None:
    body = client.post("/api/ask", json={"question": "那第9条呢？", "history": ["第8条要求什么？"],
                                         "mode": "extractive"}).json()
    assert {c["ref"] for c in body["citations"]} == {"9"}


def test_ask_abstains(client: httpx.Client) -> None:
    body = client.post("/api/ask", json={"question": "今天天气怎么样？"}).json()
    assert body["abstained"] is True and body["citations"] == [] and body["suggestions"] == []


def test_items(client: httpx.Client) -> None:
    item = client.get("/api/items/8").json()
    assert set(item) == {"doc_id", "ref", "label", "title", "section", "text", "sentences"}
    assert item["doc_id"] == DOC and item["ref"] == "8" and item["title"] == "深化“四强”党支部建设"
    assert item["section"].startswith("三、") and item["sentences"][1] in item["text"]
    assert client.get("/api/items/header").json()["label"] == "文件头"
    assert client.get("/api/items/preamble").json()["label"] == "总体要求"
    assert client.get(f"/api/items/{DOC}%238").json()["ref"] == "8"
    assert client.get(f"/api/items/{DOC}/9").json()["ref"] == "9"
    for missing in ("99", "nope", "other-doc%238"):
        assert_clean_error(client.get(f"/api/items/{missing}"), 404)


@pytest.mark.parametrize(("payload", "status"), [
    ({"question": ""}, 400),
    ({"question": "   "}, 400),
    ({"question": "党" * (MAX_QUESTION_CHARS + 1)}, 400),
    ({"question": 8}, 422),
    ({"question": ["第8条"]}, 422),
    ({}, 422),
    ({"question": "第8条", "history": "第7条"}, 422),
    ({"question": "第8条", "history": [1]}, 422),
    ({"question": "第8条", "history": [""]}, 400),
    ({"question": "第8条", "mode": "gpt"}, 422),
    ({"question": "第8条", "mode": "llm"}, 400),  # no LLM configured on this server
    ([1, 2], 422),
])
def test_bad_requests_are_json_errors(client: httpx.Client, payload: Any, status: int) -> None:
    message = assert_clean_error(client.post("/api/ask", json=payload), status)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)  # a Chinese message


def test_invalid_json_and_methods(client: httpx.Client) -> None:
    msg = assert_clean_error(client.post("/api/ask", content=b"{bad json",
                                         headers={"content-type": "application/json"}), 400)
    assert "JSON" in msg
    assert_clean_error(client.post("/api/ask", content=b"question=1"), (400, 422))
    assert_clean_error(client.get("/api/ask"), 405)
    assert "过长" in assert_clean_error(client.post("/api/ask", json={"question": "x" * 2001}), 400)


def test_parallel_asks(client: httpx.Client) -> None:
    jobs = [(f"第{n}条要求什么？", [], str(n)) for n in range(1, 20)]
    jobs += [("那下一条呢？", [f"第{n}条要求什么？"], str(n + 1)) for n in range(1, 12)]

    def run(job: tuple[str, list[str], str]) -> tuple[int, set[str], str]:
        question, history, _want = job
        resp = client.post("/api/ask", json={"question": question, "history": history})
        return resp.status_code, {c["ref"] for c in resp.json().get("citations", [])}, job[2]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, jobs))
    assert len(results) == 30
    for status, refs, want in results:
        assert status == 200 and refs == {want}


def test_openapi_docs_and_ui_page(client: httpx.Client) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/api/ask", "/api/items/{ref}", "/healthz"} <= set(spec["paths"])
    page = client.get("/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    config = client.get("/config").json()
    assert config["analytics_enabled"] is False


def test_page_head_is_the_products_not_gradios(client: httpx.Client) -> None:
    """What a link preview (WeChat, DingTalk: no JavaScript) and the browser tab show: the page's
    own title, favicon and og tags in the HTML itself; the theme pinned to light (ui/head.py)."""
    from ui.head import DESCRIPTION

    html = client.get("/?item=8").text
    head = html.split("</head>")[0]
    assert '<html\n\tlang="zh-CN"' in html and "<title>党建文件问答</title>" in head
    assert '<link rel="icon" href="favicon.ico" type="image/svg+xml"' in head
    assert '<meta property="og:title" content="党建文件问答" />' in head
    assert f'<meta property="og:description" content="{DESCRIPTION}" />' in head
    assert '<meta name="theme-color" content="#b3261e" />' in head and 'content="noindex"' in head
    tags = re.findall(r"<(?:meta|link|title)\b[^>]*>", head)
    assert not [t for t in tags if "gradio" in t.lower() or "twitter:" in t or "Click to try" in t], tags
    assert head.count('property="og:title"') == 1 and "header-image.jpg" not in head
    assert '<gradio-app theme_mode="light"' in html
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert b"#b3261e" in icon.content and b"gradio" not in icon.content.lower()
    page = client.get("/")  # Content-Length follows the rewritten body
    assert int(page.headers["content-length"]) == len(page.content)


def test_index_and_corpus_are_not_served(client: httpx.Client, settings: Settings) -> None:
    for path in (settings.index_dir / "manifest.json", settings.corpus_dir / "manifest.toml"):
        resp = client.get(f"/gradio_api/file={path.resolve()}")
        assert resp.status_code in (403, 404), resp.status_code
        assert "doc_id" not in resp.text and "format" not in resp.text.lower()[:50]


def test_gradio_client_predict(base_url: str) -> None:
    from gradio_client import Client

    result = Client(base_url + "/", verbose=False).predict("第8条要求什么？", api_name="/ask")
    transcript = result[0] if isinstance(result, (list, tuple)) else result
    assert "〔第8条〕" in transcript and 'class="dj-cite"' in transcript


def test_auth_guards_api(server: Any) -> None:
    from fastapi.testclient import TestClient

    import ui.app as module

    app = module.build_app(server, auth=("branch", "s3cret"))
    with TestClient(app) as tc:
        assert_clean_error(tc.get("/healthz"), 401)  # counts are not for strangers (ui/auth.py)
        assert tc.get("/livez").json() == {"status": "ok"}
        assert tc.get("/healthz", auth=("branch", "s3cret")).json()["status"] == "ok"
        assert_clean_error(tc.post("/api/ask", json={"question": "第8条要求什么？"}), 401)
        assert_clean_error(tc.get("/api/items/8", auth=("branch", "wrong")), 401)
        assert tc.get("/api/items/8", auth=("branch", "s3cret")).status_code == 200
        assert tc.get("/config").status_code == 401  # the Gradio page needs a login too
    assert module.parse_auth("") is None and module.parse_auth("a:b:c") == ("a", "b:c")
    with pytest.raises(module.DangjianError):
        module.parse_auth("no-colon")


def test_serve_rejects_malformed_auth(capsys: pytest.CaptureFixture[str]) -> None:
    from rag.cli import main

    assert main(["serve", "--auth", "no-colon", "--port", "1"]) == 1  # fails before loading anything
    assert "用户名:密码" in capsys.readouterr().err


# -- "mode": "llm" against the scripted OpenAI-compatible server ------------------------------

Q8 = "第8条要求什么？"


@pytest.fixture(scope="module")
def llm_base_url(ui_module: Any, server: Any, fake_openai: FakeOpenAI) -> Iterator[str]:  # noqa: F811
    """A second server whose settings name the fake endpoint (model "good_8", 3 s timeout)."""
    from testserver import running

    from ui.runtime import AppState

    cfg = replace(server.settings, llm_base_url=fake_openai.base_url, llm_model="good_8", llm_timeout_s=3)
    app = ui_module.build_app(AppState(cfg, server.assistant()))
    with running(app) as url:
        yield url


@pytest.fixture()
def llm_client(llm_base_url: str, fake_openai: FakeOpenAI) -> Iterator[httpx.Client]:  # noqa: F811
    fake_openai.reset()
    with httpx.Client(base_url=llm_base_url, timeout=30.0) as c:
        yield c
    fake_openai.reset()


def test_ask_llm_contract(llm_client: httpx.Client) -> None:
    assert llm_client.get("/healthz").json()["llm"] is True
    resp = llm_client.post("/api/ask", json={"question": Q8, "mode": "llm"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert {"question", "answer", "abstained", "kind", "citations", "retrieved", "suggestions", "timings_ms",
            "generated", "verification", "notes"} <= set(body)
    assert body["generated"] is True and body["kind"] == "llm" and body["abstained"] is False
    assert body["notes"] == [AI_NOTE]
    assert body["answer"].startswith("第8条要求深化“四强”党支部建设。〔第8条〕") and "⚠" not in body["answer"]
    assert body["citations"] and all(set(c) == CITATION_KEYS for c in body["citations"])
    assert {(c["doc_id"], c["ref"]) for c in body["citations"]} == {(DOC, "8")}
    v = body["verification"]
    assert v["ok"] is True and v["flagged_ratio"] == 0 and v["flagged"] == [] and v["cited"] == [f"{DOC}#8"]
    assert body["timings_ms"]["total"] >= body["timings_ms"]["llm"] > 0
    # the extractive mode of the same server is untouched
    plain = llm_client.post("/api/ask", json={"question": Q8}).json()
    assert plain["generated"] is False and plain["verification"] is None and plain["notes"] == []


def test_ask_llm_fabricated_falls_back(llm_client: httpx.Client, fake_openai: FakeOpenAI) -> None:  # noqa: F811
    fake_openai.force = "fabricated_25"
    body = llm_client.post("/api/ask", json={"question": Q8, "history": [], "mode": "llm"}).json()
    plain = llm_client.post("/api/ask", json={"question": Q8, "mode": "extractive"}).json()
    assert body["generated"] is False and body["notes"] == [FAILED_CHECK_NOTE]
    assert "第25条" not in body["answer"] and body["answer"] == plain["answer"]
    assert body["citations"] == plain["citations"]
    v = body["verification"]
    assert v["ok"] is False and v["flagged_ratio"] > v["threshold"]
    assert any("unknown_citation" in f["flags"] for f in v["flagged"])


def test_ask_llm_refusal_and_errors(llm_client: httpx.Client, fake_openai: FakeOpenAI) -> None:  # noqa: F811
    body = llm_client.post("/api/ask", json={"question": "今天天气怎么样？", "mode": "llm"}).json()
    assert body["abstained"] is True and body["generated"] is False and fake_openai.requests == []
    assert "过长" in assert_clean_error(
        llm_client.post("/api/ask", json={"question": "党" * (MAX_QUESTION_CHARS + 1), "mode": "llm"}), 400)
    msg = assert_clean_error(llm_client.post("/api/ask", json={"question": Q8, "mode": "LLM"}), 422)
    assert "extractive 或 llm" in msg
    fake_openai.force = "http_500"
    body = llm_client.post("/api/ask", json={"question": Q8, "mode": "llm"}).json()
    assert body["generated"] is False and body["notes"] == ["大模型暂不可用（服务出错，HTTP 500），以下为原文摘录。"]
    assert "〔第8条〕" in body["answer"]


def test_ask_llm_not_configured(client: httpx.Client) -> None:
    msg = assert_clean_error(client.post("/api/ask", json={"question": Q8, "mode": "llm"}), 400)
    assert msg.startswith("未配置大模型") and "DANGJIAN_LLM_BASE_URL" in msg


def test_gradio_client_llm_mode(llm_base_url: str) -> None:
    from gradio_client import Client

    result = Client(llm_base_url + "/", verbose=False).predict(Q8, "llm", api_name="/ask")
    transcript = result[0] if isinstance(result, (list, tuple)) else result
    assert AI_NOTE in transcript and 'class="dj-cite"' in transcript and "dj-pending" not in transcript
