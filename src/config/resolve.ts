import type { ConfigStore } from './store.js';

export type Source = 'flag' | 'env' | 'project' | 'config' | 'default' | 'sandbox' | 'none';

export interface Resolved<T = string> {
  value: T | undefined;
  source: Source;
  /** The environment variable, project file or config key it came from, for `config list` and `doctor`. */
  origin?: string;
}

export const DEFAULT_BASE_URL = 'https://api.runflow.io';

export interface SettingFlags {
  baseUrl?: string;
  org?: string;
}

/** The API settings a project file gave (SPEC §2 "Project file"), and the file's path. */
export interface ProjectLayer {
  file: string;
  baseUrl?: string;
  org?: string;
}

type Env = Record<string, string | undefined>;

/** flag > environment > project file > user config file > default (SPEC §2). */
function pick(
  flag: string | undefined,
  env: Env,
  envName: string | undefined,
  config: ConfigStore,
  configKey: 'api-key' | 'base-url' | 'org-id',
  fallback?: string,
  project?: { value?: string; file: string },
): Resolved {
  if (flag !== undefined && flag !== '') return { value: flag, source: 'flag' };
  if (envName && env[envName]) return { value: env[envName], source: 'env', origin: envName };
  if (project?.value) return { value: project.value, source: 'project', origin: project.file };
  const fromConfig = config.get(configKey);
  if (fromConfig) return { value: fromConfig, source: 'config', origin: configKey };
  if (fallback !== undefined) return { value: fallback, source: 'default' };
  return { value: undefined, source: 'none' };
}

export function resolveApiKey(env: Env, config: ConfigStore): Resolved {
  // Never from a flag: a key on argv leaks into shell history and process lists.
  return pick(undefined, env, 'RUNFLOW_API_KEY', config, 'api-key');
}

export function resolveBaseUrl(flags: SettingFlags, env: Env, config: ConfigStore, project?: ProjectLayer): Resolved {
  return pick(flags.baseUrl, env, 'RUNFLOW_BASE_URL', config, 'base-url', DEFAULT_BASE_URL, project && { value: project.baseUrl, file: project.file });
}

export function resolveOrgId(flags: SettingFlags, env: Env, config: ConfigStore, project?: ProjectLayer): Resolved {
  return pick(flags.org, env, 'RUNFLOW_ORG_ID', config, 'org-id', undefined, project && { value: project.org, file: project.file });
}
