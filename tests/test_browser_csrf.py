"""Cross-site request forgery in a real browser (headless Chromium): the administrator has the app
open on http://127.0.0.1:<port>; a page served from another origin — http://localhost:<other> (another
site) and http://127.0.0.1:<other> (same site, another port) — tries, in the same browser, to add a
document (fetch with FormData and a real multipart form submission), remove one, rename and delete a
conversation and vote, through the JSON API and through Gradio's own upload and queue routes. With
and without --auth, the server's state afterwards is what it was before."""

from __future__ import annotations

import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import served_copy
from test_browser import ARGS, CHROMIUM
from test_csrf import _gradio_fn, _state
from test_ui_office import ARTICLES, TITLE

from rag import Assistant, Settings
from rag.db import conversations
from ui.runtime import AppState

ADMIN, PASSWORD = "admin", "pw-管理"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning", "ignore:The copy keyword:Warning"),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
]

ATTACK = """<!doctype html><meta charset="utf-8"><title>看看这个</title>
<iframe name="sink"></iframe>
<script>
const A = %(app)s, CID = %(cid)s, F = %(fns)s;
const results = {};
const note = (name) => (r) => { results[name] = r && r.type !== undefined ? r.type + ':' + r.status : String(r); };
const file = () => new File([%(text)s], 'evil.txt', {type: 'text/plain'});
const form = () => { const fd = new FormData(); fd.append('files', file()); return fd; };
const join = (fn, data, event_data) => fetch(A + '/gradio_api/queue/join', {method: 'POST', credentials: 'include',
  headers: {'content-type': 'application/json'},
  body: JSON.stringify({data, event_data, fn_index: F[fn][0], trigger_id: F[fn][1], session_hash: 'evil' + fn})});
const noCors = (method, path, body) => fetch(A + path, {method, body, mode: 'no-cors', credentials: 'include'});
const tries = [
  ['add-fetch', () => noCors('POST', '/api/documents?wait=1', form())],
  ['add-text', () => noCors('POST', '/api/documents', new Blob(['x'], {type: 'text/plain'}))],
  ['remove', () => fetch(A + '/api/documents/dangzhang-2022?wait=1', {method: 'DELETE', credentials: 'include'})],
  ['rename', () => fetch(A + '/api/conversations/' + CID, {method: 'PATCH', credentials: 'include',
                                                          headers: {'content-type': 'application/json'},
                                                          body: JSON.stringify({title: '被改名'})})],
  ['delete', () => fetch(A + '/api/conversations/' + CID, {method: 'DELETE', credentials: 'include'})],
  ['gradio-upload', () => noCors('POST', '/gradio_api/upload', form())],
  ['gradio-add', () => fetch(A + '/gradio_api/upload', {method: 'POST', body: form(), credentials: 'include'})
      .then(r => r.json()).catch(() => ['/tmp/evil.txt'])
      .then(paths => join('on_add', [[{path: paths[0], orig_name: 'evil.txt', meta: {_type: 'gradio.FileData'}}]],
                          null))],
  ['gradio-remove', () => join('on_docs_click', [], {action: 'remove-doc', doc: 'dangzhang-2022'})],
  ['gradio-rename', () => join('on_convs', [null, null], {action: 'rename', id: CID, title: '被改名'})],
  ['gradio-delete', () => join('on_convs', [null, null], {action: 'delete', id: CID})],
  ['gradio-vote', () => join('on_click', [null, null, null, null], {action: 'vote', turn: 0, vote: 'down'})],
];
(async () => {
  for (const [name, go] of tries) {
    try { note(name)(await go()); } catch (err) { note(name)(err.name); }
  }
  // a plain HTML form, the oldest trick: multipart POST with a file, into a hidden frame
  const f = document.createElement('form');
  f.method = 'POST'; f.enctype = 'multipart/form-data'; f.target = 'sink';
  f.action = A + '/api/documents?wait=1';
  const input = document.createElement('input'); input.type = 'file'; input.name = 'files';
  const dt = new DataTransfer(); dt.items.add(file()); input.files = dt.files;
  f.appendChild(input); document.body.appendChild(f);
  const sink = document.querySelector('iframe');
  await new Promise((done) => { sink.onload = done; f.submit(); setTimeout(done, 20000); });
  results['form'] = 'submitted';
  window.djResults = results;
})();
</script>"""


@pytest.fixture()
def private(tmp_path: Path, assistant: Assistant, settings: Settings) -> Iterator[AppState]:
    with served_copy(tmp_path, assistant, settings, admins=(ADMIN,)) as own:
        yield own


class _Pages(http.server.BaseHTTPRequestHandler):
    page = b""

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args: Any) -> None:
        pass


def _attacker(page: str) -> tuple[http.server.ThreadingHTTPServer, int]:
    handler = type("Attack", (_Pages,), {"page": page.encode("utf-8")})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, int(server.server_address[1])


@pytest.mark.parametrize("auth", [False, True], ids=["local", "login"])
def test_a_page_on_another_origin_changes_nothing(private: AppState, ui_module: Any, auth: bool) -> None:
    from playwright.sync_api import sync_playwright
    from testserver import running

    blocks = ui_module.build_demo(private)
    app = ui_module.create_app(private, auth=(ADMIN, PASSWORD) if auth else None, blocks=blocks)
    fns = {name: _gradio_fn(blocks, name) for name in ("on_add", "on_docs_click", "on_convs", "on_click")}
    with running(app) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        servers = []
        try:
            creds = {"username": ADMIN, "password": PASSWORD} if auth else None
            ctx = browser.new_context(locale="zh-CN", http_credentials=creds)
            victim = ctx.new_page()
            victim.set_default_timeout(60_000)
            victim.goto(url + "/")  # the administrator's own tab: logged in, visitor cookie set
            victim.wait_for_function("(document.querySelector('.dj-convs-where') || {}).textContent?.includes('保存')")
            visitor = ""
            for _ in range(100):  # the page sets its visitor cookie as it boots (HttpOnly: not seen by page JS)
                visitor = next((c["value"] for c in ctx.cookies() if c["name"] == "dj_visitor"), "")
                if visitor or auth:
                    break
                victim.wait_for_timeout(100)
            assert visitor or auth, "the page set no visitor cookie"
            owner = f"user:{ADMIN}" if auth else f"visitor:{visitor}"
            cid = conversations.store_for(private.settings).create(owner, "第8条要求什么？")
            before = _state(private, owner, cid)
            page = ATTACK % {"app": json.dumps(url), "cid": json.dumps(cid), "fns": json.dumps(fns),
                             "text": json.dumps("\n".join([TITLE, *ARTICLES]))}  # a regulation that would parse
            for host in ("localhost", "127.0.0.1"):  # another site; the same site on another port
                server, port = _attacker(page)
                servers.append(server)
                evil = ctx.new_page()
                evil.set_default_timeout(60_000)
                evil.goto(f"http://{host}:{port}/")
                results = evil.wait_for_function("window.djResults").json_value()
                assert set(results) >= {"add-fetch", "remove", "rename", "gradio-add", "gradio-vote", "form"}, results
                assert not any(str(v).endswith(":200") or str(v).endswith(":202") for v in results.values()), results
                private.jobs.wait()
                assert _state(private, owner, cid) == before, (host, results)
            # the administrator's own page still works (its requests are same-origin)
            victim.reload()
            victim.wait_for_function("(document.querySelector('.dj-convs-where') || {}).textContent?.includes('保存')")
            assert victim.evaluate("""async (cid) => (await fetch('/api/conversations/' + cid, {method: 'PATCH',
                headers: {'content-type': 'application/json'}, body: JSON.stringify({title: '党章学习'})})).status""",
                                   cid) == 200
            assert conversations.store_for(private.settings).get(owner, cid).title == "党章学习"
        finally:
            for server in servers:
                server.shutdown()
            browser.close()
