import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

import ts from 'typescript';

import { packageRoot } from '../src/config/paths.js';

/** Every .ts file below `dir`, as paths relative to the package root. */
function sourceFiles(dir: string): string[] {
  const root = join(packageRoot, dir);
  return readdirSync(root).flatMap((name) => {
    const path = join(root, name);
    if (statSync(path).isDirectory()) return sourceFiles(relative(packageRoot, path));
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [relative(packageRoot, path)] : [];
  });
}

/** What a file imports: relative imports resolved to package paths (`src/storage/...`), packages by name. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(packageRoot, file), 'utf8'), true, true);
  return importedFiles.map(({ fileName }) => (fileName.startsWith('.')
    ? relative(packageRoot, resolve(packageRoot, dirname(file), fileName))
    : fileName));
}

const FRAMEWORKS = ['koa', '@koa/', 'koa-', 'knex', 'ioredis', 'pg', 'oidc-provider', '@electric-sql/', 'eta'];
const isFramework = (specifier: string) => FRAMEWORKS.some((f) => specifier === f || (f.endsWith('/') || f.endsWith('-') ? specifier.startsWith(f) : specifier.startsWith(`${f}/`)));

/** Layer rules: which files may not import what (docs/ARCHITECTURE.md, "The dependency rule"). */
const RULES: Array<{ name: string; from: string; forbidden: (specifier: string) => boolean }> = [
  {
    name: 'the domain imports no adapter, framework or driver',
    from: 'src/domain',
    forbidden: (s) => /^src\/(storage|http|oidc|interactions|cli|config|lib)\//.test(s) || /^src\/(gatehouse|main|services|logger|verifier)(\.js)?$/.test(s) || isFramework(s),
  },
  { name: 'http, pages and oidc reach storage only through the domain\'s ports', from: 'src/http', forbidden: (s) => s.startsWith('src/storage/') },
  { name: 'http, pages and oidc reach storage only through the domain\'s ports', from: 'src/interactions', forbidden: (s) => s.startsWith('src/storage/') },
  { name: 'http, pages and oidc reach storage only through the domain\'s ports', from: 'src/oidc', forbidden: (s) => s.startsWith('src/storage/') },
  { name: 'storage implements ports and knows no protocol or page', from: 'src/storage', forbidden: (s) => /^src\/(http|oidc|interactions|cli)\//.test(s) },
  {
    name: 'the verifier package imports only jose, Node built-ins and itself (it installs with jose alone)',
    from: 'packages/verifier/src',
    forbidden: (s) => !(s === 'jose' || s.startsWith('node:') || s.startsWith('packages/verifier/src/')),
  },
  {
    name: 'the console runs in the browser as served: it imports only its own files (no package, no CDN, no Node built-in)',
    from: 'packages/console/src',
    forbidden: (s) => !s.startsWith('packages/console/src/'),
  },
];

describe('architecture: dependencies point inward (http → domain ← storage)', () => {
  for (const rule of RULES) {
    it(`${rule.from}: ${rule.name}`, () => {
      const violations = sourceFiles(rule.from).flatMap((file) => importsOf(file).filter(rule.forbidden).map((s) => `${file} imports ${s}`));
      assert.deepEqual(violations, []);
    });
  }

  it('the rule itself catches a forbidden import (a domain file importing knex or storage)', () => {
    const domain = RULES[0]!;
    assert.ok(domain.forbidden('knex'));
    assert.ok(domain.forbidden('ioredis'));
    assert.ok(domain.forbidden('src/storage/postgres/database.js'));
    assert.ok(domain.forbidden('@koa/router'));
    assert.ok(!domain.forbidden('node:crypto'));
    assert.ok(!domain.forbidden('src/domain/errors.js'));
    assert.ok(!domain.forbidden('argon2'));
  });
});
