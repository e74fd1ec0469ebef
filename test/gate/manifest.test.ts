import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { closestKey, manifestKeyName } from '../../src/gate/manifest-keys.js';
import { parseManifest } from '../../src/gate/manifest.js';
import type { GateInput } from '../../src/gate/inputs-types.js';
import type { SubmitFlags } from '../../src/evaluations/submit-flags.js';

const source = { name: 'manifest.jsonl', baseDir: '/data/set' };

function submitInputs(inputs: GateInput[]) {
  return inputs.map((input) => {
    if (input.kind !== 'submit') throw new Error('expected a submit input');
    return input;
  });
}

function parse(text: string, flags: SubmitFlags = {}, name = source.name) {
  return submitInputs(parseManifest(text, { ...source, name }, flags));
}

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as UsageError).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseManifest: formats', () => {
  it('reads JSON Lines, skipping blank lines, with line numbers as origins', () => {
    const text = '{"image":"a.png"}\n\n   \n{"image":"b.png","prompt":"a cat"}\r\n';
    const items = parse(text, { taskType: 'headshot' });
    expect(items.map((i) => i.display)).toEqual(['a.png', 'b.png']);
    expect(items.map((i) => i.origin)).toEqual(['manifest.jsonl:1', 'manifest.jsonl:4']);
    expect(items[1].spec.prompt).toBe('a cat');
    expect(items[0].spec.taskType).toBe('headshot');
  });

  it('reads a JSON array (leading whitespace and BOM allowed) and finds each item\'s line', () => {
    const text = '\uFEFF  \n[\n  {"image": "a.png"},\n  {\n    "image": "b.png",\n    "refs": ["[x].png"]\n  }\n]\n';
    const items = parse(text, {}, 'set.json');
    expect(items.map((i) => i.display)).toEqual(['a.png', 'b.png']);
    expect(items[0].origin).toBe('set.json:3 (item 1)');
    expect(items[1].origin).toBe('set.json:4 (item 2)');
  });

  it('allows an empty manifest (the caller decides what no input means)', () => {
    expect(parse('')).toEqual([]);
    expect(parse('\n  \n')).toEqual([]);
    expect(parse('[]', {}, 'x.json')).toEqual([]);
  });

  it('names the file and line of invalid JSON in JSON Lines', () => {
    const msg = usageMessage(() => parse('{"image":"a.png"}\n{"image": "b.png",}\n'));
    expect(msg).toMatch(/^manifest\.jsonl:2(:\d+)?: invalid JSON/);
  });

  it('names the line of invalid JSON inside an array, with or without a position from V8', () => {
    // Trailing comma inside the second item's object.
    const a = usageMessage(() => parse('[\n{"image":"a.png"},\n{"image":"b.png",}\n]', {}, 'm.json'));
    expect(a).toMatch(/^m\.json:3: invalid JSON/);
    // Missing comma between items.
    const b = usageMessage(() => parse('[\n{"image":"a.png"}\n{"image":"b.png"}\n]', {}, 'm.json'));
    expect(b).toMatch(/^m\.json:3: invalid JSON/);
    // Unterminated array.
    const c = usageMessage(() => parse('[\n{"image":"a.png"},\n{"image":"b.png"}\n', {}, 'm.json'));
    expect(c).toMatch(/^m\.json:3: invalid JSON/);
    // A bad literal: Node 20's V8 gives no position for this one, so the items are parsed one by one.
    const d = usageMessage(() => parse('[\n{"image":"a.png"},\n{"image": tru}\n]', {}, 'm.json'));
    expect(d).toMatch(/^m\.json:3: invalid JSON/);
  });

  it('does not echo a long input back in a JSON error', () => {
    const huge = `{"image": "data:image/png;base64,${'A'.repeat(5000)}" oops}`;
    const msg = usageMessage(() => parse(huge));
    expect(msg.length).toBeLessThan(300);
  });

  it('refuses items that are not objects, and a top-level value that is not an array', () => {
    expect(usageMessage(() => parse('"a.png"\n'))).toMatch(/^manifest\.jsonl:1: each item must be an object/);
    expect(usageMessage(() => parse('[1]', {}, 'm.json'))).toMatch(/^m\.json:1 \(item 1\): each item must be an object/);
  });
});

describe('parseManifest: keys and types', () => {
  it('names an unknown key with its line and the closest known key', () => {
    const msg = usageMessage(() => parse('{"image":"a.png"}\n\n{"image":"b.png","promt":"x"}\n'));
    expect(msg).toBe('manifest.jsonl:3: unknown key "promt" (did you mean "prompt"?)');
  });

  it('suggests the manifest key for API field names and camelCase spellings', () => {
    expect(usageMessage(() => parse('{"image":"a.png","generation_prompt":"x"}'))).toContain('(did you mean "prompt"?)');
    expect(usageMessage(() => parse('{"image":"a.png","reference_images":[]}'))).toContain('(did you mean "refs"?)');
    expect(usageMessage(() => parse('{"image":"a.png","taskType":"x"}'))).toContain('(did you mean "task_type"?)');
    expect(usageMessage(() => parse('{"image":"a.png","zzzzzz":1}'))).toBe('manifest.jsonl:1: unknown key "zzzzzz"');
  });

  it('points flag-only settings to their flag', () => {
    try {
      parse('{"image":"a.png","job_class":"fast"}');
      expect.unreachable();
    } catch (err) {
      expect((err as UsageError).message).toBe('manifest.jsonl:1: unknown key "job_class"');
      expect((err as UsageError).hint).toContain('--job-class');
    }
  });

  it('checks types', () => {
    const cases: Array<[string, RegExp]> = [
      ['{"prompt":"x"}', /missing "image"/],
      ['{"image":""}', /"image" is empty/],
      ['{"image":42}', /"image" must be a string \(got the number 42\)/],
      ['{"image":"a.png","prompt":7}', /"prompt" must be a string/],
      ['{"image":"a.png","task_type":null}', /"task_type" must be a string \(got null\)/],
      ['{"image":"a.png","threshold":1.5}', /"threshold" must be a number from 0 to 1/],
      ['{"image":"a.png","threshold":"0.5"}', /"threshold" must be a number from 0 to 1 \(got a string\)/],
      ['{"image":"a.png","attributes":[1]}', /"attributes" must be an object/],
      ['{"image":"a.png","refs":"b.png"}', /"refs" must be an array/],
      ['{"image":"a.png","refs":["1","2","3","4","5"]}', /"refs" has 5 images; the API takes at most 4/],
      ['{"image":"a.png","refs":[{"kind":"face"}]}', /refs\[0\]: missing "image"/],
      ['{"image":"a.png","refs":[{"image":"b.png","knid":"face"}]}', /refs\[0\]: unknown key "knid" \(did you mean "kind"\?\)/],
      ['{"image":"a.png","refs":[3]}', /refs\[0\]: must be an image string or/],
    ];
    for (const [line, pattern] of cases) {
      const msg = usageMessage(() => parse(line));
      expect(msg, line).toMatch(/^manifest\.jsonl:1/);
      expect(msg, line).toMatch(pattern);
    }
  });

  it('accepts thresholds at both ends of 0..1', () => {
    const items = parse('{"image":"a.png","threshold":0}\n{"image":"b.png","threshold":1}\n{"image":"c.png"}');
    expect(items.map((i) => i.threshold)).toEqual([0, 1, undefined]);
  });
});

describe('parseManifest: specs', () => {
  const flags: SubmitFlags = {
    taskType: 'headshot',
    prompt: 'flag prompt',
    instructions: 'flag instructions',
    attr: ['style=photo'],
    ref: ['face.png::source_face::The person'],
    clientRef: 'flag-ref',
    jobClass: 'fast',
    runId: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
    callbackUrl: 'https://example.com/hook',
  };

  it('takes defaults from the flags for absent fields', () => {
    const [item] = parse('{"image":"a.png"}', flags);
    expect(item.spec).toMatchObject({
      image: 'a.png',
      baseDir: '/data/set',
      taskType: 'headshot',
      prompt: 'flag prompt',
      instructions: 'flag instructions',
      attributes: { style: 'photo' },
      refs: [{ image: 'face.png', kind: 'source_face', description: 'The person' }],
      clientRef: 'flag-ref',
      jobClass: 'fast',
      runId: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
      callbackUrl: 'https://example.com/hook',
    });
  });

  it('lets each item override field by field; refs and attributes replace the flags\' whole', () => {
    const line = JSON.stringify({
      image: 'sub/b.png',
      task_type: 'product',
      prompt: 'item prompt',
      task_description: 'desc',
      instructions: '',
      attributes: { size: 3 },
      refs: ['r1.png', { image: 'https://x.test/r2.png', kind: 'style' }, { image: 'r3.png', description: 'd' }],
      client_ref: 'c-1',
    });
    const [item] = parse(line, flags);
    expect(item.spec).toMatchObject({
      image: 'sub/b.png',
      taskType: 'product',
      prompt: 'item prompt',
      taskDescription: 'desc',
      instructions: '',
      attributes: { size: 3 },
      refs: [{ image: 'r1.png' }, { image: 'https://x.test/r2.png', kind: 'style' }, { image: 'r3.png', description: 'd' }],
      clientRef: 'c-1',
      jobClass: 'fast',
    });
    expect(item.spec.refs[0]).toEqual({ image: 'r1.png' });
  });

  it('an empty refs array in an item removes the --ref defaults', () => {
    const [item] = parse('{"image":"a.png","refs":[]}', flags);
    expect(item.spec.refs).toEqual([]);
  });

  it('keeps the image as written and resolves it later against the manifest folder', () => {
    const [item] = parse('{"image":"../shots/a.png"}');
    expect(item.display).toBe('../shots/a.png');
    expect(item.spec.image).toBe('../shots/a.png');
    expect(item.spec.baseDir).toBe('/data/set');
  });

  it('labels values by where they came from', () => {
    const [fromItem, fromFlag] = parse('{"image":"a.png","prompt":"p"}\n{"image":"b.png"}', { prompt: 'flag' });
    expect(fromItem.spec.label?.('prompt')).toBe('manifest.jsonl:1 prompt');
    expect(fromItem.spec.label?.('image')).toBe('manifest.jsonl:1 image');
    expect(fromFlag.spec.label?.('prompt')).toBe('--prompt (used for manifest.jsonl:2)');
    expect(fromFlag.spec.label?.('taskType')).toBe('manifest.jsonl:2 task_type (or --task-type)');
    expect(fromFlag.spec.label?.('jobClass')).toBe('--job-class (used for manifest.jsonl:2)');
  });

  it('maps spec fields to manifest keys', () => {
    expect(manifestKeyName('taskType')).toBe('task_type');
    expect(manifestKeyName('clientRef')).toBe('client_ref');
    expect(manifestKeyName('jobClass')).toBeUndefined();
  });
});

describe('parseManifest: shard keys', () => {
  it('is the item itself, independent of key order and position', () => {
    const a = parse('{"image":"a.png","prompt":"x","attributes":{"b":1,"a":[{"y":1,"x":2}]}}\n{"image":"b.png"}');
    const b = parse('{"image":"b.png"}\n{"attributes":{"a":[{"x":2,"y":1}],"b":1},"prompt":"x","image":"a.png"}');
    expect(a[0].shardKey).toBe(b[1].shardKey);
    expect(a[1].shardKey).toBe(b[0].shardKey);
    expect(a[0].shardKey).not.toBe(a[1].shardKey);
  });

  it('does not depend on the flags (the same item keeps its shard whatever the defaults)', () => {
    const [x] = parse('{"image":"a.png"}', { prompt: 'one' });
    const [y] = parse('{"image":"a.png"}', { prompt: 'two' });
    expect(x.shardKey).toBe(y.shardKey);
  });

  it('closestKey gives nothing for far-off words', () => {
    expect(closestKey('instrutcions', ['image', 'instructions'])).toBe('instructions');
    expect(closestKey('banana', ['image', 'refs'])).toBeUndefined();
  });
});
