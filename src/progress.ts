import type { Context } from './context.js';

export interface Progress {
  update(text: string): void;
  stop(): void;
}

const silent: Progress = { update() {}, stop() {} };

/**
 * A spinner on stderr, only on a TTY and never under --json, NO_COLOR, --no-color or CI:
 * ora's "disabled" mode still prints, so it is not even created otherwise.
 */
export async function startProgress(ctx: Context, text: string): Promise<Progress> {
  if (!ctx.stderrDecorations) return silent;
  const { default: ora } = await import('ora');
  const spinner = ora({ text, stream: ctx.io.stderr as NodeJS.WritableStream, discardStdin: false }).start();
  return {
    update: (t) => {
      spinner.text = t;
    },
    stop: () => spinner.stop(),
  };
}
