/** The checks `doctor` makes on this machine alone: Node.js, the config file, the key, the base URL. */
import fs from 'node:fs';
import { validateBaseUrl } from '../config/base-url.js';
import { DEFAULT_BASE_URL, type Resolved } from '../config/resolve.js';
import { CONFIG_KEYS } from '../config/store.js';
import { CliError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { oneLine } from '../util/text.js';
import { fail, pass, warn, type CheckResult } from './checks.js';

const MIN_NODE: [number, number, number] = [20, 18, 1];

export function nodeCheck(version: string): CheckResult {
  const name = 'Node.js';
  const parts = version.replace(/^v/, '').split('.').map((p) => Number.parseInt(p, 10) || 0);
  const [major = 0, minor = 0, patch = 0] = parts;
  const tooOld = compareVersions([major, minor, patch], MIN_NODE) < 0;
  if (tooOld) {
    return fail('node', name, ExitCode.Usage, `${version} is older than ${MIN_NODE.join('.')}, the oldest supported`, 'install Node.js 22 or 24 (LTS)');
  }
  if (major === 20) return warn('node', name, `${version}: Node 20 is end-of-life upstream; Node 22 or 24 recommended`, 'install Node.js 22 or 24 (LTS)');
  return pass('node', name, version);
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/**
 * The config file is optional, but when it exists it must parse, and because it may hold the key
 * in plain text its mode is the protection (SPEC §2): 0600 in a 0700 folder.
 */
export function configCheck(file: string, dir: string, read: () => Record<string, string | undefined>): CheckResult {
  const name = 'config file';
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return pass('config', name, `none at ${file} (optional: settings can come from flags and the environment)`);
    return fail('config', name, ExitCode.Usage, `${file} cannot be inspected (${code ?? 'error'})`, 'check the permissions of the config folder');
  }
  if (!stat.isFile()) return fail('config', name, ExitCode.Usage, `${file} is not a regular file`, 'remove it, or point RUNFLOW_CONFIG_DIR elsewhere');

  let values: Record<string, string | undefined>;
  try {
    values = read();
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    return fail('config', name, ExitCode.Usage, err.message, err.hint);
  }

  const held = Object.keys(values).filter((k) => values[k] !== undefined);
  const unknown = unknownKeys(file);
  const problems: string[] = [];
  const fixes: string[] = [];
  if (process.platform !== 'win32') {
    if (stat.mode & 0o077) {
      problems.push(`file mode ${octal(stat.mode)} lets other users read it`);
      fixes.push(`chmod 600 '${file}'`);
    }
    const dirMode = safeMode(dir);
    if (dirMode !== undefined && dirMode & 0o077) {
      problems.push(`folder mode ${octal(dirMode)} is open to other users`);
      fixes.push(`chmod 700 '${dir}'`);
    }
  }
  const holds = held.length ? `holds ${held.join(', ')}` : 'holds no settings';
  if (problems.length > 0) {
    const detail = `${file}: ${problems.join('; ')}`;
    // A readable key is a leaked key: that is a failure, not a style note.
    if (values['api-key']) return fail('config', name, ExitCode.Usage, `${detail} (it holds the API key)`, fixes.join(' && '));
    return warn('config', name, `${detail} (${holds})`, fixes.join(' && '));
  }
  if (unknown.length > 0) {
    return warn('config', name, `${file} has unknown keys, ignored: ${unknown.map((k) => oneLine(k, 40)).join(', ')}`, `known keys: ${CONFIG_KEYS.join(', ')} (\`runflow-eval config unset\` or edit the file)`);
  }
  const modes = process.platform === 'win32' ? '' : `, mode ${octal(stat.mode)}`;
  return pass('config', name, `${file} (${holds}${modes})`);
}

function safeMode(p: string): number | undefined {
  try {
    return fs.statSync(p).mode;
  } catch {
    return undefined;
  }
}

/** Keys the store ignores: usually a typo (`apikey`) that silently does nothing. */
function unknownKeys(file: string): string[] {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return [];
    return Object.keys(parsed).filter((k) => !(CONFIG_KEYS as readonly string[]).includes(k));
  } catch {
    return [];
  }
}

export function apiKeyCheck(key: Resolved, opts: { sandbox: boolean; configHasKey: boolean }): CheckResult {
  const name = 'API key';
  if (opts.sandbox) return pass('api_key', name, 'not needed: the sandbox accepts any key');
  if (!key.value) {
    return fail('api_key', name, ExitCode.Auth, 'no API key found (RUNFLOW_API_KEY is unset and the config file holds none)', 'set RUNFLOW_API_KEY or run `runflow-eval login`');
  }
  // Describe the key by its source and shape only: never the key, not even a prefix.
  if (/\s|[\u0000-\u001f\u007f]/.test(key.value)) {
    return warn('api_key', name, `the key from ${keySource(key)} contains whitespace or control characters, so it was probably copied with extra characters`, 'set it again without surrounding spaces or newlines');
  }
  const overrides = key.source === 'env' && opts.configHasKey ? ' (it overrides the key saved by `login`)' : '';
  return pass('api_key', name, `set, from ${keySource(key)}${overrides}`);
}

function keySource(key: Resolved): string {
  if (key.source === 'env') return key.origin ?? 'RUNFLOW_API_KEY';
  if (key.source === 'config') return 'the config file (saved by `runflow-eval login`)';
  return key.source;
}

function originLabel(r: Resolved): string {
  switch (r.source) {
    case 'flag':
      return '--base-url';
    case 'env':
      return r.origin ?? 'RUNFLOW_BASE_URL';
    case 'project':
      return `project file ${r.origin} base-url`;
    case 'config':
      return 'config base-url';
    default:
      return 'default';
  }
}

export function baseUrlCheck(base: Resolved, org: Resolved): { result: CheckResult; url?: string } {
  const name = 'base URL';
  const origin = originLabel(base);
  const orgFrom = org.source === 'flag' ? '--org' : org.source === 'env' ? 'RUNFLOW_ORG_ID' : org.source === 'project' ? `project file ${org.origin} org` : 'config org-id';
  const orgNote = org.value ? `; organization ${oneLine(org.value, 80)} (from ${orgFrom})` : '';
  try {
    const url = validateBaseUrl(base.value ?? DEFAULT_BASE_URL, origin);
    return { result: pass('base_url', name, `${url} (${origin})${orgNote}`), url };
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    return { result: fail('base_url', name, err.exitCode, err.message, err.hint ?? 'use an https:// URL, e.g. https://api.runflow.io') };
  }
}
