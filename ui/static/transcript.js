
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
    const text = (last.querySelector('.dj-a .dj-text') || last).innerText.replace(/\s+/g, ' ').slice(0, 160);
    if (dj.announce) dj.announce('新回答：' + text);
  }
  element.querySelectorAll('.dj-turn').forEach((t) => {
    const w = dj.waits[tkey(t)]; const span = t.querySelector('.dj-time');
    if (w !== undefined && span) {
      span.textContent = '等待 ' + fmt(w) + '（其中服务器 ' + span.dataset.server + '）';
    }
  });
});
