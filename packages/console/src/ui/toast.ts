import { h } from './dom.js';

/** A short confirmation of what just happened, read out by screen readers (the region is `aria-live`), gone after a few seconds. */
export function toast(message: string, tone: 'success' | 'error' = 'success'): void {
  const region = document.getElementById('toasts');
  if (!region) return;
  const note = h('p', { class: `toast toast-${tone}` }, message);
  region.append(note);
  setTimeout(() => note.remove(), tone === 'error' ? 8000 : 4000);
}
