/**
 * The connection pool every API client sends through: undici's Agent, or its proxy agent when
 * HTTPS_PROXY / HTTP_PROXY are set. Loaded only by api/client.ts, so commands that make no
 * request (--version, --help) never load undici.
 */
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import type { Dispatcher } from 'undici';
import { proxySettings } from './proxy.js';

/**
 * undici's package index also loads fetch, WebSocket, caches and more: about twice the start-up
 * time of Node itself. We use only an Agent (or the proxy agent) and `dispatcher.request()`, so
 * we load just those parts: undici's own files, not its public API, so package.json pins undici
 * exactly and test/api/undici-internals.test.ts fails if an upgrade moves them. The public entry
 * costs about 50 ms more per request-making command (measured for issue 13: `get --json` 123 ms
 * with these files, 172 ms with `require('undici')`, `node -e ""` 54 ms).
 */
const requireUndici = createRequire(import.meta.url);

// undici parses HTTP with a WebAssembly module. V8 first compiles it with its baseline compiler,
// then recompiles it with the optimising one in the background, and Node waits for that before
// the process can exit: about 200 ms and 30 MB on every command, for a CLI that makes a handful
// of requests. Staying on the baseline compiler removes that wait. Only WebAssembly is affected,
// and this module loads only when a command makes a request.
setFlagsFromString('--liftoff-only');
type AgentClass = new (opts?: object) => Dispatcher;
const { Agent, EnvHttpProxyAgent } = {
  Agent: requireUndici('undici/lib/dispatcher/agent.js') as AgentClass,
  EnvHttpProxyAgent: requireUndici('undici/lib/dispatcher/env-http-proxy-agent.js') as AgentClass,
};
// The package index gives every dispatcher request(), connect() (used by the proxy tunnel) and
// the rest of the API; do the same, once.
const DispatcherBase = requireUndici('undici/lib/dispatcher/dispatcher.js') as { prototype: Dispatcher };
if (typeof DispatcherBase.prototype.request !== 'function') {
  Object.assign(DispatcherBase.prototype, requireUndici('undici/lib/api/index.js'));
}

/** A dispatcher honouring the proxy variables in `env`; the caller closes it. */
export function createDispatcher(env: Record<string, string | undefined>): Dispatcher {
  const settings = proxySettings(env);
  // Explicit values (never undefined) so undici does not fall back to process.env on its own.
  if (settings) return new EnvHttpProxyAgent(settings);
  return new Agent();
}
