import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { EvaluationRequest } from '../../src/api/types.js';
import { freshIdempotencyKey, idempotencyKeyFor } from '../../src/evaluations/idempotency.js';
import { classifyImage } from '../../src/images/classify.js';
import { resolveImageForSubmit } from '../../src/images/resolve.js';
import { tinyImage } from '../images/helpers.js';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const ASSET = 'runflow://assets/3f2b8c1e-9a4d-4e6f-8b2a-1c3d5e7f9a0b';

describe('idempotencyKeyFor', () => {
  it('is deterministic and shaped rfe-<32 hex>', () => {
    const body: EvaluationRequest = { generated_image_url: 'https://x.test/a.png', task_type: 'headshot' };
    const key = idempotencyKeyFor(body, { refs: [] });
    expect(key).toMatch(/^rfe-[0-9a-f]{32}$/);
    expect(idempotencyKeyFor({ ...body }, { refs: [] })).toBe(key);
  });

  it('gives the same key for the same file sent inline or uploaded', async () => {
    const bytes = await tinyImage('png');
    const hash = sha(bytes);
    const inline: EvaluationRequest = { generated_image_url: `data:image/png;base64,${bytes.toString('base64')}`, task_type: 't', generation_prompt: 'a cat' };
    const uploaded: EvaluationRequest = { ...inline, generated_image_url: ASSET };
    expect(idempotencyKeyFor(inline, { image: hash, refs: [] })).toBe(idempotencyKeyFor(uploaded, { image: hash, refs: [] }));
  });

  it('treats reference images the same way, by index', async () => {
    const bytes = await tinyImage('jpeg');
    const hash = sha(bytes);
    const base = { generated_image_url: 'https://x.test/a.png', task_type: 't' };
    const a: EvaluationRequest = { ...base, reference_images: [{ url: 'https://x.test/r.png', kind: 'style' }, { url: `data:image/jpeg;base64,${bytes.toString('base64')}`, kind: 'face' }] };
    const b: EvaluationRequest = { ...base, reference_images: [{ url: 'https://x.test/r.png', kind: 'style' }, { url: ASSET, kind: 'face' }] };
    expect(idempotencyKeyFor(a, { refs: [undefined, hash] })).toBe(idempotencyKeyFor(b, { refs: [undefined, hash] }));
    // …but a different reference kind is a different request.
    const c: EvaluationRequest = { ...b, reference_images: [b.reference_images![0], { url: ASSET, kind: 'source_face' }] };
    expect(idempotencyKeyFor(c, { refs: [undefined, hash] })).not.toBe(idempotencyKeyFor(b, { refs: [undefined, hash] }));
  });

  it('changes with the prompt, the image and the job class', () => {
    const body: EvaluationRequest = { generated_image_url: 'https://x.test/a.png', task_type: 't', generation_prompt: 'a cat' };
    const key = idempotencyKeyFor(body, { refs: [] });
    expect(idempotencyKeyFor({ ...body, generation_prompt: 'a dog' }, { refs: [] })).not.toBe(key);
    expect(idempotencyKeyFor({ ...body, generated_image_url: 'https://x.test/b.png' }, { refs: [] })).not.toBe(key);
    expect(idempotencyKeyFor({ ...body, job_class: 'priority' }, { refs: [] })).not.toBe(key);
    expect(idempotencyKeyFor(body, { image: 'aa'.repeat(32), refs: [] })).not.toBe(key);
  });

  it('does not depend on key order, at any depth, nor on undefined members', () => {
    const a: EvaluationRequest = {
      generated_image_url: 'https://x.test/a.png',
      task_type: 't',
      input_attributes: { min_side: 512, style: { tone: 'warm', grain: 1 } },
    };
    const b = {
      input_attributes: { style: { grain: 1, tone: 'warm' }, min_side: 512 },
      task_type: 't',
      client_ref: undefined,
      generated_image_url: 'https://x.test/a.png',
    } as EvaluationRequest;
    expect(idempotencyKeyFor(b, { refs: [] })).toBe(idempotencyKeyFor(a, { refs: [] }));
  });

  it('keeps the order of reference images significant', () => {
    const base = { generated_image_url: 'https://x.test/a.png', task_type: 't' };
    const r1 = { url: 'https://x.test/1.png' };
    const r2 = { url: 'https://x.test/2.png' };
    expect(idempotencyKeyFor({ ...base, reference_images: [r1, r2] }, { refs: [] })).not.toBe(
      idempotencyKeyFor({ ...base, reference_images: [r2, r1] }, { refs: [] }),
    );
  });

  it('a data: URI and the same bytes resolved from disk hash alike end to end', async () => {
    const bytes = await tinyImage('webp');
    const resolved = await resolveImageForSubmit(classifyImage(`data:image/webp;base64,${bytes.toString('base64')}`), { baseUrl: 'https://api.test' });
    expect(resolved.contentHash).toBe(sha(bytes));
  });
});

describe('freshIdempotencyKey', () => {
  it('differs every time', () => {
    const keys = new Set(Array.from({ length: 50 }, () => freshIdempotencyKey()));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(key).toMatch(/^rfe-[0-9a-f-]{36}$/);
  });
});
