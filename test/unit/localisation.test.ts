import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';

import { loadConfig } from '../../src/config/load-config.js';
import { packageRoot, viewsDir } from '../../src/config/paths.js';
import { contrastOnWhite, createBranding, type BrandingSettings } from '../../src/config/branding.js';
import { acceptedLanguages, createMessages, loadCatalogues, negotiateLocale } from '../../src/interactions/messages.js';

const placeholders = (message: string) => [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('page localisation and branding', () => {
  const catalogues = loadCatalogues();
  const english = catalogues.get('en')!;

  it('every locale has exactly the keys of en.json, with the same placeholders', () => {
    assert.ok(catalogues.size >= 2, 'English and at least one more language');
    for (const [lang, catalogue] of catalogues) {
      assert.deepEqual(Object.keys(catalogue).sort(), Object.keys(english).sort(), `${lang}.json`);
      for (const [key, message] of Object.entries(catalogue)) {
        assert.deepEqual(placeholders(message), placeholders(english[key]!), `${lang}.json ${key}`);
        assert.ok(message.trim(), `${lang}.json ${key} is empty`);
      }
    }
  });

  it('every message key the pages and routes name exists, and every message is used', () => {
    const sources = [
      ...readdirSync(viewsDir).filter((f) => f.endsWith('.eta')).map((f) => `${viewsDir}/${f}`),
      ...readdirSync(`${packageRoot}src/interactions`).map((f) => `${packageRoot}src/interactions/${f}`),
      `${packageRoot}src/oidc/device-flow.ts`,
    ].map((path) => readFileSync(path, 'utf8')).join('\n');
    const prefixes = new Set(Object.keys(english).map((key) => key.split('.')[0]));
    const named = new Set([...sources.matchAll(/'([a-zA-Z]+\.[a-zA-Z.-]+)'/g)].map((m) => m[1]!).filter((s) => prefixes.has(s.split('.')[0])));
    // account.done.<name> is looked up by the ?done= name: the DONE table names each key in full.
    assert.deepEqual([...named].filter((key) => !(key in english)), [], 'keys missing from en.json');
    assert.deepEqual(Object.keys(english).filter((key) => !named.has(key)), [], 'messages no page uses');
  });

  it('negotiates ui_locales first, then Accept-Language by quality, then English', () => {
    const have = new Set(['en', 'de']);
    assert.equal(negotiateLocale(have, { uiLocales: 'de-CH en', acceptLanguage: 'en' }), 'de');
    assert.equal(negotiateLocale(have, { uiLocales: 'fr', acceptLanguage: 'fr-FR, de;q=0.8, en;q=0.5' }), 'de');
    assert.equal(negotiateLocale(have, { acceptLanguage: 'en;q=0.4, de-AT;q=0.9' }), 'de');
    assert.equal(negotiateLocale(have, { acceptLanguage: 'de;q=0, fr' }), 'en');
    assert.equal(negotiateLocale(have, { uiLocales: '!!! x-', acceptLanguage: '*' }), 'en');
    assert.equal(negotiateLocale(have, {}), 'en');
    assert.deepEqual(acceptedLanguages('da, en-GB;q=0.8, en;q=0.7'), ['da', 'en-GB', 'en']);
  });

  it('fills values as text in t() and escapes them in rich()', () => {
    const t = createMessages(catalogues).translatorFor({ acceptLanguage: 'de' });
    assert.equal(t.lang, 'de');
    assert.equal(t.t('common.signedInAs', { user: 'ada' }), 'Angemeldet als ada');
    assert.equal(t.rich('common.signedInAs', { user: '<b>' }), 'Angemeldet als <strong>&lt;b&gt;</strong>');
    assert.throws(() => t.t('no.such-key'), /no message/);
  });

  it('brands: one generated class per accent, logo origins for the CSP, lab over client, low contrast refused', () => {
    const branding = createBranding({
      clients: { portal: { displayName: 'Portal', accentColour: '#0B5394', logoUrl: 'https://cdn.example/logo.svg' } },
      labs: { 'lab-a': { displayName: 'Lab A' } },
    });
    assert.equal(branding.stylesheet, '.brand-0 { --accent: #0b5394; }\n');
    assert.deepEqual(branding.logoOrigins, ['https://cdn.example']);
    assert.equal(branding.brandOf({ clientId: 'portal' })?.className, 'brand-0');
    assert.equal(branding.brandOf({ clientId: 'portal', labId: 'lab-a' })?.displayName, 'Lab A');
    assert.equal(branding.brandOf({ clientId: 'other' }), undefined);
    assert.ok(contrastOnWhite('#2457c5') >= 4.5);
    assert.throws(() => createBranding({ clients: { pale: { accentColour: '#ffcc00' } } }), /branding\.clients\.pale\.accentColour = #ffcc00: contrast on white is 1\.\d\d:1/);
  });

  it('loads the branding example of docs/LOCALISATION.md from GATEHOUSE_BRANDING, and refuses an http logo or a colour name', () => {
    const docs = readFileSync(`${packageRoot}docs/LOCALISATION.md`, 'utf8');
    const example = /```json\n([\s\S]*?)```/.exec(docs)![1]!;
    const config = loadConfig({ GATEHOUSE_BRANDING: example }, packageRoot);
    const branding = createBranding(config.branding as BrandingSettings);
    assert.equal(branding.brandOf({ clientId: 'portal', labId: 'lab-2' })?.displayName, 'Second Lab');
    assert.throws(() => loadConfig({ GATEHOUSE_BRANDING: '{"clients": {"portal": {"logoUrl": "http://cdn.example/logo.svg"}}}' }, packageRoot), /GATEHOUSE_BRANDING/);
    assert.throws(() => loadConfig({ GATEHOUSE_BRANDING: '{"labs": {"lab-2": {"accentColour": "red"}}}' }, packageRoot), /GATEHOUSE_BRANDING/);
    assert.throws(() => loadConfig({ GATEHOUSE_BRANDING: '{"lab": {}}' }, packageRoot), /GATEHOUSE_BRANDING/);
    assert.throws(() => loadConfig({ GATEHOUSE_BRANDING: '{"labs": {"lab-2": {"accentColour": "#ffcc00"}}}' }, packageRoot), /^ConfigError: invalid configuration: GATEHOUSE_BRANDING: branding\.labs\.lab-2\.accentColour = #ffcc00: contrast on white/);
  });
});
