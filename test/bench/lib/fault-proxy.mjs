/**
 * A proxy between the gate and the sandbox that injects faults, as a flaky network and a loaded
 * service do: a reset before the request reaches the server, a reset after the server acted (the
 * response is lost), a 500 or 503, a 429 without headers, or a slow answer; or a burst of 429s on
 * the first submissions. It logs what the client saw, and counts the evaluations the server
 * really created (a 202 that is not an idempotent replay), so "exactly once" can be checked.
 */
import http from 'node:http';

/** mulberry32: the same seed gives the same faults. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS = ['reset', 'lost-response', '500', '503', '429', 'slow'];

/**
 * @param {string} target base URL of the real server
 * @param {{ faultRate?: number, seed?: number, slowMs?: number, first429s?: number }} opts
 */
export async function startFaultProxy(target, opts = {}) {
  const random = seeded(opts.seed ?? 7);
  const log = [];
  let created = 0;
  let burstLeft = opts.first429s ?? 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry = { method: req.method, path: req.url, status: undefined, fault: undefined };
      log.push(entry);
      const isSubmit = req.method === 'POST' && req.url.startsWith('/v1/evaluations');
      let fault;
      if (burstLeft > 0 && isSubmit) {
        burstLeft--;
        fault = '429';
      } else if (opts.faultRate && req.url.startsWith('/v1/') && random() < opts.faultRate) {
        fault = KINDS[Math.floor(random() * KINDS.length)];
      }
      entry.fault = fault;
      const answer = (status, payload) => {
        entry.status = status;
        const text = JSON.stringify(payload);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (fault === 'reset') return void req.socket.destroy();
      if (fault === '500') return answer(500, { code: 'INTERNAL_ERROR', message: 'injected', errors: null });
      if (fault === '503') return answer(503, { code: 'SERVICE_UNAVAILABLE', message: 'injected', errors: null });
      if (fault === '429') return answer(429, { code: 'RATE_LIMITED', message: 'Rate limit exceeded: injected', errors: null });
      const forward = () => {
        const up = http.request(new URL(req.url, target), { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (upRes) => {
          const parts = [];
          upRes.on('data', (c) => parts.push(c));
          upRes.on('end', () => {
            if (isSubmit && upRes.statusCode === 202 && upRes.headers['idempotent-replayed'] !== 'true') created++;
            if (fault === 'lost-response') return void req.socket.destroy();
            entry.status = upRes.statusCode;
            res.writeHead(upRes.statusCode, upRes.headers);
            res.end(Buffer.concat(parts));
          });
        });
        up.on('error', () => req.socket.destroy());
        up.end(body);
      };
      if (fault === 'slow') setTimeout(forward, opts.slowMs ?? 1500);
      else forward();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    /** Evaluations the server created behind this proxy. */
    get created() {
      return created;
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
