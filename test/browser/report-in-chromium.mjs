#!/usr/bin/env node
/**
 * The HTML report as a person sees it: runs the BUILT CLI's `gate --report` on the sandbox over
 * the fixtures, opens the page in headless Chromium (the machine's own, never a downloaded one),
 * and checks the rendered page, not the markup: one visible row per result in input order, every
 * thumbnail decoded by the browser and actually painted, the verdicts and scores shown, and no
 * console or CSP errors. The screenshot and the page are kept under test-output/browser/ as CI
 * artifacts.
 *
 * Chromium is driven over the DevTools protocol with undici's WebSocket (already a dependency),
 * so no browser-automation package is needed. Run it after `npm run build`:
 *   node test/browser/report-in-chromium.mjs      (CHROMIUM=/path/to/chrome to pick a binary)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { WebSocket } from 'undici';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = path.join(REPO, 'test-output', 'browser');
const VIEWPORT_WIDTH = 1280;
const OVERALL_TIMEOUT_MS = 90_000;

const failures = [];
/** Records a failed check and carries on, so one run reports everything that is wrong. */
function check(ok, message) {
  if (!ok) failures.push(message);
}

async function main() {
  if (!fs.existsSync(path.join(REPO, 'dist', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  const reportFile = path.join(OUT, 'report.html');
  const jsonFile = path.join(OUT, 'gate.json');

  const gate = await runCli(['gate', 'fixtures', '--sandbox', '--task-type', 'demo', '--report', reportFile, '--json-file', jsonFile]);
  // Some demo images fail the bar (exit 1), and the text file named .png is refused unsent, which
  // outranks a low score (exit 3, SPEC §4).
  check(gate.code === 3, `gate over the fixtures should exit 3 (not-an-image.png is not an image), got ${gate.code}\n${gate.stderr}`);
  if (!fs.existsSync(reportFile) || !fs.existsSync(jsonFile)) throw new Error(`gate wrote no report:\n${gate.stderr}`);
  const doc = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));

  const browser = await launchChromium();
  try {
    const page = await browser.openPage();
    const { rows, summary, problems } = await inspect(page, pathToFileURL(reportFile).href);
    const screenshot = await page.screenshot();
    fs.writeFileSync(path.join(OUT, 'report.png'), screenshot);
    page.close();

    checkRows(rows, doc.results);
    check(summary.includes(`${doc.counts.passed}/${doc.counts.total} passed`), `the summary line should say ${doc.counts.passed}/${doc.counts.total} passed, shows "${summary}"`);
    check(problems.length === 0, `the browser reported problems loading the page:\n  ${problems.join('\n  ')}`);
    await checkScreenshot(screenshot, rows);
  } finally {
    await browser.close();
  }
}

/** Every result has a visible row, in order, with a painted thumbnail, its verdict and its score. */
function checkRows(rows, results) {
  check(rows.length === results.length, `expected ${results.length} result rows, the page shows ${rows.length}`);
  results.forEach((result, i) => {
    const row = rows[i];
    if (!row) return;
    const name = path.basename(result.image);
    check(row.visible, `row ${i + 1} (${name}) is not visible`);
    check(row.image.includes(name), `row ${i + 1} should be ${name}, shows "${row.image}"`);
    if (result.error) {
      // Refused before it was sent: no verdict, no score, no thumbnail; the page says why.
      check(row.verdict === 'ERROR', `${name}: verdict should be ERROR, shows "${row.verdict}"`);
      check(row.reason.includes(result.error.message), `${name}: the page should say "${result.error.message}", shows "${row.reason}"`);
      check(row.thumbnail === null, `${name}: an input that is not an image should have no <img>`);
      return;
    }
    check(row.verdict === (result.passed ? 'PASS' : 'FAIL'), `${name}: verdict should be ${result.passed ? 'PASS' : 'FAIL'}, shows "${row.verdict}"`);
    check(/score \d/.test(row.score), `${name}: no score shown ("${row.score}")`);
    if (!result.passed) check(row.issues.length > 0 || row.judges > 0, `${name} failed but the page shows no issues or judges`);
    const img = row.thumbnail;
    check(img !== null, `${name}: no thumbnail <img>`);
    if (!img) return;
    check(img.src.startsWith('data:image/'), `${name}: thumbnail is not an embedded data:image/ (the page must be self-contained)`);
    check(img.decoded && img.naturalWidth > 0 && img.naturalHeight > 0, `${name}: the browser could not decode the thumbnail`);
    check(img.rect.width > 0 && img.rect.height > 0, `${name}: the thumbnail takes no space on the page`);
  });
}

/** The page is not blank, and each thumbnail's area on screen holds an image, not a flat box. */
async function checkScreenshot(png, rows) {
  const image = sharp(png);
  const { width, height } = await image.metadata();
  const stats = await image.stats();
  check(stats.channels.some((c) => c.stdev > 1), 'the screenshot is blank');
  for (const row of rows) {
    const r = row.thumbnail?.rect;
    if (!r || r.width < 1 || r.height < 1) continue;
    const left = Math.max(0, Math.floor(r.x));
    const top = Math.max(0, Math.floor(r.y));
    const region = {
      left,
      top,
      width: Math.min(Math.floor(r.width), width - left),
      height: Math.min(Math.floor(r.height), height - top),
    };
    if (region.width < 1 || region.height < 1) {
      check(false, `${row.image}: the thumbnail lies outside the screenshot`);
      continue;
    }
    const crop = await sharp(png).extract(region).stats();
    check(crop.channels.some((c) => c.stdev > 0.5), `${row.image}: the thumbnail's area of the screenshot is a flat colour (nothing painted)`);
  }
}

// ---- the page, seen through the DevTools protocol ----------------------------------------------

/** What the page shows, read in the page after its images are decoded. */
const INSPECT = `(async () => {
  await Promise.all([...document.images].map((img) => img.decode().catch(() => null)));
  const box = (el) => { const r = el.getBoundingClientRect(); return { x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height }; };
  const text = (root, id) => root.querySelector('[data-testid="' + id + '"]')?.textContent.trim() ?? '';
  const rows = [...document.querySelectorAll('[data-testid="result-row"]')].map((row) => {
    const img = row.querySelector('img');
    const style = getComputedStyle(row);
    const rect = box(row);
    return {
      image: text(row, 'image'),
      verdict: text(row, 'verdict'),
      score: text(row, 'score'),
      reason: text(row, 'reason'),
      issues: [...row.querySelectorAll('[data-testid="top-issues"] li')].map((li) => li.textContent.trim()),
      judges: row.querySelectorAll('[data-testid="judge-row"]').length,
      visible: rect.width > 0 && rect.height > 0 && style.visibility !== 'hidden' && style.display !== 'none',
      thumbnail: img && {
        src: img.getAttribute('src').slice(0, 32),
        decoded: img.complete,
        naturalWidth: img.naturalWidth,
        naturalHeight: img.naturalHeight,
        rect: box(img),
      },
    };
  });
  return { rows, summary: text(document, 'summary-line') };
})()`;

async function inspect(page, url) {
  const problems = [];
  page.on('Log.entryAdded', ({ entry }) => {
    if (entry.level === 'error') problems.push(`${entry.source}: ${entry.text}`);
  });
  page.on('Runtime.exceptionThrown', ({ exceptionDetails }) => problems.push(`exception: ${exceptionDetails.text}`));
  await page.send('Log.enable');
  await page.send('Runtime.enable');
  await page.send('Page.enable');
  const loaded = page.once('Page.loadEventFired');
  const nav = await page.send('Page.navigate', { url });
  if (nav.errorText) throw new Error(`Chromium could not open the report: ${nav.errorText}`);
  await loaded;

  // Size the viewport to the whole page, so the screenshot shows every row.
  const metrics = await page.send('Page.getLayoutMetrics');
  const contentHeight = Math.ceil((metrics.cssContentSize ?? metrics.contentSize).height);
  await page.send('Emulation.setDeviceMetricsOverride', { width: VIEWPORT_WIDTH, height: Math.min(Math.max(contentHeight, 800), 16_000), deviceScaleFactor: 1, mobile: false });

  const result = await page.send('Runtime.evaluate', { expression: INSPECT, awaitPromise: true, returnByValue: true });
  if (result.exceptionDetails) throw new Error(`inspecting the page failed: ${result.exceptionDetails.text}`);
  return { ...result.result.value, problems };
}

function findChromium() {
  const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean);
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`no Chromium found (tried ${candidates.join(', ')}); install Debian's chromium or set CHROMIUM`);
  return found;
}

async function launchChromium() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'rfe-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox', // CI runs as root, where Chromium's sandbox cannot start
    '--disable-gpu',
    '--disable-quic',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-extensions',
    '--disable-breakpad',
    '--disable-crash-reporter',
    '--hide-scrollbars',
    `--user-data-dir=${profile}`,
    `--window-size=${VIEWPORT_WIDTH},2000`,
    '--remote-debugging-address=127.0.0.1',
    '--remote-debugging-port=0',
    'about:blank',
  ];
  const child = spawn(findChromium(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const endpoint = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Chromium did not start its DevTools endpoint:\n${log}`)), 30_000);
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      log += chunk;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited (${code}) before starting:\n${log}`));
    });
  });
  const { host } = new URL(endpoint);

  return {
    async openPage() {
      const res = await fetch(`http://${host}/json/list`);
      const targets = await res.json();
      const target = targets.find((t) => t.type === 'page');
      if (!target) throw new Error('Chromium has no page to drive');
      return connect(target.webSocketDebuggerUrl);
    },
    async close() {
      // 'close' fires once every process holding Chromium's stderr (its helpers too) is gone,
      // so the profile folder is no longer being written when it is removed.
      const closed = new Promise((resolve) => (child.stderr.closed ? resolve() : child.once('close', resolve)));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await closed;
      clearTimeout(timer);
      try {
        fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      } catch (err) {
        console.warn(`browser test: could not remove ${profile}: ${err.message}`);
      }
    },
  };
}

/** A minimal DevTools protocol client: numbered commands, events by name. */
async function connect(wsUrl) {
  const ws = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', () => reject(new Error(`cannot connect to ${wsUrl}`)), { once: true });
  });
  let nextId = 1;
  const pending = new Map();
  const listeners = new Map();
  ws.addEventListener('message', (event) => {
    const msg = JSON.parse(String(event.data));
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p?.resolve(msg.result);
    } else {
      for (const fn of listeners.get(msg.method) ?? []) fn(msg.params);
    }
  });
  const page = {
    send(method, params = {}) {
      const id = nextId++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject, method }));
    },
    on(method, fn) {
      listeners.set(method, [...(listeners.get(method) ?? []), fn]);
    },
    once(method) {
      return new Promise((resolve) => {
        const fn = (params) => {
          listeners.set(method, (listeners.get(method) ?? []).filter((f) => f !== fn));
          resolve(params);
        };
        page.on(method, fn);
      });
    },
    async screenshot() {
      const { data } = await page.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: false });
      return Buffer.from(data, 'base64');
    },
    close() {
      ws.close();
    },
  };
  return page;
}

// ---- the CLI under test ------------------------------------------------------------------------

/** Runs the built CLI as a user would, in a clean environment (no key: the sandbox needs none). */
function runCli(args) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'rfe-browser-'));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, RUNFLOW_CONFIG_DIR: path.join(home, 'config'), CI: 'true' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'runflow-eval.js'), ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code) => {
      fs.rmSync(home, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}

const started = Date.now();
const watchdog = setTimeout(() => {
  console.error(`browser test: gave up after ${OVERALL_TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, OVERALL_TIMEOUT_MS);
watchdog.unref();

try {
  await main();
} catch (err) {
  failures.push(err instanceof Error ? err.message : String(err));
}
const took = ((Date.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  console.error(`browser test: FAILED in ${took} s (artifacts in ${path.relative(REPO, OUT)}/)`);
  for (const f of failures) console.error(`  - ${f}`);
  process.exitCode = 1;
} else {
  console.log(`browser test: the report renders every row, thumbnail, verdict and score (${took} s; screenshot: ${path.relative(REPO, path.join(OUT, 'report.png'))})`);
}
