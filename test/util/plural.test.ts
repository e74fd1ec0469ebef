import { describe, expect, it } from 'vitest';
import { plural } from '../../src/util/plural.js';

describe('plural', () => {
  it('puts the count before the noun, singular for exactly one', () => {
    expect(plural(0, 'file')).toBe('0 files');
    expect(plural(1, 'file')).toBe('1 file');
    expect(plural(2, 'other image')).toBe('2 other images');
  });

  it('takes a plural not made with -s', () => {
    expect(plural(1, 'job class', 'job classes')).toBe('1 job class');
    expect(plural(3, 'job class', 'job classes')).toBe('3 job classes');
  });
});
