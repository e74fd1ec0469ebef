import fs from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { CONFIG_FILE_NAME } from './paths.js';

/** Keys a user may keep in the config file. `api-key` is written only by `login`. */
export const CONFIG_KEYS = ['api-key', 'base-url', 'org-id'] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];
export type ConfigValues = Partial<Record<ConfigKey, string>>;

export function isConfigKey(key: string): key is ConfigKey {
  return (CONFIG_KEYS as readonly string[]).includes(key);
}

function configError(file: string, what: string, cause?: unknown): CliError {
  return new CliError(`config file ${file} ${what}`, {
    exitCode: ExitCode.Usage,
    code: 'config_invalid',
    hint: 'fix or remove the file by hand (it is never wiped automatically); `runflow-eval config path` shows where it is',
    cause,
  });
}

/**
 * The config and credential store. Reads are a plain JSON parse (the hot path of every command,
 * where loading conf would cost ~150 ms of start-up); writes go through conf, which writes
 * atomically with the file mode we ask for. The folder is 0700 and the file 0600 because the file
 * holds the API key in plain text: its mode is the protection, as with gh and netrc.
 */
export class ConfigStore {
  readonly dir: string;
  readonly file: string;
  #cache?: ConfigValues;

  constructor(dir: string) {
    this.dir = dir;
    this.file = path.join(dir, CONFIG_FILE_NAME);
  }

  /** Values in the file; an absent file is empty, an unreadable or corrupt one is an error naming it. */
  read(): ConfigValues {
    if (this.#cache) return this.#cache;
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return (this.#cache = {});
      throw configError(this.file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, err);
    }
    let parsed: unknown;
    try {
      parsed = text.trim() === '' ? {} : JSON.parse(text);
    } catch (err) {
      throw configError(this.file, 'is not valid JSON', err);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw configError(this.file, 'does not hold a JSON object');
    }
    const values: ConfigValues = {};
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (isConfigKey(key) && typeof value === 'string') values[key] = value;
    }
    return (this.#cache = values);
  }

  get(key: ConfigKey): string | undefined {
    return this.read()[key];
  }

  async set(key: ConfigKey, value: string): Promise<void> {
    this.read(); // refuse to overwrite a corrupt file
    const conf = await this.#conf();
    conf.set(key, value);
    this.#cache = undefined;
    this.#tightenModes();
  }

  async unset(key: ConfigKey): Promise<boolean> {
    const had = this.read()[key] !== undefined;
    if (!had) return false;
    const conf = await this.#conf();
    conf.delete(key);
    this.#cache = undefined;
    this.#tightenModes();
    return true;
  }

  async #conf() {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const { default: Conf } = await import('conf');
    try {
      return new Conf<Record<string, string>>({
        cwd: this.dir,
        configName: path.basename(CONFIG_FILE_NAME, '.json'),
        projectName: 'runflow-eval',
        configFileMode: 0o600,
        // Never wipe a file we cannot parse: it may hold the user's key.
        clearInvalidConfig: false,
        accessPropertiesByDotNotation: false,
      });
    } catch (err) {
      throw configError(this.file, 'cannot be opened', err);
    }
  }

  /** conf keeps an existing file's mode and creates folders with the umask; insist on ours. */
  #tightenModes(): void {
    try {
      fs.chmodSync(this.dir, 0o700);
      if (fs.existsSync(this.file)) fs.chmodSync(this.file, 0o600);
    } catch {
      // Best effort on file systems without modes (Windows): nothing more we can do there.
    }
  }
}
