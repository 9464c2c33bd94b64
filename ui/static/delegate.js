
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
  // the conversation the page shows: its own asking (api/page/ask) moves it on outside Gradio's state
  const shown = window.__dj && window.__dj.conv ? window.__dj.conv() : '';
  if (shown && d.conv === undefined) d.conv = shown;
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
