import type { Command } from 'commander';
import type { Context } from '../context.js';
import { registerCompletion } from './completion.js';
import { registerDoctor } from './doctor.js';
import { registerVerifySignature } from './verify-signature.js';

/** doctor, completion and verify-signature. */
export function registerExtras(program: Command, ctx: Context): void {
  registerDoctor(program, ctx);
  registerVerifySignature(program, ctx);
  registerCompletion(program, ctx);
}
