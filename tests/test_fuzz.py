"""Property-based: questions, histories, conversation states and whole API bodies (valid-shaped,
arbitrary JSON, raw bytes, lone surrogates, emoji, 2,000-character texts) never give a 5xx, a
traceback or a hang — over real HTTP, and through the library the CLI and the page call.

Fixed examples (derandomize): CI sees the same EXAMPLES cases every run. Each request has a
generous client timeout: a hang fails, a slow answer does not (no timing assertions here)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag import Assistant, Settings
from rag.errors import InputError
from rag.inputs import check_history, check_state

EXAMPLES = 1000
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
DOCS = ["dongzhi-2025-3", "dangzhang-2022", "jilv-chufen-tiaoli-2023", "nope", ""]
REAL = ["第8条要求什么？", "下一条", "那第9条呢？", "党章第三十二条", "流动党员怎么管理？", "第三部分讲什么？",
        "这个文件是谁印发的？", "What does item 12 require?", "第二十条", "这一条里关于党员的要求", "上一条"]

surrogate = st.integers(0xD800, 0xDFFF).map(chr)
cjk = st.sampled_from(list("第条八九十党章下一上条支部书记员组织建设工作要求流动管理？，。《》〔〕“”　"))
chars = st.one_of(cjk, cjk, cjk, st.characters())  # mostly text a user types; some of anything
short = st.text(alphabet=chars, max_size=40)
broken = st.builds(lambda a, c, b: a + c + b, short, surrogate, short)  # undecodable input, half an emoji
questions = st.one_of(
    st.sampled_from(REAL), st.sampled_from(REAL), short, short.map(lambda t: "第8条" + t), broken,
    st.builds(lambda n, t: f"第{n}条{t}", st.integers(-3, 10**12), st.text(alphabet=chars, max_size=6)),
    st.builds(lambda r, t: f"{r}{t}", st.sampled_from(REAL), short),
    st.text(alphabet=st.sampled_from(list("党建工作要求支部书记第条下一")), min_size=1950, max_size=2050),
)
histories = st.lists(st.one_of(st.sampled_from(REAL), questions), max_size=12)
valid_states = st.sampled_from([{"doc_id": "dongzhi-2025-3", "refs": ["8"]}, {"doc_id": "dangzhang-2022", "refs": ["32"]},
                                {"doc_id": "dongzhi-2025-3", "refs": ["19"]}, {"doc_id": "", "refs": []}])
states = st.one_of(st.none(), valid_states, st.fixed_dictionaries({
    "doc_id": st.one_of(st.sampled_from(DOCS), short, broken),
    "refs": st.lists(st.one_of(st.sampled_from(["1", "8", "19", "32", "preamble", "header", "lead", "²", "０", "-1"]),
                               short, broken), max_size=6)}))
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), short, broken),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(short, inner, max_size=4)),
    max_leaves=12)


@st.composite
def ask_bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["shaped", "shaped", "shaped", "json", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=120))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    body: dict[str, Any] = {"question": draw(st.one_of(questions, questions, questions, json_values))}
    if draw(st.booleans()):
        body["history"] = draw(st.one_of(histories, json_values))
    if draw(st.booleans()):
        body["state"] = draw(states)
    if draw(st.integers(0, 3)) == 0:
        body["mode"] = draw(st.sampled_from(["extractive", "llm", "EXTRACTIVE", ""]))
    return json.dumps(body).encode()  # ensure_ascii: a lone surrogate travels as \udXXX


paths = st.one_of(
    st.one_of(short, broken).map(lambda t: "/api/items/" + quote(t.encode("utf-8", "surrogatepass"), safe="")),
    st.tuples(st.sampled_from(DOCS), st.one_of(short, broken)).map(
        lambda p: f"/api/items/{p[0] or 'x'}/" + quote(p[1].encode("utf-8", "surrogatepass"), safe="")),
)


def assert_handled(resp: httpx.Response, what: object) -> None:
    """Below 500, JSON, and a Chinese message whenever it is not an answer."""
    assert resp.status_code < 500, (what, resp.text)
    assert resp.headers["content-type"].startswith("application/json")
    data = resp.json()
    if resp.status_code != 200:
        assert set(data) == {"error"} and any("\u4e00" <= ch <= "\u9fff" for ch in data["error"]), data
    assert "Traceback" not in resp.text


@pytest.fixture(scope="module")
def client(assistant: Assistant, settings: Settings) -> Iterator[httpx.Client]:
    from testserver import running

    import ui.app as ui_app
    from ui.runtime import AppState

    app = ui_app.build_app(AppState(settings, assistant))
    with running(app) as url, httpx.Client(base_url=url, timeout=60.0) as c:
        yield c


def test_api_never_fails_on_any_body(client: httpx.Client) -> None:
    answered: list[int] = []

    @SETTINGS
    @given(ask_bodies())
    def check(body: bytes) -> None:
        resp = client.post("/api/ask", content=body, headers={"content-type": "application/json"})
        assert_handled(resp, body)
        answered.append(resp.status_code == 200)

    check()
    assert sum(answered) >= len(answered) // 10  # the fuzz reaches answers, not only refusals


def test_api_never_fails_on_any_item_path(client: httpx.Client) -> None:
    @settings(SETTINGS, max_examples=EXAMPLES // 4)
    @given(paths)
    def check(path: str) -> None:
        assert_handled(client.get(path), path)

    check()


def test_library_raises_only_input_errors(assistant: Assistant) -> None:
    @SETTINGS
    @given(questions, histories, states)
    def check(question: str, history: list[str], state: dict[str, Any] | None) -> None:
        try:
            turns = check_history(history)
            before = check_state(state["doc_id"], state["refs"], assistant.catalog) if state else None
            answer = assistant.ask(question, turns, state=before)
        except InputError as err:
            assert str(err) and any("\u4e00" <= ch <= "\u9fff" for ch in str(err))
            return
        assert answer.text and answer.text.encode("utf-8")  # printable by every edge

    check()
