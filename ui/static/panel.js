
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
