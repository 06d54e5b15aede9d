#!/usr/bin/env node
import { enableCompileCache } from 'node:module';

import { applyMemorySettings } from './config/memory-settings.js';

// First, before the server's modules load: on Linux this may replace the process by one started
// with the malloc settings (same PID and arguments), so nothing before it should do work.
applyMemorySettings();

// `npm start`. V8's compile cache keeps the compiled code of Gatehouse and its dependencies on
// disk (in the OS temp directory, or NODE_COMPILE_CACHE) between starts: compiling a thousand
// modules was the largest part of a warm start. Static imports would load before this line runs,
// so the server is imported after it. Without a writable directory the cache is simply off.
enableCompileCache();
await import('./start.js');
