/**
 * Baseline for the gate's makespan: the getting-started guide's loop, as a user would copy it —
 * submit one image, poll every 5 s until it is terminal, then the next image.
 * Usage: node guide-loop.mjs BASE_URL IMAGE...   (prints one JSON line: { images, ms })
 */
import { readFile } from 'node:fs/promises';

const POLL_EVERY_MS = 5_000;
const [base, ...files] = process.argv.slice(2);
const headers = { authorization: 'Bearer bench', accept: 'application/json' };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const started = performance.now();
for (const file of files) {
  const image = `data:image/png;base64,${(await readFile(file)).toString('base64')}`;
  const res = await fetch(`${base}/v1/evaluations`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ generated_image_url: image, task_type: 'bench' }),
  });
  if (!res.ok) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
  let evaluation = await res.json();
  while (evaluation.status_code !== 'completed' && evaluation.status_code !== 'failed') {
    await sleep(POLL_EVERY_MS);
    evaluation = await (await fetch(`${base}/v1/evaluations/${evaluation.id}`, { headers })).json();
  }
}
console.log(JSON.stringify({ images: files.length, ms: performance.now() - started }));
