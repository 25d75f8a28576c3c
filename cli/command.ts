/**
 * What every CLI command is: it takes the parsed configuration and its own arguments, prints
 * for people, and returns an exit code.
 * @module
 */
import type { parseArgs as ParseArgs } from 'node:util';
import type { Config } from '../runtime/config.ts';

export type Command = (config: Config, args: string[], parseArgs: typeof ParseArgs) => Promise<number>;

/** A line on stdout. */
export const out = (s: string): void => void process.stdout.write(`${s}\n`);

/** A line on stderr (progress and notes, so that stdout stays the result). */
export const note = (s: string): void => void process.stderr.write(`${s}\n`);
