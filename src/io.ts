import type { Readable, Writable } from 'node:stream';

/**
 * Everything a command may touch of the outside world's streams. Commands never use
 * `process.stdout` directly, so tests can run the whole CLI in memory.
 */
export interface IO {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  stdinIsTTY: boolean;
  /** Terminal width for tables; 80 when unknown. */
  columns: number;
  /** Read a line without echo (for `login` on a TTY). Undefined when stdin is not a TTY. */
  readSecret?: (prompt: string) => Promise<string>;
  /** Subscribe to Ctrl-C; returns the unsubscribe function. Absent where there is no signal. */
  onInterrupt?: (handler: (signal: 'SIGINT' | 'SIGTERM') => void) => () => void;
}

/**
 * `runflow-eval … | head` closes the pipe early: that is the reader's choice, not an error, so
 * the broken pipe is swallowed instead of crashing with a stack trace.
 */
function ignoreBrokenPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
    throw err;
  });
}

export function systemIO(): IO {
  const stdin = process.stdin;
  ignoreBrokenPipe(process.stdout);
  ignoreBrokenPipe(process.stderr);
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    stdinIsTTY: Boolean(stdin.isTTY),
    columns: process.stdout.columns || process.stderr.columns || 80,
    readSecret: stdin.isTTY ? (prompt) => readSecretFromTTY(prompt) : undefined,
    onInterrupt: (handler) => {
      let count = 0;
      const listener = (signal: NodeJS.Signals) => {
        count += 1;
        // A second Ctrl-C means "now": the first one is already stopping cleanly.
        if (count > 1) process.exit(signal === 'SIGTERM' ? 143 : 130);
        handler(signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
      };
      process.on('SIGINT', listener);
      process.on('SIGTERM', listener);
      return () => {
        process.off('SIGINT', listener);
        process.off('SIGTERM', listener);
      };
    },
  };
}

/** Reads one line from the TTY in raw mode, echoing nothing. */
function readSecretFromTTY(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    let value = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(Object.assign(new Error('interrupted'), { code: 'SIGINT' }));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** Write helpers: every line written by the CLI goes through these. */
export function writeLine(stream: Writable, line = ''): void {
  stream.write(line + '\n');
}
