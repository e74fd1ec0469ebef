import { UsageError } from '../errors.js';

/**
 * A project file is committed to the repository, so it must never hold the API key (SPEC §2):
 * a key there is in every clone, fork and CI log for good. Refused by its name (`api-key`,
 * `apiKey`, `token`, …, at any depth, since attributes are sent to the API) and by its value (a
 * Runflow key's shape, a bearer header, or the very key this run uses). The value is never echoed.
 */

const SECRET_NAMES = new Set([
  'key',
  'apikey',
  'runflowapikey',
  'apitoken',
  'token',
  'accesstoken',
  'authtoken',
  'bearer',
  'bearertoken',
  'authorization',
  'secret',
  'apisecret',
  'clientsecret',
  'password',
  'credentials',
]);

/** `rf_live_…` / `rf_test_…` (the documented key shape), or an Authorization header's value. */
const SECRET_VALUE = /\brf_(?:live|test)_[A-Za-z0-9]|^\s*Bearer\s+\S{8,}/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAMES.has(name.toLowerCase().replace(/[-_\s.]/g, ''));
}

/**
 * Throws when anything in the file looks like a credential. `knownKeys` are the keys this run
 * could use (RUNFLOW_API_KEY, the stored one), matched exactly wherever they appear.
 */
export function refuseSecrets(data: Record<string, unknown>, file: string, knownKeys: readonly string[]): void {
  const keys = knownKeys.filter((k) => k.length >= 8);
  const visit = (value: unknown, where: string): void => {
    if (typeof value === 'string') {
      if (SECRET_VALUE.test(value) || keys.some((k) => value.includes(k))) throw secretError(file, where, 'holds what looks like an API key');
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, `${where}[${i}]`));
      return;
    }
    if (value !== null && typeof value === 'object') {
      for (const [name, inner] of Object.entries(value as Record<string, unknown>)) {
        const at = where ? `${where}.${name}` : name;
        if (isSecretName(name)) throw secretError(file, at, 'would hold a credential');
        visit(inner, at);
      }
    }
  };
  visit(data, '');
}

function secretError(file: string, where: string, what: string): UsageError {
  return new UsageError(`${file}: "${where}" ${what}; a project file must never hold the API key (it is committed with the code)`, {
    code: 'secret_in_project_file',
    hint: 'remove it from the file, revoke the key if it was committed, and give the key as RUNFLOW_API_KEY (a CI secret) or with `runflow-eval login`',
  });
}
