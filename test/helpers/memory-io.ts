import { PassThrough, Readable } from 'node:stream';
import type { IO } from '../../src/io.js';

export interface MemoryIO extends IO {
  stdoutText(): string;
  stderrText(): string;
  /** Simulates Ctrl-C. */
  interrupt(): void;
}

/** An IO whose streams are in memory; stdin is the given text (or empty). */
export function memoryIO(opts: { stdin?: string; tty?: boolean; columns?: number } = {}): MemoryIO {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c.toString()));
  stderr.on('data', (c) => (err += c.toString()));
  const handlers = new Set<() => void>();
  return {
    stdout,
    stderr,
    stdin: Readable.from(opts.stdin !== undefined ? [Buffer.from(opts.stdin)] : []),
    stdoutIsTTY: Boolean(opts.tty),
    stderrIsTTY: Boolean(opts.tty),
    stdinIsTTY: false,
    columns: opts.columns ?? 100,
    onInterrupt: (handler) => {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    stdoutText: () => out,
    stderrText: () => err,
    interrupt: () => {
      for (const h of handlers) h();
    },
  };
}
