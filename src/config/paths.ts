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

export const CONFIG_FILE_NAME = 'config.json';

export function configFile(env: Env): string {
  return path.join(configDir(env), CONFIG_FILE_NAME);
}
