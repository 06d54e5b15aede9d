import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package's root directory, found from this compiled file (dist/src/config/paths.js). */
export const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));

export const viewsDir = `${packageRoot}views`;
/** The admin console (packages/console): `public/` as written, `dist/` compiled by `tsc -b`. */
export const consoleDir = `${packageRoot}packages/console`;
/** The generated JSON copy of the import schema (src/domain/import/import-schema.ts is the source). */
export const importSchemaPath = `${packageRoot}config/import.schema.json`;

/** Gatehouse's version, from package.json (shown in the OpenAPI document). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(`${packageRoot}package.json`, 'utf8')) as { version: string }).version;
}
