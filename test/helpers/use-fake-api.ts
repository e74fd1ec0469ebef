import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { FakeApi, type FakeApiOptions } from './fake-api.js';
import { tempDir } from './run-cli.js';

export interface InProcessSetup {
  api: FakeApi;
  /** For runCli: the fake's URL, its key, and a fresh config and cache folder for every test. */
  env: Record<string, string>;
}

/**
 * One fake API per test file for in-process runs: started before the file, reset (requests,
 * faults, outcomes, options) before every test, verified after each (no unknown route, no unused
 * fault), closed after the file. The object is filled in by the
 * time tests run.
 */
export function useFakeApi(opts: FakeApiOptions = {}): InProcessSetup {
  const setup = {} as InProcessSetup;
  beforeAll(async () => {
    setup.api = await FakeApi.start(opts);
  });
  afterAll(async () => {
    await setup.api?.close();
  });
  // Every test ends with no request to an unknown route and no queued fault left unmatched.
  afterEach(() => setup.api.verify());
  beforeEach(() => {
    setup.api.reset();
    setup.env = { RUNFLOW_BASE_URL: setup.api.url, RUNFLOW_API_KEY: 'test-key', RUNFLOW_CONFIG_DIR: tempDir(), RUNFLOW_CACHE_DIR: tempDir() };
  });
  return setup;
}
