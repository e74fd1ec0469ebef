import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../../src/util/url.js';

describe('isLoopbackHost', () => {
  it('takes 127.0.0.0/8, localhost and ::1 (as URL.hostname gives them)', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', 'api.localhost', '[::1]', '::1']) expect(isLoopbackHost(h)).toBe(true);
  });

  it('refuses everything else', () => {
    for (const h of ['128.0.0.1', '127.0.0.256', '127.0.0', 'example.com', 'localhost.example.com', '[::2]', '10.0.0.1']) expect(isLoopbackHost(h)).toBe(false);
  });
});
