"""The page's scripts (gr.HTML `js_on_load` bodies). A module so they ship with the package.

GLOBAL runs once (in the header): lang, the aria-live region, toasts, copy without the HTTPS-only
Clipboard API, Space on role=button elements, the phone's bottom sheet and drawer, the ask timer,
then the visitor cookie (`GET api/session`) and the boot event with the page's link (?q ?item ?doc).
DELEGATE (in every HTML part with buttons) turns a click on a [data-action] element into that
component's event, with the element's data-* as the payload, and puts focus back on the same
control after the part re-renders. TRANSCRIPT scrolls to a new answer, announces it and shows the
time the user waited. DOWNLOAD saves an export the server returned. `ask_from_box` empties the
question box the moment a question is sent from it.
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
  const part = (id) => document.getElementById(id) || document.createElement('div');
  dj.sheet = (open) => { part('dj-side').classList.toggle('dj-open', !!open && dj.narrow()); };
  dj.drawer = (open) => { part('dj-sidebar').classList.toggle('dj-open', !!open); };
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
    if (ev.key === 'Escape') { dj.sheet(false); dj.drawer(false); }
    if (ev.key === 'Enter' && !ev.shiftKey && t.closest && t.closest('#dj-question')) {
      dj.askStart = performance.now();
    }
  }, true);
  document.addEventListener('click', (ev) => {
    if (ev.target.closest('#dj-send, #dj-ask-item, [data-action="ask"]')) dj.askStart = performance.now();
    if (ev.target.closest('#dj-convs [data-action="open"], #dj-convs [data-action="new"]')) dj.drawer(false);
  }, true);
  const params = new URLSearchParams(location.search);
  const link = {action: 'boot', q: params.get('q') || '', item: params.get('item') || '',
    doc: params.get('doc') || ''};
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
    input.addEventListener('keydown', (k) => {
      if (k.key === 'Enter') { k.preventDefault(); trigger('submit', {action: 'rename', id: d.id,
        title: input.value}); }
      if (k.key === 'Escape') { k.preventDefault(); k.stopPropagation(); input.replaceWith(title);
        el.focus(); }
    });
    return;
  }
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
    window.__dj.sheet(a === 'source'); }
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
watch('value', () => {
  const dj = window.__dj || {};
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
