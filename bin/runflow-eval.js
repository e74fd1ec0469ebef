#!/usr/bin/env node
// A thin shim: everything lives in main(), which returns the exit code and never exits itself.
// dist/bundle is tsc's output bundled into a few files, since start-up is mostly module loading.
import { main, systemIO } from '../dist/bundle/cli.js';

process.exitCode = await main(process.argv.slice(2), systemIO(), process.env);
