#!/usr/bin/env node
import { runCommandLine } from './command-line.js';

// The binary: the process's environment and standard streams. The exit code is set, not forced,
// so buffered output (a long `audit export` into a pipe) drains before the process ends.
process.exitCode = await runCommandLine(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
