
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
