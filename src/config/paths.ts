import os from 'node:os';
import path from 'node:path';

type Env = Record<string, string | undefined>;

/**
 * The config folder: RUNFLOW_CONFIG_DIR, else the OS config folder conf would pick
 * (env-paths: XDG on Linux, Library/Preferences on macOS, APPDATA on Windows).
 */
export function configDir(env: Env): string {
  if (env.RUNFLOW_CONFIG_DIR) return path.resolve(env.RUNFLOW_CONFIG_DIR);
  const home = env.HOME || os.homedir();
  const name = 'runflow-eval';
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Preferences', name);
  if (process.platform === 'win32') {
    return path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), name, 'Config');
  }
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), name);
}

/**
 * The cache folder (SPEC §2): RUNFLOW_CACHE_DIR, else the OS cache folder ($XDG_CACHE_HOME or
 * ~/.cache on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows). It holds only what
 * can be thrown away at any time (uploaded-asset references, the submission record), never the
 * key, so CI can keep it between runs without keeping a secret.
 */
export function cacheDir(env: Env): string {
  if (env.RUNFLOW_CACHE_DIR) return path.resolve(env.RUNFLOW_CACHE_DIR);
  const home = env.HOME || os.homedir();
  const name = 'runflow-eval';
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Caches', name);
  if (process.platform === 'win32') {
    return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), name, 'Cache');
  }
  // XDG says a relative XDG_CACHE_HOME is invalid and must be ignored.
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home, '.cache');
  return path.join(xdg, name);
}

export const CONFIG_FILE_NAME = 'config.json';

export function configFile(env: Env): string {
  return path.join(configDir(env), CONFIG_FILE_NAME);
}
