"""The 新任书记入门 API over real HTTP: tour, duties (JSON, .docx, .md), glossary, quiz round and check."""

from __future__ import annotations

import io
from collections.abc import Iterator
from types import ModuleType
from urllib.parse import quote, unquote

import httpx
import pytest
from onboarding_checks import assert_passage_json

from rag.onboarding import Onboarding
from ui.runtime import AppState

pytestmark = pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning",
                                        "ignore:The copy keyword:Warning")


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30.0) as c:
        yield c


def _error(resp: httpx.Response, status: int) -> str:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"} and body["error"]
    return str(body["error"])


def test_tour(client: httpx.Client, onboarding: Onboarding) -> None:
    body = client.get("/api/tour").json()
    assert body["total"] == 26 and len(body["steps"]) == 26
    for step in body["steps"]:
        for line in step["lines"]:
            assert_passage_json(line, onboarding.docs)
    one = client.get("/api/tour", params={"step": 12}).json()
    assert one["open"] == "dongzhi-2025-3#8" and one["prev"] == 11 and one["next"] == 13
    doc_id, _sep, ref = one["open"].partition("#")  # every step opens its unit
    assert client.get(f"/api/items/{doc_id}/{ref}").json()["label"] == "第8条"
    assert client.get("/api/items/" + quote(one["open"], safe="")).status_code == 200
    assert "共26步" in _error(client.get("/api/tour", params={"step": 99}), 404)
    assert "整数" in _error(client.get("/api/tour", params={"step": "x"}), 404)


def test_duties_json_by_short_and_full_name(client: httpx.Client, onboarding: Onboarding) -> None:
    body = client.get("/api/duties/" + quote("支部书记")).json()
    assert body["role"] == "支部书记" and body["count"] >= 20 and len(body["documents"]) >= 3
    for group in body["groups"]:
        for duty in group["duties"]:
            assert_passage_json(duty, onboarding.docs)
            assert duty["frequency"] in duty["text"]
    assert body["calendar"][0]["when"] == "每月"
    full = client.get("/api/duties/" + quote("党组（党委）书记")).json()
    assert full["role"] == "党组书记"
    roles = client.get("/api/duties").json()["roles"]
    assert [r["role"] for r in roles] == ["支部书记", "党组书记", "纪委委员", "党务干部", "党员"]
    assert "可用" in _error(client.get("/api/duties/" + quote("局长")), 404)


def test_duties_exports(client: httpx.Client) -> None:
    import docx

    resp = client.get("/api/duties/" + quote("支部书记") + ".docx")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/vnd.openxml")
    assert "职责清单.docx" in unquote(resp.headers["content-disposition"])
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(resp.content)).paragraphs)
    assert "支部书记（机关党支部）职责清单" in text and "〔《中国共产党发展党员工作细则》第十一条〕" in text
    md = client.get("/api/duties/" + quote("党员") + ".md")
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert md.text.startswith("# 普通党员职责清单")
    _error(client.get("/api/duties/" + quote("局长") + ".docx"), 404)


def test_glossary(client: httpx.Client, onboarding: Onboarding) -> None:
    body = client.get("/api/glossary").json()
    assert body["count"] >= 25 and 0 < body["defined"] < body["count"]
    entry = client.get("/api/glossary/" + quote("三会一课")).json()
    assert entry["defined"] is False and entry["note"].startswith("已收录文件未给出定义")
    for line in entry["lines"]:
        assert_passage_json(line, onboarding.docs)
    assert client.get("/api/glossary/" + quote("党支部")).json()["defined"] is True
    assert "四强党支部" in _error(client.get("/api/glossary/" + quote("四强")), 404)


def test_quiz_round_and_check(client: httpx.Client, onboarding: Onboarding) -> None:
    body = client.get("/api/quiz", params={"n": 10, "seed": "7"}).json()
    assert body["seed"] == "7" and len(body["questions"]) == 10
    assert all("answer" not in q and "explanation" not in q for q in body["questions"])
    assert client.get("/api/quiz", params={"n": 10, "seed": "7"}).json() == body  # same seed, same round
    by_id = {q.id: q for q in onboarding.questions}
    answers = [{"id": q["id"], "answer": by_id[q["id"]].answer if i % 2 == 0 else "不知道"}
               for i, q in enumerate(body["questions"])]
    result = client.post("/api/quiz/check", json={"answers": answers}).json()
    assert result["score"] == 5 and result["total"] == 10 and len(result["wrong"]) == 5
    for row in result["results"]:
        assert row["answer"] == by_id[row["id"]].answer
        assert_passage_json(row["explanation"], onboarding.docs)
    assert client.get("/api/quiz").json()["seed"]  # a seed is chosen and returned when none is given


@pytest.mark.parametrize(("params", "message"), [({"n": 0}, "1 到 50"), ({"n": 99}, "1 到 50"), ({"n": "x"}, "整数")])
def test_quiz_bad_round_size(client: httpx.Client, params: dict[str, object], message: str) -> None:
    assert message in _error(client.get("/api/quiz", params=params), 400)


def test_quiz_check_rejects_bad_bodies(client: httpx.Client) -> None:
    assert "没有这道题" in _error(client.post("/api/quiz/check", json={"answers": [{"id": "x", "answer": "1"}]}), 400)
    assert "answers" in _error(client.post("/api/quiz/check", json={"answer": []}), 422)


def test_onboarding_routes_use_the_app_auth(ui_module: ModuleType, server: AppState) -> None:
    from testserver import running

    app = ui_module.build_app(server, auth=("branch", "s3cret"))
    with running(app) as url, httpx.Client(base_url=url, timeout=30.0) as c:
        for path in ("/api/tour", "/api/duties/" + quote("党员"), "/api/glossary", "/api/quiz?n=1"):
            _error(c.get(path), 401)
            assert c.get(path, auth=("branch", "s3cret")).status_code == 200
        _error(c.post("/api/quiz/check", json={"answers": []}), 401)
