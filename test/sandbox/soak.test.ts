/**
 * Memory stays bounded over many evaluations: 1,000 small images (up to 1024×1024) through one
 * sandbox and a client polling each to the end. The vitest worker itself starts at about 100 MB,
 * so the test holds the growth over that baseline under 160 MB; a plain node process doing the
 * same work peaked at 170–185 MB in total. Slow (a minute or more on two cores), so it runs
 * only when asked:  SANDBOX_SOAK=1 npx vitest run --config test/vitest.config.ts test/sandbox/soak.test.ts
 */
import { describe, expect, test } from 'vitest';
import { startSandbox } from '../../src/sandbox/server.js';
import { dataUri, natural, scene } from './images.js';
import { submit, waitTerminal } from './http-helpers.js';

const COUNT = Number(process.env.SANDBOX_SOAK_COUNT ?? 1000);

describe.runIf(process.env.SANDBOX_SOAK === '1')('soak', () => {
  test(`${COUNT} evaluations in bounded memory`, { timeout: 600_000 }, async () => {
    const sb = await startSandbox();
    const images = [dataUri(await scene()), dataUri(await natural(768, 576)), dataUri(await scene(1024, 1024, 3))];
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
    try {
      let next = 0;
      let completed = 0;
      const worker = async () => {
        while (next < COUNT) {
          const n = next++;
          for (;;) {
            const r = await submit(sb.url, { generated_image_url: images[n % images.length], task_type: 'photo', client_ref: `n${n}` });
            if (r.status === 429) {
              await new Promise((res) => setTimeout(res, 50));
              continue;
            }
            expect(r.status).toBe(202);
            const { record } = await waitTerminal(sb.url, String(r.body.id), { timeoutMs: 60_000, intervalMs: 50 });
            expect(record.status_code).toBe('completed');
            completed++;
            break;
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      expect(completed).toBe(COUNT);
    } finally {
      clearInterval(sampler);
      await sb.close();
    }
    const mb = (bytes: number) => Math.round(bytes / 1048576);
    console.log(`rss: baseline ${mb(baseline)} MB, peak ${mb(peak)} MB, growth ${mb(peak - baseline)} MB`);
    expect(mb(peak - baseline)).toBeLessThan(160);
  });
});
