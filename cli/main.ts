/**
 * The `brainops` command: the one entry point of every process. Each command's module is
 * loaded only when that command runs, so that `--help` and the commands that go through a
 * running server start in well under a second.
 * @module
 */
import { parseArgs } from 'node:util';
import type { Config } from '../runtime/config.ts';
import { AppError } from '../runtime/errors.ts';
import { VERSION } from '../runtime/version.ts';
import type { Command } from './command.ts';

const HELP = `brainops ${VERSION} — a job-driven agent runtime for running a business

Usage: npx brainops <command> [options]

Run BrainOps
  start                      API + worker in one process (embedded database unless DATABASE_URL)
  api                        the HTTP API only
  worker [--agents a,b]      a worker only; start as many as you like, on any machine

Tasks
  run <agent> --input '<json>' [--timeout 300] [--cancel-on-interrupt]
                             dispatch a task, show its progress live, print its output;
                             Ctrl-C stops following (the task goes on), a second Ctrl-C cancels it
  cancel <task-id>           cancel a queued, running or waiting task
  replay <taskId> [--json]   re-run the agent's current code against the task's journal: no model,
                             no side effects; prints the first divergence, or that there was none

Administration (through the running server when there is one, else on the database)
  doctor                     check configuration, database, queue, agents, tools and revenue endpoints
  migrate                    apply database migrations
  keys create --tenant T --scopes admin|read,write,approve [--name N]
  keys list [--tenant T]     keys revoke <id>
  tenants list               tenants set <id> [--daily-budget-usd N|default] [--max-running N|default] [--phone-region XX|default]
                             per-tenant guardrails: daily budget (USD), running cap; the region phones are read in
  schedules [list|defaults|enable-defaults|enable <id>|disable <id>] [--tenant T] [--timezone Z]
                             autonomous schedules; enable-defaults installs the revenue jobs
  memory status              memories per embedder and dimension
  memory reembed [--batch N] [--tenant T]
                             re-embed the memories another embedder made

Development
  new-agent <name> [--dir D] scaffold a plugin package against @brainops/sdk in D/<name>/
                             (package.json, agent, pure core, a test that passes as generated)

While \`npm start\` runs on the embedded database, the administration commands and \`run\` go
through its API (found from BRAINOPS_DATA_DIR/server.json, key from admin.key there). Elsewhere,
set BRAINOPS_URL and BRAINOPS_API_KEY. Configuration comes from the environment (see
.env.example and the README).`;

const COMMANDS: Record<string, () => Promise<Command>> = {
  start: async () => (await import('./serve.ts')).startCommand,
  api: async () => (await import('./serve.ts')).apiCommand,
  worker: async () => (await import('./serve.ts')).workerCommand,
  run: async () => (await import('./run.ts')).runCommand,
  cancel: async () => (await import('./run.ts')).cancelCommand,
  replay: async () => (await import('./replay.ts')).replayCommand,
  doctor: async () => (await import('./doctor.ts')).doctorCommand,
  migrate: async () => (await import('./admin.ts')).migrateCommand,
  keys: async () => (await import('./admin.ts')).keysCommand,
  tenants: async () => (await import('./tenants.ts')).tenantsCommand,
  schedules: async () => (await import('./schedules.ts')).schedulesCommand,
  memory: async () => (await import('./memory.ts')).memoryCommand,
  'new-agent': async () => (await import('./new-agent.ts')).newAgentCommand,
};

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
  const load = COMMANDS[command];
  if (!load) {
    process.stderr.write(`brainops: unknown command '${command}'. Run \`npx brainops help\` for the list.\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return 0;
  }
  let config: Config;
  try {
    // Loaded here, not above: `--help` starts without the configuration schema (zod).
    const { loadConfig } = await import('../runtime/config.ts');
    config = loadConfig(process.env, VERSION);
  } catch (err) {
    process.stderr.write(`brainops: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    const handler = await load();
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

/** `command`'s lines of the help: its usage, and the lines that continue it. */
export function commandHelp(command: string): string {
  const lines = HELP.split('\n');
  const picked: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith(`  ${command} `) && lines[i] !== `  ${command}`) continue;
    picked.push(lines[i]!);
    while (lines[i + 1]?.startsWith(' '.repeat(29))) picked.push(lines[++i]!);
  }
  return `Usage: npx brainops <command> [options]\n\n${picked.join('\n')}\n\nAll commands: npx brainops help`;
}

/** The names of every command, for the tests that check `--help` lists them all. */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);
