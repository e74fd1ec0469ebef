import type { ConfigStore } from './store.js';

export type Source = 'flag' | 'env' | 'config' | 'default' | 'sandbox' | 'none';

export interface Resolved<T = string> {
  value: T | undefined;
  source: Source;
  /** The environment variable or config key it came from, for `config list` and `doctor`. */
  origin?: string;
}

export const DEFAULT_BASE_URL = 'https://api.runflow.io';

export interface SettingFlags {
  baseUrl?: string;
  org?: string;
}

type Env = Record<string, string | undefined>;

/** flag > environment > config file > default (SPEC §2). */
function pick(
  flag: string | undefined,
  env: Env,
  envName: string | undefined,
  config: ConfigStore,
  configKey: 'api-key' | 'base-url' | 'org-id',
  fallback?: string,
): Resolved {
  if (flag !== undefined && flag !== '') return { value: flag, source: 'flag' };
  if (envName && env[envName]) return { value: env[envName], source: 'env', origin: envName };
  const fromConfig = config.get(configKey);
  if (fromConfig) return { value: fromConfig, source: 'config', origin: configKey };
  if (fallback !== undefined) return { value: fallback, source: 'default' };
  return { value: undefined, source: 'none' };
}

export function resolveApiKey(env: Env, config: ConfigStore): Resolved {
  // Never from a flag: a key on argv leaks into shell history and process lists.
  return pick(undefined, env, 'RUNFLOW_API_KEY', config, 'api-key');
}

export function resolveBaseUrl(flags: SettingFlags, env: Env, config: ConfigStore): Resolved {
  return pick(flags.baseUrl, env, 'RUNFLOW_BASE_URL', config, 'base-url', DEFAULT_BASE_URL);
}

export function resolveOrgId(flags: SettingFlags, env: Env, config: ConfigStore): Resolved {
  return pick(flags.org, env, 'RUNFLOW_ORG_ID', config, 'org-id');
}
