import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BodyAllowance } from '../../src/api/body-allowance.js';
import { RunflowClient } from '../../src/api/client.js';
import { UsageError } from '../../src/errors.js';
import { idempotencyKeyFor } from '../../src/evaluations/idempotency.js';
import { buildRequest, prepareSubmission } from '../../src/evaluations/request.js';
import { inlineFileUriLength, toDataUri, writeFileDataUri } from '../../src/images/data-uri.js';
import { makeTempDir, noisyPng, tinyImage } from '../images/helpers.js';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterAll(() => cleanup());

describe('writeFileDataUri', () => {
  it('writes the same data: URI as encoding the whole file, for sizes around its piece boundaries', async () => {
    // 196,608 bytes a piece: below, at, just past and well past one, and an odd tail.
    for (const size of [1, 2, 3, 196_607, 196_608, 196_609, 600_001]) {
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 7919 + (i >> 8)) & 0xff;
      const file = path.join(dir, `raw-${size}.bin`);
      await writeFile(file, bytes);
      const info = { absPath: file, mime: 'image/png', size, sha256: sha(bytes), label: `file-${size}` };
      const out = Buffer.alloc(inlineFileUriLength(info) + 4, 0x2a);
      const end = await writeFileDataUri(info, out, 2);
      expect(end).toBe(2 + inlineFileUriLength(info));
      expect(out.subarray(2, end).toString('latin1')).toBe(toDataUri(bytes, 'image/png'));
      expect(out[0]).toBe(0x2a);
      expect(out[end]).toBe(0x2a);
    }
  });

  it('refuses a file whose bytes are no longer the ones its key came from, naming it', async () => {
    const bytes = await tinyImage('png');
    const file = path.join(dir, 'changing.png');
    await writeFile(file, bytes);
    const info = { absPath: file, mime: 'image/png', size: bytes.length, sha256: sha(bytes), label: 'changing.png' };
    // Same size, other content.
    const other = Buffer.from(bytes);
    other[other.length - 1] ^= 0xff;
    await writeFile(file, other);
    const out = Buffer.alloc(inlineFileUriLength(info));
    await expect(writeFileDataUri(info, out, 0)).rejects.toThrow(UsageError);
    await expect(writeFileDataUri(info, out, 0)).rejects.toThrow(/changing\.png changed after its request was made/);
    // Grown.
    await writeFile(file, Buffer.concat([bytes, bytes]));
    await expect(writeFileDataUri(info, out, 0)).rejects.toThrow(/changing\.png changed/);
    // Gone.
    await writeFile(file, bytes);
    await expect(writeFileDataUri({ ...info, absPath: path.join(dir, 'gone.png') }, out, 0)).rejects.toThrow(/changing\.png: cannot read the file any more/);
  });
});

describe('buildRequest with local files sent inline', () => {
  const client = new RunflowClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'unused-key', userAgent: 'test', env: {} });
  afterAll(() => client.close());

  it('holds no data: URI; the body it sends is the one with the URIs written in, under the same key', async () => {
    const image = await noisyPng(300, 200, 3);
    const ref = await tinyImage('jpeg');
    const imagePath = path.join(dir, 'shot.png');
    const refPath = path.join(dir, 'face.jpg');
    await writeFile(imagePath, image);
    await writeFile(refPath, ref);
    const prepared = await prepareSubmission({
      image: imagePath,
      taskType: 'headshot',
      prompt: 'a "quoted" prompt — with ünïcode',
      attributes: { n: 1 },
      refs: [{ image: refPath, kind: 'source_face', description: 'the person' }],
    });
    const built = await buildRequest(prepared, { client, baseUrl: client.baseUrl });
    expect(JSON.stringify(built.body)).not.toContain('data:');
    expect(built.lazyBody).toBeDefined();

    const expected = {
      generated_image_url: toDataUri(image, 'image/png'),
      task_type: 'headshot',
      generation_prompt: 'a "quoted" prompt — with ünïcode',
      input_attributes: { n: 1 },
      reference_images: [{ url: toDataUri(ref, 'image/jpeg'), kind: 'source_face', description: 'the person' }],
      job_class: 'standard',
    };
    const sent = await built.lazyBody!.encode();
    expect(sent.length).toBe(built.lazyBody!.size);
    expect(JSON.parse(sent.toString('utf8'))).toEqual(expected);
    // Made again for a retry: the same bytes.
    expect((await built.lazyBody!.encode()).equals(sent)).toBe(true);
    // The key is the one the whole body (images by their hash) gives.
    expect(built.contentKey).toBe(idempotencyKeyFor(expected, { image: sha(image), refs: [sha(ref)] }));
  });

  it('keeps no stand-in when nothing goes inline', async () => {
    const prepared = await prepareSubmission({ image: 'https://example.com/a.png', taskType: 't', refs: [] });
    const built = await buildRequest(prepared, { client, baseUrl: client.baseUrl });
    expect(built.lazyBody).toBeUndefined();
    expect(built.body.generated_image_url).toBe('https://example.com/a.png');
  });
});

describe('BodyAllowance', () => {
  it('serves in order, lets a body larger than the whole allowance go alone, and drops a waiter that gave up', async () => {
    const allowance = new BodyAllowance(100);
    const order: string[] = [];
    const first = await allowance.acquire(60);
    const big = allowance.acquire(500).then((release) => (order.push('big'), release));
    const gaveUp = new AbortController();
    const abandoned = allowance.acquire(10, gaveUp.signal);
    const small = allowance.acquire(10).then((release) => (order.push('small'), release));
    await new Promise((r) => setTimeout(r, 10));
    // The small one fits, but waits its turn behind the big one.
    expect(order).toEqual([]);
    gaveUp.abort(new Error('stopped'));
    await expect(abandoned).rejects.toThrow('stopped');
    first();
    const releaseBig = await big;
    expect(allowance.free).toBe(0);
    releaseBig();
    releaseBig(); // a second call gives nothing back twice
    (await small)();
    expect(order).toEqual(['big', 'small']);
    expect(allowance.free).toBe(100);
  });
});
