
let last = null;
watch('value', () => {
  const v = String(props.value || '');
  const state = (v.match(/data-state="(\w+)"/) || [])[1] || (v.includes('dj-job') ? 'idle' : v);
  if (state === last) return;
  const first = last === null;  // what the page opened with (say, the last job's result): no scroll
  last = state;
  if (first || state === 'idle' || !v) return;
  requestAnimationFrame(() => element.scrollIntoView({block: 'nearest', behavior: 'smooth'}));
});
