/**
 * Drives the browser redirect flow over plain HTTP, as a browser would: follows redirects,
 * keeps cookies, reads the CSRF token from the real pages and posts the real forms.
 */
export class CookieJar {
  /** By name and path, as a browser keeps them: oidc-provider's interaction cookies are scoped to their paths. */
  private cookies = new Map<string, { name: string; value: string; path: string }>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const path = attributes.map((a) => /^\s*path=(.*)$/i.exec(a)?.[1]?.trim()).find((p) => p !== undefined) ?? '/';
      const key = `${name};${path}`;
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }

  /** The Cookie header for `url` (its path decides which cookies go), or every cookie without one. */
  header(url?: string): string {
    const path = url === undefined ? undefined : new URL(url).pathname;
    const matches = (cookiePath: string) => path === undefined || cookiePath === '/' || path === cookiePath || path.startsWith(cookiePath.endsWith('/') ? cookiePath : `${cookiePath}/`);
    return [...this.cookies.values()].filter((c) => matches(c.path)).map((c) => `${c.name}=${c.value}`).join('; ');
  }
}

export interface Page { url: string; status: number; html: string; headers: Headers }

export class FormBrowser {
  readonly jar = new CookieJar();

  constructor(private readonly stopAt: string) {}

  /** Follows redirects until a page is rendered or the redirect leaves for `stopAt` (the client's callback). */
  async go(url: string, init: { method?: string; form?: Record<string, string>; origin?: string } = {}): Promise<Page> {
    let current = url;
    let method = init.method ?? 'GET';
    let body: URLSearchParams | undefined = init.form ? new URLSearchParams(init.form) : undefined;
    for (let hops = 0; hops < 20; hops += 1) {
      if (current.startsWith(this.stopAt)) return { url: current, status: 0, html: '', headers: new Headers() };
      const response = await fetch(current, {
        method,
        redirect: 'manual',
        headers: {
          cookie: this.jar.header(current),
          accept: 'text/html',
          ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          ...(init.origin && method === 'POST' ? { origin: init.origin } : {}),
        },
        body,
      });
      this.jar.store(response);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        current = new URL(location, current).href;
        method = 'GET';
        body = undefined;
        continue;
      }
      return { url: current, status: response.status, html: await response.text(), headers: response.headers };
    }
    throw new Error('too many redirects');
  }

  /** Posts the form whose action ends with `action` on `page`, with its hidden fields plus `fields`. */
  async submit(page: Page, action: string, fields: Record<string, string> = {}): Promise<Page> {
    const forms = [...page.html.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)];
    const form = forms.find(([, a]) => a!.endsWith(action));
    if (!form) throw new Error(`no form ${action} on ${page.url}:\n${page.html}`);
    const hidden = Object.fromEntries([...form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(([, n, v]) => [n!, v!]));
    return this.go(new URL(form[1]!, page.url).href, { method: 'POST', form: { ...hidden, ...fields } });
  }
}

/** Logs in and consents; returns the callback URL carrying the code. */
export async function loginAndConsent(authorizationUrl: string, callback: string, credentials: { username: string; password: string }): Promise<string> {
  const browser = new FormBrowser(callback);
  let page = await browser.go(authorizationUrl);
  if (!page.html.includes('/login"')) throw new Error(`expected the login page, got ${page.status}:\n${page.html}`);
  page = await browser.submit(page, '/login', { login: credentials.username, password: credentials.password });
  if (page.html.includes('/confirm"')) page = await browser.submit(page, '/confirm');
  if (!page.url.startsWith(callback)) throw new Error(`expected a redirect to ${callback}, got ${page.status} ${page.url}:\n${page.html}`);
  return page.url;
}
