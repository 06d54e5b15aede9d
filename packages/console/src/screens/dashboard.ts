import { h } from '../ui/dom.js';
import type { Screen } from './screen.js';

/** Placeholder start page: the dashboard (counts and charts) replaces it. */
export const dashboardScreen: Screen = {
  name: 'dashboard',
  path: '',
  title: 'Dashboard',
  nav: true,
  scopes: [],
  render(root, { caller, href }) {
    root.append(
      h('p', {}, caller.kind === 'platform_admin'
        ? 'You are a platform admin: every lab and user is yours to manage.'
        : `You are the admin of lab ${caller.labId}: you see and manage its members only.`),
      h('ul', { class: 'link-list' },
        h('li', {}, h('a', { href: href('users') }, 'Users')),
        h('li', {}, h('a', { href: href('labs') }, caller.kind === 'platform_admin' ? 'Labs' : 'Your lab'))),
    );
  },
};
