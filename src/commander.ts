import { createRequire } from 'node:module';
import type * as CommanderModule from 'commander';

/**
 * commander through require(): it is a CommonJS package, and its ESM wrapper makes Node parse it
 * a second time to find its exports. Start-up time is most of what `--help` costs, so the
 * shorter path is worth one small module.
 */
const commander = createRequire(import.meta.url)('commander') as typeof CommanderModule;

export const { Command, CommanderError, Option } = commander;
export type Command = CommanderModule.Command;
export type CommanderError = CommanderModule.CommanderError;
export type Option = CommanderModule.Option;
