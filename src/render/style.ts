import { Chalk, type ChalkInstance } from 'chalk';

/** A chalk instance that colours only when asked: never the global one, which reads the process. */
export function palette(color: boolean): ChalkInstance {
  return new Chalk({ level: color ? 1 : 0 });
}
