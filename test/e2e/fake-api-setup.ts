/**
 * One fake API per spawn-tier test file, with outcomes chosen by the image URL so each test reads
 * as what it feeds the CLI: `broken` ends failed (invalid_media), `slow` runs for two minutes,
 * `bad` completes below the bar, anything else passes.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { FakeApi } from '../helpers/fake-api.js';
import { NODE, SECRET_KEY, requireBuild, run } from './spawn.js';

export interface FakeApiSetup {
  api: FakeApi;
  /** The children's environment: the fake's URL and the secret key. */
  env: Record<string, string>;
  /** `node --version` of the node the children run. */
  childNodeVersion: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const image = (name: string): string => `https://images.example.com/${name}.png`;

/** Registers the hooks; the returned object is filled in by the time tests run. */
export function useFakeApi(): FakeApiSetup {
  const setup = {} as FakeApiSetup;
  beforeAll(async () => {
    requireBuild();
    setup.api = await FakeApi.start({ apiKeys: [SECRET_KEY] });
    setup.childNodeVersion = (await promisify(execFile)(NODE, ['--version'])).stdout.trim();
    console.log(`spawn tier: children run ${NODE} (${setup.childNodeVersion})`);
  });
  afterAll(async () => {
    await setup.api?.close();
  });
  // Every test ends with no request to an unknown route and no queued fault left unmatched.
  afterEach(() => setup.api.verify());
  beforeEach(() => {
    setup.api.reset();
    setup.api.setOutcome((body: { generated_image_url: string }) => {
      const url = body.generated_image_url;
      if (url.includes('broken')) return { failure_code: 'invalid_media' };
      if (url.includes('slow')) return { durationMs: 120_000 };
      if (url.includes('bad')) return { overall_passed: false, weighted_pass_rate: 0.4 };
      return {};
    });
    setup.env = { RUNFLOW_BASE_URL: setup.api.url, RUNFLOW_API_KEY: SECRET_KEY };
  });
  return setup;
}

/** Submits through the CLI itself and returns the new evaluation's id. */
export async function submitted(setup: FakeApiSetup, url: string): Promise<string> {
  const r = await run(['submit', url, '--task-type', 'e2e'], { env: setup.env });
  expect(r.code).toBe(0);
  const id = r.stdout.trim();
  expect(id).toMatch(UUID);
  return id;
}
