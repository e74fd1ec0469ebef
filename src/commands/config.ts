import type { Command } from 'commander';
import { validateBaseUrl } from '../config/base-url.js';
import { cacheDir, configDir } from '../config/paths.js';
import { CONFIG_KEYS, isConfigKey, type ConfigKey } from '../config/store.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { action, withGlobals } from './define.js';
import { plainColumns } from '../render/columns.js';
import { addProjectFileFlags, applyProjectSettings, loadProjectSettings } from '../project/apply.js';
import type { ProjectSettings } from '../project/settings.js';
import { ALIASES, projectKeys } from '../project/keys.js';

function requireKey(key: string): ConfigKey {
  if (!isConfigKey(key)) throw new UsageError(`unknown config key ${JSON.stringify(key)}; known keys: ${CONFIG_KEYS.join(', ')}`);
  return key;
}

interface ListEntry {
  key: string;
  value: string | null;
  source: string;
  origin: string | null;
}

function listEntries(ctx: Context, project?: ProjectSettings): ListEntry[] {
  const key = ctx.apiKey();
  const base = ctx.baseUrl();
  const org = ctx.orgId();
  const entries: ListEntry[] = [
    // The key itself is never shown, only whether it is set and where it comes from.
    { key: 'api-key', value: key.value ? '(set)' : null, source: key.source, origin: key.origin ?? null },
    { key: 'base-url', value: base.value ?? null, source: base.source, origin: base.origin ?? null },
    { key: 'org-id', value: org.value ?? null, source: org.source, origin: org.origin ?? null },
    // The other settings of SPEC §2's table: environment or default only, shown so that every
    // setting's value and source is in one place. Not keys of the config file (get/set refuse them).
    envOrDefault('config-dir', configDir(ctx.env), ctx.env.RUNFLOW_CONFIG_DIR, 'RUNFLOW_CONFIG_DIR'),
    ctx.globals.sandbox
      ? { key: 'cache-dir', value: null, source: 'none', origin: '--sandbox' }
      : envOrDefault('cache-dir', cacheDir(ctx.env), ctx.env.RUNFLOW_CACHE_DIR, 'RUNFLOW_CACHE_DIR'),
    ctx.globals.verbose
      ? { key: 'debug', value: 'on', source: 'flag', origin: '--verbose' }
      : envOrDefault('debug', ctx.verbose ? 'on' : 'off', ctx.verbose ? ctx.env.RUNFLOW_DEBUG : undefined, 'RUNFLOW_DEBUG'),
  ];
  // The gate's settings from the project file, as written there (SPEC §2).
  for (const { key: k, raw } of project?.entries ?? []) {
    if (k.target === 'setting') continue; // base-url and org are resolved above
    entries.push({ key: k.name, value: typeof raw === 'string' ? raw : JSON.stringify(raw), source: 'project', origin: project!.file });
  }
  return entries;
}

const READ_ONLY_KEYS = ['config-dir', 'cache-dir', 'debug'];

function envOrDefault(key: string, value: string, fromEnv: string | undefined, variable: string): ListEntry {
  return fromEnv ? { key, value, source: 'env', origin: variable } : { key, value, source: 'default', origin: null };
}

function sourceLabel(e: ListEntry): string {
  if (e.source === 'project') return `project file (${e.origin})`;
  return e.origin && e.source !== 'config' ? `${e.source} (${e.origin})` : e.source;
}

export function registerConfig(program: Command, ctx: Context): void {
  const config = withGlobals(program.command('config')).description('show and change settings (the key is set with `login`)');

  /** The gate's full definition, loaded beside this command (the catalog's loadsAlso): its flags are the project file's keys. */
  const gateCommand = () => {
    const gate = program.commands.find((c) => c.name() === 'gate');
    if (!gate || !gate.options.length) throw new Error('the gate command is not loaded');
    return gate;
  };

  const get = addProjectFileFlags(withGlobals(config.command('get')))
    .description('print one setting as resolved (flag > environment > project file > config file > default)')
    .argument('<key>', `${[...CONFIG_KEYS, ...READ_ONLY_KEYS].join(' | ')}, or a gate key the project file sets (threshold, task-type, …)`)
    .action(
      action(ctx, async (name: string, flags: { config?: string | false }) => {
        if (name === 'api-key') throw new UsageError('the API key is never printed; `runflow-eval config list` shows whether it is set and from where');
        // Resolved as `gate` resolves it, so `config get` and `config list` agree with what runs.
        const gate = gateCommand();
        const project = await loadProjectSettings(ctx, gate, flags.config);
        applyProjectSettings(ctx, get, project, {}, []);
        // The file's `org` is the organization setting; `ref`/`attributes` are other names of keys.
        const wanted = name === 'org' ? 'org-id' : (ALIASES[name] ?? name);
        const entry = listEntries(ctx, project).find((e) => e.key === wanted);
        if (!entry) {
          const gateKeys = projectKeys(gate).map((k) => k.name).filter((k) => k !== 'base-url' && k !== 'org');
          if (!isConfigKey(wanted) && !READ_ONLY_KEYS.includes(wanted) && !gateKeys.includes(wanted)) {
            throw new UsageError(`unknown config key ${JSON.stringify(name)}; known keys: ${[...CONFIG_KEYS, ...READ_ONLY_KEYS].join(', ')}, and the gate's keys in a project file (${gateKeys.slice(0, 6).join(', ')}, …)`);
          }
          // A gate key the project file does not set (or there is no file): nothing to print.
          if (ctx.globals.json) ctx.json({ key: wanted, value: null, source: 'none', origin: null });
          return ctx.globals.json ? 0 : 1;
        }
        if (ctx.globals.json) ctx.json(entry);
        else if (entry.value !== null) ctx.out(entry.value);
        else return 1;
        return 0;
      }),
    );

  withGlobals(config.command('set'))
    .description('store a setting in the config file')
    .argument('<key>', 'base-url | org-id')
    .argument('<value>')
    .action(
      action(ctx, async (name: string, value: string) => {
        const key = requireKey(name);
        if (key === 'api-key') {
          throw new UsageError('refusing to take the API key on the command line: it would leak into shell history and process lists', {
            hint: 'use `runflow-eval login` (reads the key from standard input), or set RUNFLOW_API_KEY',
          });
        }
        const stored = key === 'base-url' ? validateBaseUrl(value, 'config set base-url') : value.trim();
        if (!stored) throw new UsageError(`config set ${key}: the value is empty; use \`config unset ${key}\` to remove it`);
        await ctx.config().set(key, stored);
        if (ctx.globals.json) ctx.json({ key, value: stored, config_file: ctx.config().file });
        else ctx.err(`Set ${key} in ${ctx.config().file}`);
        return 0;
      }),
    );

  withGlobals(config.command('unset'))
    .description('remove a setting from the config file (use `logout` for the key)')
    .argument('<key>', CONFIG_KEYS.join(' | '))
    .action(
      action(ctx, async (name: string) => {
        const key = requireKey(name);
        const removed = await ctx.config().unset(key);
        if (ctx.globals.json) ctx.json({ key, removed });
        else ctx.err(removed ? `Removed ${key}` : `${key} was not set in the config file`);
        return 0;
      }),
    );

  const list = addProjectFileFlags(withGlobals(config.command('list')))
    .description('show every setting with its source (flag > environment > project file > config file > default)')
    .action(
      action(ctx, async (flags: { config?: string | false }) => {
        const gate = gateCommand();
        const project = await loadProjectSettings(ctx, gate, flags.config);
        applyProjectSettings(ctx, list, project, {}, []);
        const entries = listEntries(ctx, project);
        if (ctx.globals.json) {
          ctx.json({ config_file: ctx.config().file, project_file: project?.file ?? null, settings: entries });
          return 0;
        }
        const rows = [['KEY', 'VALUE', 'SOURCE']];
        for (const e of entries) rows.push([e.key, e.value ?? '-', sourceLabel(e)]);
        ctx.out(plainColumns(rows));
        return 0;
      }),
    );

  withGlobals(config.command('path'))
    .description('print the config file path')
    .action(
      action(ctx, async () => {
        if (ctx.globals.json) ctx.json({ config_file: ctx.config().file, config_dir: ctx.config().dir });
        else ctx.out(ctx.config().file);
        return 0;
      }),
    );
}
