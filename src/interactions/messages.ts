import { readdirSync, readFileSync } from 'node:fs';

import { viewsDir } from '../config/paths.js';

/** The language every page has in full; any other catalogue must hold exactly its keys. */
export const DEFAULT_LOCALE = 'en';
export const localesDir = `${viewsDir}/locales`;

type Catalogue = Readonly<Record<string, string>>;
export type MessageParams = Readonly<Record<string, string | number | undefined>>;

/** What a template gets: plain text (escaped by `<%= %>`) and text with emphasised values (`<%~ %>`). */
export interface Translator {
  lang: string;
  /** The message `key` with `{name}` replaced by params.name. */
  t(key: string, params?: MessageParams): string;
  /** The same as HTML: the message escaped, each value escaped and wrapped in <strong>. */
  rich(key: string, params?: MessageParams): string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/** Reads views/locales/<tag>.json once: one flat object of key → message per language. */
export function loadCatalogues(dir = localesDir): Map<string, Catalogue> {
  const catalogues = new Map<string, Catalogue>();
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json')).sort()) {
    const tag = Intl.getCanonicalLocales(file.slice(0, -'.json'.length))[0]!.toLowerCase();
    catalogues.set(tag, JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as Catalogue);
  }
  if (!catalogues.has(DEFAULT_LOCALE)) throw new Error(`${dir}: no ${DEFAULT_LOCALE}.json`);
  return catalogues;
}

/** Language tags in preference order from an Accept-Language header (RFC 9110 §12.5.4), q=0 dropped. */
export function acceptedLanguages(header: string | undefined): string[] {
  if (!header) return [];
  return header.split(',').slice(0, 20).map((part, index) => {
    const [tag = '', ...options] = part.trim().split(';');
    const q = Number(options.map((o) => o.trim()).find((o) => o.startsWith('q='))?.slice(2) ?? 1);
    return { tag: tag.trim(), q: Number.isFinite(q) ? q : 0, index };
  }).filter((entry) => entry.tag && entry.tag !== '*' && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index).map((entry) => entry.tag);
}

/**
 * The first wanted language Gatehouse has, trying each tag and then its language alone
 * (de-AT → de). `ui_locales` (OIDC Core §3.1.2.1, space-separated) outranks Accept-Language.
 */
export function negotiateLocale(available: ReadonlySet<string>, wanted: { uiLocales?: unknown; acceptLanguage?: string }): string {
  const fromRequest = typeof wanted.uiLocales === 'string' ? wanted.uiLocales.split(' ').filter(Boolean).slice(0, 20) : [];
  for (const tag of [...fromRequest, ...acceptedLanguages(wanted.acceptLanguage)]) {
    let canonical: string;
    try {
      canonical = Intl.getCanonicalLocales(tag)[0]!.toLowerCase();
    } catch {
      continue; // not a language tag
    }
    if (available.has(canonical)) return canonical;
    const language = canonical.split('-')[0]!;
    if (available.has(language)) return language;
  }
  return DEFAULT_LOCALE;
}

/** The pages' messages: the catalogues read once, a translator per negotiated language. */
export function createMessages(catalogues = loadCatalogues()) {
  const english = catalogues.get(DEFAULT_LOCALE)!;
  const available = new Set(catalogues.keys());
  const translators = new Map<string, Translator>();
  for (const [lang, catalogue] of catalogues) {
    const lookup = (key: string): string => {
      const message = catalogue[key] ?? english[key];
      // A key no catalogue has is a bug in a template or route, not something to show a person.
      if (message === undefined) throw new Error(`no message ${JSON.stringify(key)}`);
      return message;
    };
    const fill = (message: string, params: MessageParams, wrap: (value: string) => string) =>
      message.replace(/\{(\w+)\}/g, (whole, name: string) => (params[name] === undefined ? whole : wrap(String(params[name]))));
    translators.set(lang, {
      lang,
      t: (key, params = {}) => fill(lookup(key), params, (value) => value),
      rich: (key, params = {}) => fill(escapeHtml(lookup(key)), params, (value) => `<strong>${escapeHtml(value)}</strong>`),
    });
  }
  return {
    available,
    /** The translator for a request's `ui_locales` and Accept-Language. */
    translatorFor: (wanted: { uiLocales?: unknown; acceptLanguage?: string }): Translator => translators.get(negotiateLocale(available, wanted))!,
    /** English text of a message, for logs and tests. */
    english: (key: string, params?: MessageParams) => translators.get(DEFAULT_LOCALE)!.t(key, params),
  };
}

export type Messages = ReturnType<typeof createMessages>;

let englishCatalogue: Catalogue | undefined;
/** A message as the English page shows it (for constants that tests and logs compare against). */
export function englishText(key: string): string {
  englishCatalogue ??= JSON.parse(readFileSync(`${localesDir}/${DEFAULT_LOCALE}.json`, 'utf8')) as Catalogue;
  const message = englishCatalogue[key];
  if (message === undefined) throw new Error(`no message ${JSON.stringify(key)}`);
  return message;
}
