/**
 * src/api/dispatcher.ts loads undici's own files (undici/lib/…) instead of its package index, which
 * also loads fetch, WebSocket and caches: about 50 ms more on every command that makes a request
 * (the closing note of issue 13 has the measurement). Those paths are not a public API, so the
 * version is pinned exactly, and this test fails when an upgrade moves or changes them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const CLIENT = new URL('../../src/api/dispatcher.ts', import.meta.url);
const requireFromClient = createRequire(CLIENT);
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, { version?: string; dependencies?: Record<string, string> }> };

/** Each internal file dispatcher.ts loads, and the public export it stands for. */
const EXPECTED: Record<string, string> = {
  'undici/lib/dispatcher/agent.js': 'Agent',
  'undici/lib/dispatcher/env-http-proxy-agent.js': 'EnvHttpProxyAgent',
  'undici/lib/dispatcher/dispatcher.js': 'Dispatcher',
  'undici/lib/api/index.js': 'Dispatcher.prototype (request, stream, pipeline, upgrade, connect)',
};

describe("undici's internal entry points", () => {
  it('are the ones listed here (a new one gets a check below)', () => {
    const source = readFileSync(CLIENT, 'utf8');
    const used = [...source.matchAll(/requireUndici\('([^']+)'\)/g)].map((m) => m[1]);
    expect(new Set(used)).toEqual(new Set(Object.keys(EXPECTED)));
  });

  it('pin undici to one exact version, the one installed', () => {
    const range = pkg.dependencies.undici;
    expect(range, 'package.json must pin undici exactly: dispatcher.ts loads its internal files').toMatch(/^\d+\.\d+\.\d+$/);
    expect(lock.packages[''].dependencies?.undici).toBe(range);
    expect(lock.packages['node_modules/undici'].version).toBe(range);
    expect(requireFromClient('undici/package.json').version).toBe(range);
  });

  it('are the very classes and methods the public entry exports', () => {
    const publicUndici = requireFromClient('undici') as Record<string, { prototype: Record<string, unknown> }>;
    expect(requireFromClient('undici/lib/dispatcher/agent.js')).toBe(publicUndici.Agent);
    expect(requireFromClient('undici/lib/dispatcher/env-http-proxy-agent.js')).toBe(publicUndici.EnvHttpProxyAgent);
    expect(requireFromClient('undici/lib/dispatcher/dispatcher.js')).toBe(publicUndici.Dispatcher);
    const api = requireFromClient('undici/lib/api/index.js') as Record<string, unknown>;
    for (const method of ['request', 'stream', 'pipeline', 'upgrade', 'connect']) {
      expect(typeof api[method], method).toBe('function');
      expect(publicUndici.Dispatcher.prototype[method], method).toBe(api[method]);
    }
  });
});
