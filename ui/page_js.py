"""The page's scripts (gr.HTML `js_on_load` bodies). A module so they ship with the package.

GLOBAL runs once (in the header): lang, the aria-live region, toasts, copy without the HTTPS-only
Clipboard API, Space on role=button elements, the phone's bottom sheets and drawer (one at a time,
over a backdrop; a link's article opens as a sheet), the ask timer,
then the visitor cookie (`GET api/session`) and the boot event with the page's link (?q ?item ?doc).
DELEGATE (in every HTML part with buttons) turns a click on a [data-action] element into that
component's event, with the element's data-* as the payload, and puts focus back on the same
control after the part re-renders. TRANSCRIPT scrolls to a new answer, announces it and shows the
time the user waited. DOWNLOAD saves an export the server returned. `ask_from_box` empties the
question box the moment a question is sent from it (the Gradio API's path). FLOW is the page's own
asking: a queue of questions sent one at a time, each echoed at once, answered turn by turn.
"""

from __future__ import annotations

import json

# action → the gr.HTML event it fires (the handler bound to that event dispatches on `action`)
EVENTS: dict[str, str] = {
    "source": "select", "item": "select", "doc": "select", "open": "select",
    "export-answer": "download", "export-conversation": "download", "export-item": "download",
    "ob-export": "download", "duties": "expand", "tab": "expand", "rename": "submit", "delete": "delete",
}
GLOBAL_ACTIONS = ("copy", "close-sheet", "drawer")

GLOBAL = """
if (!window.__dj) {
  const dj = window.__dj = {waits: {}, askStart: 0};
  document.documentElement.lang = 'zh-CN';
  const live = document.createElement('div');
  live.id = 'dj-live'; live.className = 'dj-sr'; live.setAttribute('role', 'status');
    live.setAttribute('aria-live', 'polite');
  document.body.appendChild(live);
  dj.announce = (text) => { live.textContent = ''; setTimeout(() => { live.textContent = text; }, 60); };
  dj.narrow = () => window.matchMedia('(max-width: 820px)').matches;
  dj.toast = (title, text, error) => {
    let box = document.getElementById('dj-toasts');
    if (!box) { box = document.createElement('div'); box.id = 'dj-toasts'; document.body.appendChild(box); }
    const t = document.createElement('div');
    t.className = 'dj-toast' + (error ? ' dj-toast-error' : ''); t.setAttribute('role',
      error ? 'alert' : 'status');
    const b = document.createElement('b'); b.textContent = title; t.appendChild(b);
    const s = document.createElement('span'); s.textContent = text; t.appendChild(s);
    box.appendChild(t); setTimeout(() => t.remove(), 3200);
  };
  dj.copy = (text) => {
    const area = document.createElement('textarea');
    area.value = text; area.setAttribute('readonly', ''); area.style.position = 'fixed';
      area.style.opacity = '0';
    area.style.top = '0'; area.style.left = '0'; document.body.appendChild(area);
    const active = document.activeElement; area.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    area.remove(); if (active && active.focus) active.focus({preventScroll: true});
    if (!ok && navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).catch(() => null); ok = true; }
    dj.lastCopy = text;
    return ok;
  };
  // Gradio prefixes the page's @media rules with its container, so state classes go on the parts
  // themselves, never on <body>.
  // On a phone the source panel (#dj-side) and the 目录's article (#dj-item-col) are bottom sheets and
  // the conversation list a drawer: one open at a time, over a backdrop that closes it when tapped.
  const part = (id) => document.getElementById(id) || document.createElement('div');
  const SHEETS = ['dj-side', 'dj-item-col'];
  const backdrop = document.createElement('div');
  backdrop.id = 'dj-backdrop'; backdrop.setAttribute('aria-hidden', 'true');
  document.body.appendChild(backdrop);
  const sync = () => {
    const open = [...SHEETS, 'dj-sidebar'].some((id) => part(id).classList.contains('dj-open'));
    backdrop.classList.toggle('dj-on', open && dj.narrow());
  };
  dj.closeAll = () => { [...SHEETS, 'dj-sidebar'].forEach((id) => part(id).classList.remove('dj-open'));
    sync(); };
  dj.sheet = (open, id) => {
    dj.closeAll();
    if (open && dj.narrow()) part(id || 'dj-side').classList.add('dj-open');
    sync();
  };
  dj.drawer = (open) => { dj.closeAll(); if (open) part('dj-sidebar').classList.add('dj-open'); sync(); };
  backdrop.addEventListener('click', (ev) => { ev.preventDefault(); dj.closeAll(); });
  window.matchMedia('(max-width: 820px)').addEventListener('change', () => dj.closeAll());
  document.addEventListener('click', (ev) => {
    const el = ev.target.closest('[data-action]');
    if (!el) return;
    const a = el.dataset.action;
    if (a === 'copy') {
      ev.preventDefault();
      const src = document.getElementById(el.dataset.copy);
      if (!src) return;
      const ok = dj.copy(src.value);
      dj.toast(ok ? '已复制' : '复制失败', ok ? '内容已复制到剪贴板（含出处）' : '请手动选中文字后复制', !ok);
    } else if (a === 'close-sheet') { ev.preventDefault(); dj.sheet(false); }
    else if (a === 'drawer') { ev.preventDefault();
      dj.drawer(!part('dj-sidebar').classList.contains('dj-open')); }
  });
  document.addEventListener('keydown', (ev) => {
    const t = ev.target;
    if ((ev.key === ' ' || ev.key === 'Enter') && t.matches
        && t.matches('[role="button"]:not(button):not(input):not(textarea)')) {
      ev.preventDefault(); t.click();
    }
    if (ev.key === 'Escape') dj.closeAll();
    if (ev.key === 'Enter' && !ev.shiftKey && t.closest && t.closest('#dj-question')) {
      dj.askStart = performance.now();
    }
  }, true);
  document.addEventListener('click', (ev) => {
    if (ev.target.closest('#dj-send, #dj-ask-item, [data-action="ask"]')) dj.askStart = performance.now();
    if (ev.target.closest('#dj-convs [data-action="open"], #dj-convs [data-action="new"], [role="tab"]'))
      dj.closeAll();
  }, true);
  const params = new URLSearchParams(location.search);
  let kept = {};
  try { kept = JSON.parse(sessionStorage.getItem('dj-flow') || '{}') || {}; } catch (e) { kept = {}; }
  const link = {action: 'boot', q: params.get('q') || '', item: params.get('item') || '',
    doc: params.get('doc') || '', conv: kept.conv || ''};
  dj.linkItem = !link.q && !!link.item;  // a shared article link: on a phone, open it as a sheet
  fetch('api/session', {credentials: 'same-origin'}).catch(() => null).finally(() => trigger('submit', link));
}
"""

DELEGATE = """
element.addEventListener('click', (ev) => {
  const el = ev.target.closest('[data-action]');
  if (!el || !element.contains(el) || el.disabled) return;
  const d = Object.assign({}, el.dataset);
  const a = d.action;
  if (GLOBAL_ACTIONS.includes(a)) return;
  ev.preventDefault();
  if (a === 'rename') {
    const row = el.closest('.dj-conv'); const title = row && row.querySelector('.dj-conv-title');
    if (!title || row.querySelector('input')) return;
    const input = document.createElement('input');
    input.className = 'dj-rename'; input.value = d.title || title.textContent; input.maxLength = 60;
    input.setAttribute('aria-label', '新的对话名称，回车确认，Esc 取消');
    title.replaceWith(input); input.focus(); input.select();
    // Enter or leaving the box saves; Esc, or an unchanged name, puts the old one back; an empty
    // name is refused visibly (it was shown, never saved)
    const done = (save) => {
      if (input.__djDone) return; input.__djDone = true;
      const name = input.value.trim();
      if (save && !name) window.__dj.toast('未改名', '对话名称不能为空，已恢复原来的名称', true);
      if (save && name && name !== (d.title || title.textContent)) {
        title.textContent = name; trigger('submit', {action: 'rename', id: d.id, title: name});
      }
      if (input.isConnected) input.replaceWith(title);
    };
    input.addEventListener('keydown', (k) => {
      if (k.key === 'Enter') { k.preventDefault(); done(true); el.focus(); }
      if (k.key === 'Escape') { k.preventDefault(); k.stopPropagation(); done(false); el.focus(); }
    });
    input.addEventListener('blur', () => done(true));
    return;
  }
  if (a === 'ask' && window.__dj && window.__dj.flow) { window.__dj.flow.ask(d.question || ''); return; }
  if ((a === 'delete' && !confirm('删除对话“' + (d.title || '') + '”？删除后不能恢复。')) ||
      (a === 'remove-doc' && !confirm('从语料中移除《' + (d.title || '') + '》并重建索引？'))) return;
  if (a === 'reason') { const box = element.querySelector('#dj-reason-' + d.turn);
    d.text = box ? box.value : ''; }
  if (a === 'ob-quiz-check') {
    const answers = {};
    element.querySelectorAll('.dj-quiz-q').forEach((q) => {
      const picked = q.querySelector('input[type=radio]:checked');
        const fill = q.querySelector('input[type=text]');
      answers[q.dataset.qid] = picked ? picked.value : (fill ? fill.value : '');
    });
    d.answers = answers;
  }
  if (a === 'source' || a === 'item' || a === 'ob-open') { window.__dj.wantPanel = true;
    const inCatalog = a === 'item' && !!el.closest('#dj-tree-col, #dj-item-col');
    window.__dj.sheet(a === 'source' || inCatalog, inCatalog ? 'dj-item-col' : 'dj-side'); }
  const sel = ['action', 'turn', 'vote', 'key', 'id', 'view', 'step', 'role', 'layout', 'fmt']
    .filter((k) => d[k] !== undefined).map((k) => `[data-${k}="${CSS.escape(d[k])}"]`).join('');
  element.__djRefocus = a === 'vote' && d.vote === 'down' ? ['#dj-reason-' + d.turn, sel]
    : a === 'ob-quiz-check' ? ['.dj-score'] : a === 'ob-quiz-new' ? ['.dj-quiz-q input'] : [sel];
  trigger(EVENTS[a] || 'click', d);
});
watch('value', () => {
  const wanted = element.__djRefocus; element.__djRefocus = null;
  if (!wanted) return;
  const target = wanted.map((sel) => sel && element.querySelector(sel)).find((el) => el);
  if (target && document.activeElement !== target) target.focus({preventScroll: true});
  const r = target ? target.getBoundingClientRect() : null;
  if (r && (r.top < 0 || r.bottom > window.innerHeight)) target.scrollIntoView({block: 'nearest'});
});
"""

TRANSCRIPT = """
const fmt = (ms) => ms >= 1000 ? (ms / 1000).toFixed(1) + ' 秒' : Math.round(ms) + ' 毫秒';
const tkey = (t) => (t.querySelector('.dj-bubble') || {}).textContent + '|' + t.dataset.turn + '|' +
  ((t.querySelector('.dj-time') || {dataset: {}}).dataset.server || '');
watch('value', () => {
  const dj = window.__dj || {waits: {}};
  const all = element.querySelectorAll('.dj-turn');
  const last = all[all.length - 1];
  const seen = element.__djLastTurn;
  element.__djLastTurn = last ? last.dataset.turn + (last.classList.contains('dj-pending') ? 'p' : '') : null;
  if (last && seen !== element.__djLastTurn && !(seen && seen.endsWith('p') && seen.slice(0,
    -1) === last.dataset.turn)) {
    last.scrollIntoView({block: 'start', behavior: 'auto'});
  }
  if (last && !last.classList.contains('dj-pending') && seen !== last.dataset.turn) {
    if (dj.askStart) { dj.waits[tkey(last)] = performance.now() - dj.askStart; dj.askStart = 0; }
    const text = (last.querySelector('.dj-a .dj-text') || last).innerText.replace(/\\s+/g, ' ').slice(0, 160);
    if (dj.announce) dj.announce('新回答：' + text);
  }
  element.querySelectorAll('.dj-turn').forEach((t) => {
    const w = dj.waits[tkey(t)]; const span = t.querySelector('.dj-time');
    if (w !== undefined && span) {
      span.textContent = '等待 ' + fmt(w) + '（其中服务器 ' + span.dataset.server + '）';
    }
  });
});
"""

PANEL = """
// a shared article link on a phone: the article opens as a sheet. The 目录 tab mounts its parts
// when it is first shown, possibly already holding the article, so this runs on load too.
const linked = () => {
  const dj = window.__dj || {};
  if (!dj.linkItem || !element.closest('#dj-item-col') || !element.querySelector('.dj-unit-h')) return false;
  dj.linkItem = false;
  if (!dj.narrow()) return false;
  dj.sheet(true, 'dj-item-col');
  return true;
};
linked();
watch('value', () => {
  const dj = window.__dj || {};
  if (linked()) return;
  if (!dj.wantPanel) return;
  dj.wantPanel = false;
  const r = element.getBoundingClientRect();
  if (!element.closest('.dj-open') && (r.top > window.innerHeight || r.bottom < 0))
    element.scrollIntoView({behavior: 'smooth', block: 'start'});
});
"""

DOWNLOAD = """
watch('value', () => {
  let d = null;
  try { d = JSON.parse(props.value || 'null'); } catch (e) { d = null; }
  if (!d || !d.b64 || d.nonce === element.__djNonce) return;
  element.__djNonce = d.nonce;
  const raw = atob(d.b64); const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  const url = URL.createObjectURL(new Blob([bytes], {type: d.mime}));
  const a = document.createElement('a'); a.href = url; a.download = d.name; a.style.display = 'none';
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
  if (window.__dj) window.__dj.toast('已导出', d.name);
});
"""


SCOPE = """
const pop = () => element.querySelector('.dj-scope-pop');
const btn = () => element.querySelector('.dj-scope-btn');
const label = () => {
  const picked = [...element.querySelectorAll('.dj-scope-pop input:checked')];
  const titles = picked.map((x) => x.dataset.title);
  btn().textContent = !titles.length ? '范围：全部文件'
    : titles.length === 1 ? '范围：《' + titles[0] + '》'
    : '范围：' + titles.length + ' 个文件';
  return picked.map((x) => x.value);
};
const show = (open) => {
  const p = pop(); if (!p) return;
  p.hidden = !open; btn().setAttribute('aria-expanded', open ? 'true' : 'false');
  if (open) { const first = p.querySelector('input'); if (first) first.focus();
    } else btn().focus({preventScroll: true});
};
element.addEventListener('click', (ev) => {
  if (ev.target.closest('.dj-scope-btn')) { ev.preventDefault(); show(pop().hidden); return; }
  const b = ev.target.closest('[data-scope]');
  if (!b) return;
  ev.preventDefault();
  if (b.dataset.scope === 'all') {
    element.querySelectorAll('.dj-scope-pop input').forEach((x) => { x.checked = false; });
    trigger('input', {docs: label()});
  }
  show(false);
});
element.addEventListener('change', (ev) => { if (ev.target.matches('.dj-scope-pop input')) trigger('input',
  {docs: label()}); });
element.addEventListener('keydown', (ev) => { if (ev.key === 'Escape' && pop() && !pop().hidden) {
  ev.stopPropagation(); show(false); } });
document.addEventListener('click', (ev) => {
  if (pop() && !pop().hidden && !element.contains(ev.target)) show(false); });
"""


def delegate(extra: str = "") -> str:
    """The delegate with its action → event table, plus a part's own watchers."""
    table = f"const EVENTS = {json.dumps(EVENTS)}; const GLOBAL_ACTIONS = {json.dumps(list(GLOBAL_ACTIONS))};"
    return table + DELEGATE + extra


def ask_from_box(inputs: int) -> str:
    """The ask event's `js`: it runs after the inputs are read, so the box empties as the question is
    sent (not when its answer lands, which wiped whatever was typed meanwhile)."""
    return f"""(...args) => {{
  const box = document.querySelector('#dj-question textarea');
  if (box && box.value) {{ box.value = ''; box.dispatchEvent(new Event('input', {{bubbles: true}})); }}
  return args.slice(0, {inputs});
}}"""


FLOW = """
// The question queue (issue #22). Enter or 提问 takes the question out of the box at once, echoes it
// with a placeholder and queues it; questions go to the server one at a time, in order, and the
// answer arrives as that one turn (ui/turns.py append_html), put in place of its placeholder: the
// transcript is not sent again. The queue and the open conversation's id live in sessionStorage, so
// a server restart loses nothing: while the server is away the questions wait (a Chinese notice
// says so), then go with the conversation id, and the server picks the conversation up by id; if
// Gradio reloads the page after a broken request, boot reopens the conversation and the queue resumes.
const dj = window.__dj || (window.__dj = {waits: {}});
const KEY = 'dj-flow';
const F = dj.flow = {queue: [], busy: null, booted: false, offline: false, n: 0};
let kept = {};
try { kept = JSON.parse(sessionStorage.getItem(KEY) || '{}') || {}; } catch (e) { kept = {}; }
F.kept = kept.conv || '';
F.queue = (Array.isArray(kept.queue) ? kept.queue : []).filter((x) => x && x.q && x.seq)
  .map((x) => ({seq: String(x.seq), qid: String(x.qid || ''), q: String(x.q), at: performance.now()}));
const chat = () => document.querySelector('#dj-transcript .dj-chat');
const conv = () => {
  if (!F.booted) return F.kept;
  const cur = document.querySelector('#dj-convs .dj-current');
  return cur ? cur.dataset.id : '';
};
const save = () => {
  try { sessionStorage.setItem(KEY, JSON.stringify({conv: conv(),
    queue: F.queue.map((x) => ({seq: x.seq, qid: x.qid, q: x.q}))})); } catch (e) { /* private mode */ }
};
const banner = (text) => {
  let b = document.getElementById('dj-conn');
  if (!text) { if (b) b.remove(); return; }
  if (!b) {
    b = document.createElement('div'); b.id = 'dj-conn'; b.className = 'dj-conn';
    b.setAttribute('role', 'status');
    const row = document.getElementById('dj-input-row');
    if (row && row.parentElement) row.parentElement.insertBefore(b, row); else document.body.appendChild(b);
  }
  b.textContent = text;
};
const appId = () => {
  const ctl = new AbortController(); const t = setTimeout(() => ctl.abort(), 3000);
  return fetch('gradio_api/app_id', {cache: 'no-store', credentials: 'same-origin', signal: ctl.signal})
    .then((r) => r.ok ? r.json() : null).then((j) => (j && j.app_id) || null).catch(() => null)
    .finally(() => clearTimeout(t));
};
// the welcome and its example questions go with the first question
const unwelcome = (c) => c.querySelectorAll(':scope > :not(.dj-turn):not(.dj-convbar)')
  .forEach((x) => x.remove());
const placeholder = (item) => {
  const c = chat(); if (!c || c.querySelector('.dj-turn[data-seq="' + CSS.escape(item.seq) + '"]')) return;
  unwelcome(c);
  const t = document.createElement('div');
  t.className = 'dj-turn dj-pending dj-queued'; t.dataset.seq = item.seq; t.setAttribute('aria-busy', 'true');
  t.innerHTML = '<div class="dj-q"><div class="dj-bubble"></div></div>' +
    '<div class="dj-a"><div class="dj-typing">正在查找原文…</div></div>';
  t.querySelector('.dj-bubble').textContent = item.q;
  c.insertBefore(t, c.querySelector(':scope > .dj-convbar'));
  t.scrollIntoView({block: 'start', behavior: 'auto'});
};
F.ask = (text, at) => {
  const q = String(text || '').trim(); if (!q) return;
  dj.askStart = 0;  // the flow times its own answers (dj.askStart is the full-render path's)
  const item = {seq: Date.now().toString(36) + '-' + (++F.n), q, at: at || performance.now(),
    qid: Math.random().toString(36).slice(2) + Date.now().toString(36)};
  F.queue.push(item); save(); placeholder(item); pump();
};
const offline = () => {
  if (!F.offline) {
    F.offline = true;
    banner('与服务器的连接已断开，正在重新连接…您的问题已保留，连接恢复后会自动发送。');
  }
  clearTimeout(F.retry); F.retry = setTimeout(pump, 1000);
};
const online = () => {
  if (!F.offline) return;
  F.offline = false; banner('');
  if (dj.toast) dj.toast('已重新连接', '服务器已恢复，保留的问题正在发送');
};
const pump = async () => {
  if (F.busy || !F.queue.length || !F.booted) return;
  const item = F.busy = F.queue[0];
  const app = await appId();
  if (F.busy !== item) return;
  if (!app) { F.busy = null; offline(); return; }
  online();
  item.app = app;
  const docs = [...document.querySelectorAll('#dj-scope-ui .dj-scope-pop input:checked')].map((x) => x.value);
  trigger('submit', {question: item.q, seq: item.seq, qid: item.qid, conv: conv(), docs});
  clearTimeout(F.watchdog); F.watchdog = setTimeout(check, 15000);
};
// an answer that does not come: the server went away (wait for it) or was restarted meanwhile
// (ask again: the same qid, so a question it did answer is not answered twice)
const check = async () => {
  const item = F.busy; if (!item) return;
  const app = await appId();
  if (F.busy !== item) return;
  if (app && app === item.app) { F.watchdog = setTimeout(check, 15000); return; }
  F.busy = null;
  if (app) pump(); else offline();
};
const fmt = (ms) => ms >= 1000 ? (ms / 1000).toFixed(1) + ' 秒' : Math.round(ms) + ' 毫秒';
const tkey = (t) => (t.querySelector('.dj-bubble') || {}).textContent + '|' + t.dataset.turn + '|' +
  ((t.querySelector('.dj-time') || {dataset: {}}).dataset.server || '');
const finish = (seq, turn) => {
  clearTimeout(F.watchdog);
  const item = F.queue.find((x) => x.seq === seq);
  F.queue = F.queue.filter((x) => x.seq !== seq);
  if (!F.busy || F.busy.seq === seq) F.busy = null;
  if (turn && item) {
    const w = performance.now() - item.at; dj.waits[tkey(turn)] = w;
    const span = turn.querySelector('.dj-time');
    if (span) span.textContent = '等待 ' + fmt(w) + '（其中服务器 ' + span.dataset.server + '）';
  }
  save(); pump();
};
const place = (node, seq) => {
  const c = chat(); if (!c) return;
  unwelcome(c);
  node.dataset.seq = seq;
  const ph = c.querySelector('.dj-turn[data-seq="' + CSS.escape(seq) + '"]');
  if (ph) ph.replaceWith(node); else c.insertBefore(node, c.querySelector(':scope > .dj-convbar'));
};
const answered = (frag, seq) => {
  const turn = frag.querySelector('.dj-turn'); if (!turn) return null;
  const c = chat();
  if (c && c.querySelector('.dj-turn:not(.dj-pending)[data-turn="' + turn.dataset.turn + '"]')) return null;
  place(turn, seq);
  const bar = frag.querySelector('.dj-convbar'); const part = frag.querySelector('.dj-conv-part');
  const old = c && c.querySelector(':scope > .dj-convbar');
  if (bar && c) { if (old) old.replaceWith(bar); else c.appendChild(bar); }
  else if (part && old) {
    const n = c.querySelectorAll('.dj-turn:not(.dj-pending)').length;
    const label = old.querySelector('span'); if (label) label.textContent = '整个对话（' + n + ' 问）：';
    const text = old.querySelector('#dj-copy-conv');
    if (text) text.value = text.value.replace(/共 \\d+ 问/, '共 ' + n + ' 问').trimEnd() + '\\n\\n' +
      part.value + '\\n';
  }
  if (!c.querySelector('.dj-turn.dj-pending')) turn.scrollIntoView({block: 'start', behavior: 'auto'});
  const said = (turn.querySelector('.dj-a .dj-text') || turn).innerText.replace(/\\s+/g, ' ').slice(0, 160);
  if (dj.announce) dj.announce('新回答：' + said);
  return turn;
};
watch('value', () => {
  const tpl = document.createElement('template'); tpl.innerHTML = props.value || '';
  const got = tpl.content.firstElementChild; if (!got) return;
  if (got.classList.contains('dj-booted')) {
    if (F.booted) return;
    F.booted = true; save();  // after boot's transcript is drawn: restored questions show again, then go
    setTimeout(() => { F.queue.forEach(placeholder); pump(); }, 50); return;
  }
  const seq = got.dataset.seq; const kind = got.dataset.kind;
  const body = got.content || got;  // the server's envelope is a <template>: its parts are in .content
  if (kind === 'pending') {
    const node = body.querySelector('.dj-turn'); if (node) place(node, seq); return;
  }
  if (kind === 'turn') { finish(seq, answered(body, seq)); return; }
  if (kind === 'failed') {
    const c = chat(); const ph = c && c.querySelector('.dj-turn[data-seq="' + CSS.escape(seq) + '"]');
    if (ph) ph.remove();
    const box = document.querySelector('#dj-question textarea');
    if (box && !box.value && got.dataset.question) {
      box.value = got.dataset.question; box.dispatchEvent(new Event('input', {bubbles: true}));
    }
    finish(seq, null);
  }
});
const send = () => {
  const box = document.querySelector('#dj-question textarea'); if (!box || !box.value.trim()) return;
  const q = box.value; box.value = ''; box.dispatchEvent(new Event('input', {bubbles: true}));
  F.ask(q);
};
document.addEventListener('keydown', (ev) => {
  if (ev.key !== 'Enter' || ev.shiftKey || ev.isComposing || ev.keyCode === 229) return;
  if (!(ev.target.closest && ev.target.closest('#dj-question textarea'))) return;
  ev.preventDefault(); ev.stopPropagation(); send();
}, true);
document.addEventListener('click', (ev) => {
  if (!ev.target.closest('#dj-send')) return;
  ev.preventDefault(); ev.stopPropagation(); send();
}, true);
new MutationObserver(() => { if (F.booted) save(); }).observe(
  document.getElementById('dj-convs') || document.body, {childList: true, subtree: true});
// Gradio's own notice when a request breaks (it reloads the page once the server is back), in Chinese
new MutationObserver((muts) => {
  for (const m of muts) for (const n of m.addedNodes) {
    if (n.nodeType !== 1 || !n.closest || !n.closest('.toast-wrap')) continue;
    n.querySelectorAll('.toast-title, .toast-text').forEach((x) => {
      if (/Connection Lost/i.test(x.textContent)) x.textContent = '连接已断开';
      if (/Connection to the server was lost/i.test(x.textContent))
        x.textContent = '与服务器的连接已断开，正在重新连接…未发送的问题已保留，恢复后自动发送。';
    });
  }
}).observe(document.body, {childList: true, subtree: true});
setTimeout(() => { if (!F.booted) { F.booted = true; F.queue.forEach(placeholder); pump(); } }, 15000);
"""
