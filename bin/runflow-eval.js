#!/usr/bin/env node
// A thin shim: everything lives in main(), which returns the exit code and never exits itself.
import { main } from '../dist/main.js';
import { systemIO } from '../dist/io.js';

process.exitCode = await main(process.argv.slice(2), systemIO(), process.env);
