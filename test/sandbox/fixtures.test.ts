/**
 * The demo images in fixtures/ give the verdicts the README promises, through the HTTP API:
 * good.png passes, blurry.png fails sharpness (and effective resolution), dark.png fails exposure, small.png fails the
 * resolution gate, and not-an-image.png fails with invalid_media.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { dataUri } from './images.js';
import { expectDocumentedShape, submit, upload, waitTerminal } from './http-helpers.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
const EMBED = 'judges,action,gate_failures';
type Judge = { name: string; passed: boolean | null; issues: Array<{ subcategory: string }> };

let sb: RunningSandbox;
beforeAll(async () => {
  sb = await startSandbox({ fetchRemote: false });
});
afterAll(() => sb.close());

async function evaluate(name: string, via: 'data' | 'upload' = 'data') {
  const bytes = await readFile(join(FIXTURES, name));
  const image = via === 'data' ? dataUri(bytes) : (await upload(sb.url, bytes, 'image/png', name)).ref;
  const r = await submit(sb.url, { generated_image_url: image, task_type: 'illustration', generation_prompt: 'a red house by a sign' });
  expect(r.status).toBe(202);
  const { record } = await waitTerminal(sb.url, String(r.body.id), { embed: EMBED });
  expectDocumentedShape(record);
  const judges = record.judges as Judge[];
  const failed = judges.filter((j) => j.passed === false).map((j) => j.name);
  return { record, judges, failed };
}

describe('fixtures', () => {
  test('every demo image is small', async () => {
    for (const name of ['good.png', 'blurry.png', 'dark.png', 'small.png']) {
      expect((await stat(join(FIXTURES, name))).size).toBeLessThan(150 * 1024);
    }
  });

  test('good.png passes every judge', async () => {
    const { record, failed } = await evaluate('good.png');
    expect(failed).toEqual([]);
    expect(record).toMatchObject({ status_code: 'completed', overall_passed: true, weighted_pass_rate: 1, top_issues: [], gate_failures: [] });
    expect(record.action).toMatchObject({ primary_action: 'none', improved_prompt: null });
  });

  test('blurry.png fails for blur (which also leaves no pixel-scale detail), and for nothing else', async () => {
    const { record, judges, failed } = await evaluate('blurry.png', 'upload');
    expect(failed).toEqual(['effective_resolution', 'sharpness']);
    expect(judges.find((j) => j.name === 'sharpness')!.issues.map((i) => i.subcategory)).toEqual(['blur']);
    expect(record).toMatchObject({ overall_passed: false, primary_action_code: 'regenerate' });
    expect((record.top_issues as string[])[0]).toBe('Image is blurry');
    expect((record.action as Record<string, unknown>).improved_prompt).toBe('a red house by a sign, sharp focus, crisp fine details');
  });

  test('dark.png fails for underexposure, and only for that', async () => {
    const { record, judges, failed } = await evaluate('dark.png');
    expect(failed).toEqual(['exposure']);
    expect(judges.find((j) => j.name === 'exposure')!.issues.map((i) => i.subcategory)).toEqual(['underexposed']);
    expect(record.overall_passed).toBe(false);
    expect((record.top_issues as string[])[0]).toMatch(/^Underexposed: mean luma \d+\/255/);
    expect((record.action as Record<string, unknown>).improved_prompt).toMatch(/bright, well-exposed lighting/);
  });

  test('small.png fails the resolution gate', async () => {
    const { record, failed } = await evaluate('small.png');
    expect(failed).toEqual(['resolution']);
    expect(record.overall_passed).toBe(false);
    expect(record.gate_failures).toEqual([expect.objectContaining({ output_key: 'resolution' })]);
  });

  test('not-an-image.png ends failed with invalid_media', async () => {
    const bytes = await readFile(join(FIXTURES, 'not-an-image.png'));
    const r = await submit(sb.url, { generated_image_url: dataUri(bytes), task_type: 'illustration' });
    const { record } = await waitTerminal(sb.url, String(r.body.id));
    expect(record).toMatchObject({ status_code: 'failed', failure_code: 'invalid_media', overall_passed: null });
  });
});
