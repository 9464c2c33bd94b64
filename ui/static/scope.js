
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
