import { ApiError } from '../api.js';
import { h, type Child } from './dom.js';

/** A loading note, announced politely. */
export function loadingState(text = 'Loading…'): HTMLElement {
  return h('p', { class: 'state state-loading', role: 'status' }, text);
}

/** Nothing to show yet, and (optionally) what to do about it. */
export function emptyState(text: string, action?: Child): HTMLElement {
  return h('div', { class: 'state state-empty' }, h('p', {}, text), action);
}

/** What an error means for the person, from a problem's title and detail. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return `Not allowed: ${error.detail ?? error.title}`;
    if (error.status === 404) return `Not found: ${error.detail ?? error.title}`;
    return error.detail ? `${error.title}: ${error.detail}` : error.title;
  }
  return error instanceof Error ? error.message : String(error);
}

/** A failure to load, with a way to try again. */
export function errorState(error: unknown, retry?: () => void): HTMLElement {
  return h('div', { class: 'state state-error', role: 'alert' },
    h('p', {}, describeError(error)),
    retry && h('button', { type: 'button', onclick: retry }, 'Try again'));
}
