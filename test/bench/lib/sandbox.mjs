/**
 * The project's local API, `runflow-eval sandbox`, run as a child process with --verbose so its
 * request log (one line per request: `METHOD /path?query STATUS NNms`) lets the bench count what
 * the CLI sent.
 */
import { spawn } from 'node:child_process';
import { REPO, SANDBOX_CLI, childEnv } from './proc.mjs';

const REQUEST_LINE = /^(GET|POST|PUT|PATCH|DELETE|HEAD) (\S+) (\d{3}) (\d+)ms$/;

/**
 * @param {{ maxInflight?: number, workers?: number, rate?: number, evalTime?: string }} [opts]
 * @returns {Promise<{ url: string, requests: Array<{ method: string, path: string, status: number, ms: number }>, clearLog(): void, stop(): Promise<void> }>}
 */
export async function startSandbox(opts = {}) {
  const args = [SANDBOX_CLI, 'sandbox', '--verbose'];
  if (opts.maxInflight) args.push('--max-inflight', String(opts.maxInflight));
  if (opts.workers) args.push('--workers', String(opts.workers));
  if (opts.rate) args.push('--rate', String(opts.rate));
  if (opts.evalTime) args.push('--eval-time', opts.evalTime);
  const child = spawn(process.execPath, args, { cwd: REPO, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const requests = [];
  const problems = [];
  /** The last lines that were not request lines: what a crash printed. */
  const tail = [];
  let pending = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text) => {
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const m = REQUEST_LINE.exec(line.trim());
      if (m) requests.push({ method: m[1], path: m[2], status: Number(m[3]), ms: Number(m[4]) });
      else {
        if (/^(error|warning):/.test(line)) problems.push(line);
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
    }
  });
  const exited = new Promise((resolve) => child.on('close', resolve));
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the sandbox did not print its URL within 15 s')), 15_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text) => {
      out += text;
      const line = out.split('\n').find((l) => /^http:\/\//.test(l.trim()));
      if (line) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.on('error', reject);
    child.on('close', (code) => reject(new Error(`the sandbox exited early (code ${code})`)));
  });
  let exitCode;
  void exited.then((code) => {
    exitCode = code;
  });
  return {
    url,
    requests,
    problems,
    /** Why a request to it may have failed: says whether it is still running, and its last words. */
    describe: () => (exitCode === undefined ? `sandbox ${url} running` : `sandbox exited (${exitCode}): ${tail.join(' | ').slice(-800)}`),
    clearLog: () => {
      requests.length = 0;
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // Ctrl-C, as a user stops it; the CLI closes the server and removes its temporary folder.
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Headers every direct API call from the bench sends (the sandbox accepts any bearer key). */
export const API_HEADERS = { authorization: 'Bearer bench', accept: 'application/json' };

/** Submits one evaluation straight to the API (no CLI), returning its record. */
export async function submitDirect(url, dataUri) {
  const res = await fetch(`${url}/v1/evaluations`, {
    method: 'POST',
    headers: { ...API_HEADERS, 'content-type': 'application/json' },
    body: JSON.stringify({ generated_image_url: dataUri, task_type: 'bench' }),
  });
  if (res.status !== 202 && res.status !== 200) throw new Error(`POST /v1/evaluations answered ${res.status}: ${await res.text()}`);
  return res.json();
}

export async function getDirect(url, id, query = '') {
  const res = await fetch(`${url}/v1/evaluations/${id}${query}`, { headers: API_HEADERS });
  if (res.status !== 200) throw new Error(`GET /v1/evaluations/${id} answered ${res.status}`);
  return res.json();
}

/** Polls (the bench's own loop, not the CLI's) until the evaluation is terminal. */
export async function settleDirect(url, id, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await getDirect(url, id);
    if (record.status_code === 'completed' || record.status_code === 'failed') return record;
    if (Date.now() > deadline) throw new Error(`evaluation ${id} did not finish within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
