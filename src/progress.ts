import type { Clock } from './clock.js';
import type { Context } from './context.js';

export interface Progress {
  update(text: string): void;
  stop(): void;
}

const silent: Progress = { update() {}, stop() {} };

/**
 * Whether a spinner can be drawn on stderr: decorations allowed (a TTY, no --json, NO_COLOR, CI…)
 * and a width to draw in. ora divides by the terminal's columns, and a pseudo-terminal nobody sized
 * (`script`, `docker exec -t`, some CI agents) reports 0: ora then clears lines forever, at full
 * CPU, and the command never ends. Such a terminal gets what a log gets instead.
 */
export function spinnerFits(ctx: Context): boolean {
  if (!ctx.stderrDecorations) return false;
  const columns = (ctx.io.stderr as { columns?: unknown }).columns;
  return columns === undefined || (typeof columns === 'number' && columns > 0);
}

/**
 * A spinner on stderr, only on a TTY and never under --json, NO_COLOR, --no-color or CI:
 * ora's "disabled" mode still prints, so it is not even created otherwise.
 */
export async function startProgress(ctx: Context, text: string): Promise<Progress> {
  if (!spinnerFits(ctx)) return silent;
  const { default: ora } = await import('ora');
  const spinner = ora({ text, stream: ctx.io.stderr as NodeJS.WritableStream, discardStdin: false }).start();
  return {
    update: (t) => {
      spinner.text = t;
    },
    stop: () => spinner.stop(),
  };
}

export interface ProgressLinesOptions {
  clock: Clock;
  write: (line: string) => void;
  /** Time between lines. @default 10 s */
  everyMs?: number;
}

/**
 * Progress for logs (CI, pipes), where a spinner cannot draw: a plain line at the start and then
 * every 10 s, so lines come at most every 10 s and (whatever happens) at least once a minute. A
 * log so shows where the time went, and CI services that stop silent jobs do not stop this one.
 * `update` takes the state without the elapsed time, which each line adds.
 */
export function startProgressLines(first: string, opts: ProgressLinesOptions): Progress {
  const every = opts.everyMs ?? 10_000;
  const started = opts.clock.now();
  const stopper = new AbortController();
  let current = first;
  const print = () => opts.write(`${current}, ${formatElapsed(opts.clock.now() - started)} elapsed`);
  print();
  void (async () => {
    try {
      for (;;) {
        await opts.clock.sleep(every, stopper.signal);
        print();
      }
    } catch {
      // stopped
    }
  })();
  return {
    update: (text) => {
      current = text;
    },
    stop: () => stopper.abort(),
  };
}

/** `45s`, `2m05s`, `1h02m`. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
