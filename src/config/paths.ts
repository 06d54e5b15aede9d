import { fileURLToPath } from 'node:url';

/** The package's root directory, found from this compiled file (dist/src/config/paths.js). */
export const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));

export const viewsDir = `${packageRoot}views`;
export const importSchemaPath = `${packageRoot}config/import.schema.json`;
