
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
