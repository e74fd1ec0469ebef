import { afterAll, beforeAll, beforeEach } from 'vitest';
import { FakeApi, type FakeApiOptions } from './fake-api.js';
import { tempDir } from './run-cli.js';

export interface InProcessSetup {
  api: FakeApi;
  /** For runCli: the fake's URL, its key, and a fresh config and cache folder for every test. */
  env: Record<string, string>;
}

/**
 * One fake API per test file for in-process runs: started before the file, reset (requests,
 * faults, outcomes, options) before every test, closed after. The object is filled in by the
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
  beforeEach(() => {
    setup.api.reset();
    setup.env = { RUNFLOW_BASE_URL: setup.api.url, RUNFLOW_API_KEY: 'test-key', RUNFLOW_CONFIG_DIR: tempDir(), RUNFLOW_CACHE_DIR: tempDir() };
  });
  return setup;
}
