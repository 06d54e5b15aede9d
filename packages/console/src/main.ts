/** The console's entry point: reads where it runs, signs in through Gatehouse, learns who the person is, routes between screens. */

import { ApiError, createApi, type Api } from './api.js';
import { createAuth, SignInError, type Auth } from './auth.js';
import { screens } from './screens/index.js';
import { mayUse, type Caller, type Cleanup, type Screen, type ScreenContext } from './screens/screen.js';
import { h, replace } from './ui/dom.js';
import { describeError, errorState, loadingState } from './ui/states.js';

const SIGNED_OUT = 'gatehouse-console:signed-out';

const meta = (name: string) => document.querySelector(`meta[name="gatehouse-${name}"]`)?.getAttribute('content') ?? '';
const settings = {
  issuer: meta('issuer'), clientId: meta('client-id'), apiResource: meta('api-resource'), base: meta('console-base') || '/admin/',
  scopes: meta('scopes').split(' ').filter(Boolean),
};
const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;
const who = document.getElementById('who')!;

/** The console path of the current URL (`users/u-1`), without the base and slashes at the ends. */
const currentPath = () => (location.pathname.startsWith(settings.base) ? location.pathname.slice(settings.base.length) : '').replace(/\/+$/, '');
const hrefOf = (path: string) => `${settings.base}${path.replace(/^\/+/, '')}`;

function matchScreen(path: string): { screen: Screen; params: Record<string, string> } | undefined {
  const parts = path ? path.split('/') : [];
  for (const screen of screens) {
    const pattern = screen.path ? screen.path.split('/') : [];
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const fits = pattern.every((p, i) => {
      if (!p.startsWith(':')) return p === parts[i];
      try {
        params[p.slice(1)] = decodeURIComponent(parts[i]!);
        return true;
      } catch {
        return false; // a malformed %-escape names nothing
      }
    });
    if (fits) return { screen, params };
  }
  return undefined;
}

function showProblem(title: string, message: string, action: HTMLElement): void {
  document.title = `${title} · Gatehouse console`;
  replace(main, h('h1', { tabindex: '-1' }, title), h('p', { role: 'alert' }, message), action);
}

/** Who the person is to the API: their own user record (the ID token's subject) says platform admin; otherwise the lab they administer. */
async function identify(api: Api, auth: Auth): Promise<Caller> {
  const person = auth.person()!;
  const user = await api.users.get(person.sub);
  const scopes = auth.scopes();
  if (user.isAdmin) return { kind: 'platform_admin', userId: user.id, username: user.username, scopes };
  // A lab admin's token acts in one lab; the API shows them only their membership there.
  const lab = user.labs.find((l) => l.role === 'admin' && l.status === 'active');
  if (!lab) throw new ApiError(403, 'Forbidden', 'only platform admins and lab admins may use the console', []);
  return { kind: 'lab_admin', userId: user.id, username: user.username, labId: lab.labId, scopes };
}

function startRouter(api: Api, caller: Caller, auth: Auth): void {
  let cleanup: Cleanup | void;
  let rendering = 0;

  const renderNav = () => {
    const path = currentPath();
    replace(nav, h('ul', {}, ...screens.filter((s) => s.nav && mayUse(caller, s)).map((s) => {
      const active = s.path === '' ? path === '' : path === s.path || path.startsWith(`${s.path}/`);
      return h('li', {}, h('a', { href: hrefOf(s.path), 'aria-current': active ? 'page' : undefined }, s.path === 'labs' && caller.kind === 'lab_admin' ? 'Your lab' : s.title));
    })));
  };

  const render = async (focus: boolean) => {
    const mine = ++rendering;
    if (typeof cleanup === 'function') cleanup();
    cleanup = undefined;
    renderNav();
    const found = matchScreen(currentPath());
    const heading = h('h1', { tabindex: '-1' });
    const setTitle = (title: string) => {
      heading.textContent = title;
      document.title = `${title} · Gatehouse console`;
    };
    const root = h('div', { class: 'screen' });
    replace(main, heading, root);
    if (!found) {
      setTitle('Page not found');
      root.append(h('p', {}, 'There is no such page in the console. '), h('a', { href: hrefOf('') }, 'Go to the dashboard'));
    } else if (!mayUse(caller, found.screen)) {
      setTitle(found.screen.title);
      root.append(h('p', { role: 'alert' }, 'Your role does not allow this screen.'));
    } else {
      setTitle(found.screen.title);
      const context: ScreenContext = {
        api, caller, params: found.params, query: new URLSearchParams(location.search),
        navigate, href: hrefOf, setTitle,
        setQuery(values) {
          const query = new URLSearchParams(location.search);
          for (const [key, value] of Object.entries(values)) {
            if (value === undefined || value === '' || value === 0) query.delete(key);
            else query.set(key, String(value));
          }
          const search = query.toString();
          history.replaceState(history.state, '', `${location.pathname}${search ? `?${search}` : ''}`);
        },
      };
      try {
        const result = await found.screen.render(root, context);
        if (mine === rendering) cleanup = result;
        else if (typeof result === 'function') result();
      } catch (error) {
        if (mine === rendering) replace(root, errorState(error, () => void render(true)));
      }
    }
    if (focus && mine === rendering) heading.focus();
  };

  function navigate(path: string, options: { replace?: boolean } = {}): void {
    const url = path.startsWith('/') ? path : hrefOf(path);
    if (options.replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    void render(true);
  }

  // Links inside the console move without reloading the page (modifier keys and new tabs still work).
  document.addEventListener('click', (event) => {
    const link = (event.target as Element | null)?.closest?.('a[href]') as HTMLAnchorElement | null;
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || link.target) return;
    const url = new URL(link.href);
    if (url.origin !== location.origin || !url.pathname.startsWith(settings.base)) return;
    // In-page links (the skip link) keep the browser's own behaviour: scroll and focus.
    if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
    event.preventDefault();
    navigate(`${url.pathname}${url.search}`);
  });
  window.addEventListener('popstate', () => void render(true));

  replace(who, h('span', {}, `${caller.username} · ${caller.kind === 'platform_admin' ? 'platform admin' : `admin of ${caller.labId}`}`),
    h('button', { type: 'button', class: 'link-button', onclick: () => { sessionStorage.setItem(SIGNED_OUT, '1'); void auth.signOut(); } }, 'Sign out'));
  void render(false);
}

async function boot(): Promise<void> {
  const auth = createAuth(settings);
  const signInAgain = () => {
    auth.forget();
    void auth.signIn(`${location.pathname}${location.search}`);
  };
  const signInButton = () => h('button', { type: 'button', class: 'primary', onclick: signInAgain }, 'Sign in');
  try {
    const returnTo = await auth.completeSignIn(new URL(location.href));
    if (returnTo !== undefined) history.replaceState(null, '', returnTo.startsWith(settings.base) ? returnTo : settings.base);
  } catch (error) {
    history.replaceState(null, '', settings.base);
    showProblem('Sign-in failed', error instanceof SignInError ? error.message : describeError(error), signInButton());
    return;
  }
  if (!auth.signedIn()) {
    if (sessionStorage.getItem(SIGNED_OUT)) {
      sessionStorage.removeItem(SIGNED_OUT);
      showProblem('Signed out', 'You have signed out of the Gatehouse console.', signInButton());
      return;
    }
    signInAgain();
    return;
  }
  // A refresh that fails (the grant ended: signed out elsewhere, blocked) means signing in again.
  const token = () => auth.accessToken().catch((error: unknown) => {
    signInAgain();
    throw error;
  });
  const api = createApi({ base: `${settings.issuer}/api/v1`, token, onUnauthorized: signInAgain });
  replace(main, loadingState('Signing in…'));
  let caller: Caller;
  try {
    caller = await identify(api, auth);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    const notAdmin = error instanceof ApiError && error.status === 403;
    showProblem(notAdmin ? 'Not an administrator' : 'The console could not start',
      notAdmin ? 'The console is for platform admins and lab admins. Your account is neither (in the lab you chose).' : describeError(error),
      h('button', { type: 'button', onclick: () => void auth.signOut() }, 'Sign out'));
    return;
  }
  startRouter(api, caller, auth);
}

void boot();
