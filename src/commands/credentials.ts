import type { Command } from 'commander';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { action, withGlobals } from './define.js';
import { stripControl } from '../util/text.js';

/** Reads the whole of stdin (a piped key), bounded so a wrong pipe cannot eat memory. */
async function readStdin(ctx: Context, limit = 64 * 1024): Promise<string> {
  let data = '';
  for await (const chunk of ctx.io.stdin) {
    data += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (data.length > limit) throw new UsageError('standard input is too long to be an API key');
  }
  return data;
}

async function readKey(ctx: Context): Promise<string> {
  let raw: string;
  if (ctx.io.stdinIsTTY && ctx.io.readSecret) {
    raw = await ctx.io.readSecret('Paste your Runflow API key (input is hidden): ');
  } else {
    raw = (await readStdin(ctx)).split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  }
  const key = raw.trim();
  if (!key) throw new UsageError('no API key given on standard input', { hint: 'echo "$KEY" | runflow-eval login, or run it in a terminal to be prompted' });
  if (/\s/.test(key)) throw new UsageError('the API key on standard input contains spaces; give the key alone');
  return key;
}

async function runLogin(ctx: Context): Promise<number> {
  const key = await readKey(ctx);
  const settings = await ctx.apiSettings({ requireKey: false });
  const { RunflowClient } = await import('../api/client.js');
  const { getMe } = await import('../api/auth.js');
  const { USER_AGENT } = await import('../version.js');
  const client = new RunflowClient({
    baseUrl: settings.baseUrl,
    apiKey: key,
    orgId: settings.orgId,
    userAgent: USER_AGENT,
    clock: ctx.clock,
    signal: ctx.signal,
    env: ctx.env,
    debug: ctx.verbose ? (l: string) => ctx.debug(l) : undefined,
  });
  let account: unknown;
  try {
    // Check the key before storing it, so a typo is caught now rather than at the next command.
    account = (await getMe(client)).data;
  } finally {
    await client.close();
  }
  if (ctx.globals.sandbox) {
    // --sandbox never touches stored credentials: the real key (if any) stays as it was.
    if (ctx.globals.json) ctx.json({ logged_in: false, sandbox: true, config_file: null, account: describeAccount(account) ?? null });
    else ctx.err('The local sandbox accepts any key; nothing was stored (--sandbox never touches the stored credentials)');
    return 0;
  }
  const store = ctx.config();
  await store.set('api-key', key);
  if (ctx.env.RUNFLOW_API_KEY) {
    ctx.err('note: RUNFLOW_API_KEY is set in this environment and takes precedence over the stored key');
  }
  const who = describeAccount(account);
  if (ctx.globals.json) ctx.json({ logged_in: true, config_file: store.file, account: who ?? null });
  else ctx.err(`Key verified${who ? ` for ${who}` : ''} and stored in ${store.file}`);
  return 0;
}

function describeAccount(account: unknown): string | undefined {
  if (!account || typeof account !== 'object') return undefined;
  const a = account as Record<string, unknown>;
  const user = (a.user && typeof a.user === 'object' ? a.user : a) as Record<string, unknown>;
  const label = [user.email, user.name, a.org_name, a.organization_name].find((v) => typeof v === 'string' && v);
  return typeof label === 'string' ? stripControl(label) : undefined;
}

async function runLogout(ctx: Context): Promise<number> {
  if (ctx.globals.sandbox) {
    if (ctx.globals.json) ctx.json({ logged_out: false, sandbox: true, config_file: null });
    else ctx.err('Nothing removed: --sandbox never touches the stored credentials');
    return 0;
  }
  const store = ctx.config();
  const removed = await store.unset('api-key');
  if (ctx.globals.json) ctx.json({ logged_out: removed, config_file: store.file });
  else ctx.err(removed ? `Removed the stored key from ${store.file}` : 'No key was stored; nothing to do');
  if (ctx.env.RUNFLOW_API_KEY) ctx.err('note: RUNFLOW_API_KEY is still set in this environment');
  return 0;
}

export function registerLogin(program: Command, ctx: Context): void {
  withGlobals(program.command('login'))
    .description('store an API key read from standard input, after checking it with GET /v1/auth/me')
    .action(action(ctx, () => runLogin(ctx)));
}

export function registerLogout(program: Command, ctx: Context): void {
  withGlobals(program.command('logout'))
    .description('remove the stored API key')
    .action(action(ctx, () => runLogout(ctx)));
}
