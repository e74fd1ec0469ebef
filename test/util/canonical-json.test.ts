import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/util/canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys and drops undefined, keeps arrays in order', () => {
    expect(canonicalJson({ b: 1, a: [3, { d: undefined, c: null }], e: 'x' })).toBe('{"a":[3,{"c":null}],"b":1,"e":"x"}');
  });

  it('sorts keys at every depth (manifest shard keys)', () => {
    expect(canonicalJson({ b: [2, { d: 1, c: 'x' }], a: null })).toBe('{"a":null,"b":[2,{"c":"x","d":1}]}');
  });

  it('gives parsed JSON the same text whatever its key order', () => {
    expect(canonicalJson(JSON.parse('{"image":"a.png","attr":{"y":1,"x":[1,"2"]}}'))).toBe(canonicalJson(JSON.parse('{"attr":{"x":[1,"2"],"y":1},"image":"a.png"}')));
  });
});
