
// The question queue (issue #22). Enter or 提问 takes the question out of the box at once, echoes it
// with a placeholder and queues it; questions go to the server one at a time, in order, as
// POST api/page/ask (ui/page_api.py, issue #24: not a Gradio event), and the answer arrives as that
// one turn (ui/turns.py append_html), put in place of its placeholder: the transcript is not sent
// again. The queue and the open conversation's id live in sessionStorage, so a server restart loses
// nothing: while the server is away the questions wait (a Chinese notice says so), then go again
// with the conversation id and `retry` (a question it did answer is sent back, not answered twice);
// if Gradio reloads the page after a broken request, boot reopens the conversation and the queue resumes.
const dj = window.__dj || (window.__dj = {waits: {}});
const KEY = 'dj-flow';
const F = dj.flow = {queue: [], busy: null, booted: false, offline: false, n: 0};
let kept = {};
try { kept = JSON.parse(sessionStorage.getItem(KEY) || '{}') || {}; } catch (e) { kept = {}; }
F.kept = kept.conv || '';
F.queue = (Array.isArray(kept.queue) ? kept.queue : []).filter((x) => x && x.q && x.seq)
  .map((x) => ({seq: String(x.seq), qid: String(x.qid || ''), q: String(x.q), sent: !!x.sent,
    at: performance.now()}));
const chat = () => document.querySelector('#dj-transcript .dj-chat');
const conv = () => {
  if (!F.booted) return F.kept;
  const cur = document.querySelector('#dj-convs .dj-current');
  return cur ? cur.dataset.id : '';
};
const save = () => {
  try { sessionStorage.setItem(KEY, JSON.stringify({conv: conv(),
    queue: F.queue.map((x) => ({seq: x.seq, qid: x.qid, q: x.q, sent: !!x.sent}))}));
  } catch (e) { /* private mode */ }
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
// what the page shows is what the server needs: the open conversation, its state after the last
// turn (each answered turn carries it), its earlier questions (the AI mode's prompt), scope and mode
const answeredTurns = () => { const c = chat(); return c ? [...c.querySelectorAll('.dj-turn:not(.dj-pending)')] : []; };
const lastState = () => {
  const t = answeredTurns().pop();
  try { return t && t.dataset.state ? JSON.parse(t.dataset.state) : null; } catch (e) { return null; }
};
const mode = () => {
  const x = document.querySelector('#dj-mode input:checked'); if (!x) return 'extractive';
  const label = (x.closest('label') || {}).textContent || '';
  return x.value === 'llm' || /AI/.test(label) ? 'llm' : 'extractive';
};
const pump = async () => {
  if (F.busy || !F.queue.length || !F.booted) return;
  const item = F.busy = F.queue[0];
  const docs = [...document.querySelectorAll('#dj-scope-ui .dj-scope-pop input:checked')].map((x) => x.value);
  const turns = answeredTurns();
  const body = {question: item.q, seq: item.seq, qid: item.qid, conv: conv(), docs, mode: mode(),
    state: lastState(), n: turns.length, retry: !!item.sent,
    history: turns.map((t) => (t.querySelector('.dj-bubble') || {}).textContent || '').slice(-50)};
  item.sent = true; save();  // sent again after a lost answer: the server looks for its qid first
  let ended = false;
  try {
    const r = await fetch('api/page/ask', {method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
    if (r.status >= 400 && r.status < 500) {  // refused (login, limits): the question goes back
      const j = await r.json().catch(() => null);
      online(); refused(item, (j && j.error) || ('请求被拒绝（' + r.status + '）')); return;
    }
    if (!r.ok || !r.body) throw new Error('HTTP ' + r.status);
    online();
    const reader = r.body.getReader(); const dec = new TextDecoder(); let buf = '';
    for (;;) {
      const {value, done} = await reader.read();
      if (value) buf += dec.decode(value, {stream: true});
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim(); buf = buf.slice(i + 1);
        if (line && F.busy === item) ended = receive(JSON.parse(line), item.seq) || ended;
      }
      if (done) break;
    }
  } catch (e) { /* the server is away or restarting: wait for it, then send again */ }
  if (F.busy === item && !ended) { F.busy = null; offline(); }
};
const refused = (item, message) => {
  const c = chat(); const ph = c && c.querySelector('.dj-turn[data-seq="' + CSS.escape(item.seq) + '"]');
  if (ph) ph.remove();
  const box = document.querySelector('#dj-question textarea');
  if (box && !box.value) { box.value = item.q; box.dispatchEvent(new Event('input', {bubbles: true})); }
  if (dj.toast) dj.toast('未能提问', message, true);
  finish(item.seq, null);
};
const set = (name, html) => { if (dj.set && dj.set[name]) dj.set[name](html); };
// the open conversation's row gets its new "N 问 · 时间" and goes to the top of the list
const touchRow = (id, meta) => {
  const nav = document.querySelector('#dj-convs .dj-convs'); if (!nav || !id) return;
  const copy = nav.cloneNode(true);
  const row = copy.querySelector('.dj-conv[data-id="' + CSS.escape(id) + '"]'); if (!row) return;
  const m = row.querySelector('.dj-conv-meta'); if (m) m.textContent = meta;
  row.parentElement.prepend(row);
  set('convs', copy.outerHTML);
};
const fmt = (ms) => ms >= 1000 ? (ms / 1000).toFixed(1) + ' 秒' : Math.round(ms) + ' 毫秒';
const tkey = (t) => (t.querySelector('.dj-bubble') || {}).textContent + '|' + t.dataset.turn + '|' +
  ((t.querySelector('.dj-time') || {dataset: {}}).dataset.server || '');
const finish = (seq, turn) => {
  const item = F.queue.find((x) => x.seq === seq);
  F.queue = F.queue.filter((x) => x.seq !== seq);
  if (!F.busy || F.busy.seq === seq) F.busy = null;
  if (turn && item) {
    const w = performance.now() - item.at; dj.waits[tkey(turn)] = w;
    const span = turn.querySelector('.dj-time');
    if (span) span.textContent = '等待 ' + fmt(w) + '（其中服务器 ' + span.dataset.server + '）';
  }
  save(); setTimeout(pump, 0);  // after the conversation list's update is drawn
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
    if (text) text.value = text.value.replace(/共 \d+ 问/, '共 ' + n + ' 问').trimEnd() + '\n\n' +
      part.value + '\n';
  }
  if (!c.querySelector('.dj-turn.dj-pending')) turn.scrollIntoView({block: 'start', behavior: 'auto'});
  const said = (turn.querySelector('.dj-a .dj-text') || turn).innerText.replace(/\s+/g, ' ').slice(0, 160);
  if (dj.announce) dj.announce('新回答：' + said);
  return turn;
};
// one line of the server's answer (ui/page_api.py) → true when it ended the question
const receive = (msg, seq) => {
  const tpl = document.createElement('template'); tpl.innerHTML = (msg && msg.html) || '';
  const got = tpl.content.firstElementChild; if (!got) return false;
  const kind = got.dataset.kind;
  const body = got.content || got;  // the server's envelope is a <template>: its parts are in .content
  if (kind === 'pending') {
    const node = body.querySelector('.dj-turn'); if (node) place(node, seq); return false;
  }
  set('status', msg.status || '');
  if (kind === 'turn') {
    if (msg.sidebar) set('convs', msg.sidebar); else if (msg.meta) touchRow(msg.conv, msg.meta);
    if (msg.panel) set('panel', msg.panel);
    finish(seq, answered(body, seq)); return true;
  }
  const c = chat(); const ph = c && c.querySelector('.dj-turn[data-seq="' + CSS.escape(seq) + '"]');
  if (ph) ph.remove();
  const box = document.querySelector('#dj-question textarea');
  if (box && !box.value && got.dataset.question) {
    box.value = got.dataset.question; box.dispatchEvent(new Event('input', {bubbles: true}));
  }
  finish(seq, null); return true;
};
dj.conv = conv;  // every event the page sends names the conversation it shows (ui/static/delegate.js)
// the server's messages through Gradio: boot done (send the kept questions), 就此条提问
watch('value', () => {
  const tpl = document.createElement('template'); tpl.innerHTML = props.value || '';
  const got = tpl.content.firstElementChild; if (!got) return;
  if (got.classList.contains('dj-booted')) {
    if (F.booted) return;
    F.booted = true; save();  // after boot's transcript is drawn: restored questions show again, then go
    setTimeout(() => { F.queue.forEach(placeholder); pump(); }, 50); return;
  }
  if (got.classList.contains('dj-ask')) F.ask(got.dataset.question || '');
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
