/**
 * The `brainops` command: the one entry point of every process.
 *   start     API + worker in one process (the embedded default)
 *   api       the HTTP API only        worker   a worker only (run as many as you like)
 *   migrate   apply database migrations
 *   run       dispatch a task, show live progress, print the result
 *   replay    re-run a task's journal through the agent's current code (no model, no effects)
 *   keys      create / list / revoke API keys
 *   doctor    check configuration, database, queue and the revenue endpoints
 * @module
 */
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../runtime/config.ts';
import { AppError } from '../runtime/errors.ts';
import { VERSION } from '../runtime/version.ts';
import { commands } from './commands.ts';

const HELP = `brainops ${VERSION} — a job-driven agent runtime for running a business

Usage: npx brainops <command> [options]

  start                      API + worker in one process (embedded database unless DATABASE_URL)
  api                        the HTTP API only
  worker [--agents a,b]      a worker only; start as many as you like, on any machine
  migrate                    apply database migrations and exit
  run <agent> --input '<json>' [--timeout 120]
                             dispatch a task, show its progress live, print its output
  replay <taskId> [--json]   re-run the agent's current code against the task's journal: no model,
                             no side effects; prints the first divergence, or that there was none
  keys create --tenant T --scopes admin|read,write,approve [--name N]
  keys list [--tenant T]     keys revoke <id>
  doctor                     check configuration, database, queue and endpoints
  schedules [list|defaults|enable-defaults|enable <id>|disable <id>] [--tenant T] [--timezone Z]
                             autonomous schedules; enable-defaults installs the revenue jobs
  tenants list               tenants set <id> [--daily-budget-usd N|default] [--max-running N|default]
                             per-tenant guardrails: daily budget (USD) and running cap
  new-agent <name> [--dir D] scaffold a plugin package against @brainops/sdk in D/<name>/
                             (package.json, agent, pure core, a test that passes as generated)

Configuration comes from the environment (see .env.example and the README).`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (command === '--version' || command === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const handler = commands[command];
  if (!handler) {
    process.stderr.write(`brainops: unknown command '${command}'. Run \`npx brainops help\` for the list.\n`);
    return 2;
  }
  let config: Config;
  try {
    config = loadConfig(process.env, VERSION);
  } catch (err) {
    process.stderr.write(`brainops: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    return await handler(config, rest, parseArgs);
  } catch (err) {
    // People get the sentence; the stack only when asked for (BRAINOPS_DEBUG=1) or for a bug
    // that is not one of ours (no AppError, no usage error).
    const e = err as Error & { code?: string };
    const expected = err instanceof AppError || e.code?.startsWith('ERR_PARSE_ARGS') || e.name === 'Error';
    const message = expected && !process.env.BRAINOPS_DEBUG ? e.message : String(e?.stack ?? err);
    process.stderr.write(`brainops ${command}: ${message}\n`);
    return 1;
  }
}
