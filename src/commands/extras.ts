import type { Command } from 'commander';
import type { Context } from '../context.js';

/** doctor, completion and verify-signature (registered here as they land). */
export function registerExtras(_program: Command, _ctx: Context): void {}
