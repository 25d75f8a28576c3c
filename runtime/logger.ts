/**
 * The scoped logger. Created once per process and passed in (`logger.child({taskId})`);
 * it redacts secrets itself, so callers never have to remember to.
 * @module
 */
import { pino, type Logger as PinoLogger } from 'pino';
import { isClusterUrl, parseClusterUrl } from './redis-cluster.ts';

export type Logger = PinoLogger;

const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.apiKey',
  '*.password',
  '*.secret',
  '*.token',
  'apiKey',
  'password',
  'secret',
  'token',
];

export interface LoggerOptions {
  level: string;
  /** Secret values (API keys, passwords in URLs) that must never appear in a line. */
  secrets?: readonly (string | undefined)[];
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const secrets = (options.secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= 6);
  const scrub = (text: string): string => secrets.reduce((t, s) => t.split(s).join('[REDACTED]'), text);
  const stream = options.destination ?? process.stdout;
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    },
    secrets.length === 0 ? (stream as pino.DestinationStream) : { write: (line: string) => void stream.write(scrub(line)) },
  );
}

/** A logger that drops everything: for tests and library use. */
export const silentLogger = (): Logger => pino({ level: 'silent' });

/** Secret values hidden inside connection URLs (the password part). */
export function urlPasswords(...urls: (string | undefined)[]): string[] {
  return urls.flatMap((u) => {
    if (!u) return [];
    // A cluster URL lists several hosts, which URL cannot parse.
    if (isClusterUrl(u)) {
      const p = parseClusterUrl(u)?.password;
      return p ? [p] : [];
    }
    try {
      const p = new URL(u).password;
      return p ? [decodeURIComponent(p)] : [];
    } catch {
      return [];
    }
  });
}
