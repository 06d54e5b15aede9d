/**
 * Drives the browser redirect flow over plain HTTP, as a browser would: follows redirects,
 * keeps cookies, reads the CSRF token from the real pages and posts the real forms.
 */
export class CookieJar {
  private cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
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
          cookie: this.jar.header(),
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
