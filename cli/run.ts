/**
 * `brainops run <agent> --input '<json>'`: dispatches a task and shows it live; `brainops
 * cancel <id>` cancels one. Talks to a running BrainOps over HTTP when one is found (--url,
 * BRAINOPS_URL, the server `npm start` runs on this data directory, or this machine's PORT);
 * otherwise runs the task in this process on the configured engines.
 *
 * Ctrl-C stops following, says that the task goes on and how to cancel it; a second Ctrl-C
 * within a few seconds (or the first, with --cancel-on-interrupt) cancels the task.
 * @module
 */
import { readFile } from 'node:fs/promises';
import type { Config } from '../runtime/config.ts';
import { TERMINAL, type Task } from '../runtime/tasks.ts';
import { note as err, out, type Command } from './command.ts';
import { call, findServer, serverKey, type Server } from './remote.ts';

interface Ev {
  type: string;
  data: Record<string, unknown>;
}

/** How long after the first Ctrl-C a second one still cancels the task. */
const SECOND_INTERRUPT_MS = 5000;

export const runCommand: Command = async (config, args, parseArgs) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      input: { type: 'string', short: 'i' },
      timeout: { type: 'string', default: '300' },
      url: { type: 'string' },
      local: { type: 'boolean', default: false },
      'idempotency-key': { type: 'string' },
      'cancel-on-interrupt': { type: 'boolean', default: false },
    },
  });
  const agent = positionals[0];
  if (!agent) throw new Error(`usage: brainops run <agent> --input '<json>'`);
  let input: unknown = {};
  if (values.input) {
    try {
      input = JSON.parse(values.input.startsWith('@') ? await readFile(values.input.slice(1), 'utf8') : values.input);
    } catch (e) {
      throw new Error(`--input is not valid JSON (${(e as Error).message}). Quote it: --input '{"steps": 3}'`);
    }
  }
  const body = { input, ...(values['idempotency-key'] ? { idempotencyKey: values['idempotency-key'] } : {}) };
  const timeoutMs = timeoutOf(values.timeout);
  const started = Date.now();
  const server = values.local ? undefined : await serverFor(config, values.url);
  const follow = new Following(values['cancel-on-interrupt'] ?? false);
  let task: Task;
  try {
    if (server) {
      err(`dispatching ${agent} to ${server.url}`);
      task = await overHttp(server, agent, body, timeoutMs, follow);
    } else {
      err(`no BrainOps server found: running ${agent} in this process (${config.DATABASE_URL ? 'PostgreSQL' : 'embedded database'})`);
      task = await inProcess(config, agent, body, timeoutMs, follow);
    }
  } finally {
    follow.dispose();
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (task.status === 'succeeded') {
    err(`✔ ${agent} succeeded in ${secs}s (task ${task.id}, attempt ${task.attempts}, ${usageText(task)})`);
    process.stdout.write(`${JSON.stringify(task.output, null, 2)}\n`);
    return 0;
  }
  if (!TERMINAL.includes(task.status)) {
    if (follow.interrupted) {
      err(`… ${agent} is ${task.status}; it goes on${server ? ` on ${server.url}` : ' (the next BrainOps process to start runs it)'}.`);
      err(`  follow it: GET /api/v1/tasks/${task.id}   cancel it: npx brainops cancel ${task.id}`);
      return 130;
    }
    err(
      `… ${agent} is still ${task.status} after ${secs}s; follow it with GET /api/v1/tasks/${task.id}, cancel it with npx brainops cancel ${task.id}`,
    );
    return 3;
  }
  err(`✖ ${agent} ${task.status} in ${secs}s: ${task.error ? `${task.error.code}: ${task.error.message}` : ''}`);
  if (task.error?.details) err(JSON.stringify(task.error.details, null, 2));
  return follow.interrupted ? 130 : 1;
};

/** `brainops cancel <task-id> [--tenant T]`: through the server when there is one, else on the database. */
export const cancelCommand: Command = async (config, args, parseArgs) => {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { url: { type: 'string' }, tenant: { type: 'string' } },
  });
  const id = positionals[0];
  if (!id) throw new Error('usage: brainops cancel <task-id> [--tenant T]');
  const server = await serverFor(config, values.url);
  let task: Task;
  if (server) {
    // Through the server a key acts for its own tenant only: --tenant must be that tenant.
    if (values.tenant !== undefined) {
      const own = (await call<{ tenant: { id: string } }>(server, 'GET', '/api/v1/tenant')).tenant.id;
      if (own !== values.tenant)
        throw new Error(
          `The key for ${server.url} acts for tenant '${own}', not '${values.tenant}': nothing was cancelled. Cancel tenant '${values.tenant}'s task with one of its keys: BRAINOPS_API_KEY=<key of ${values.tenant}> npx brainops cancel ${id}`,
        );
    }
    task = (await call<{ task: Task }>(server, 'POST', `/api/v1/tasks/${encodeURIComponent(id)}/cancel`)).task;
  } else {
    const [{ silentLogger }, { compose }] = await Promise.all([import('../runtime/logger.ts'), import('../workers/compose.ts')]);
    const { runtime } = await compose(config, { logger: silentLogger() });
    try {
      task = await runtime.tasks.cancel(values.tenant ?? 'default', id);
    } finally {
      await runtime.close();
    }
  }
  out(`task ${task.id} (${task.agent}) is ${task.status}`);
  return task.status === 'cancelled' ? 0 : 1;
};

/**
 * What Ctrl-C does while a task is followed: the first stops following (after a moment for a
 * second one) and says how to cancel; a second one, or the first with --cancel-on-interrupt,
 * cancels the task. Before the task exists, Ctrl-C just exits.
 */
class Following {
  interrupted = false;
  readonly stop = new AbortController();
  #taskId: string | undefined;
  #cancel: ((id: string) => Promise<unknown>) | undefined;
  #where = '';
  #count = 0;
  readonly #onSigint = () => this.#interrupt();

  constructor(private readonly cancelFirst: boolean) {
    process.on('SIGINT', this.#onSigint);
  }

  /** The task now followed, where it runs (for the message) and how to cancel it. */
  track(id: string, where: string, cancel: (id: string) => Promise<unknown>): void {
    this.#taskId = id;
    this.#where = where;
    this.#cancel = cancel;
  }

  #interrupt(): void {
    this.#count++;
    const id = this.#taskId;
    if (!id || !this.#cancel) process.exit(130);
    this.interrupted = true;
    if (this.#count === 1 && !this.cancelFirst) {
      err(`\n■ Stopped following task ${id}: it goes on ${this.#where}.`);
      err(`  Press Ctrl-C again within ${SECOND_INTERRUPT_MS / 1000} s to cancel it, or later: npx brainops cancel ${id}`);
      setTimeout(() => this.stop.abort(), SECOND_INTERRUPT_MS).unref();
      return;
    }
    if (this.#count > 2 || (this.cancelFirst && this.#count > 1)) process.exit(130);
    err(`\n■ Cancelling task ${id} ...`);
    this.#cancel(id).then(
      () => this.stop.abort(),
      (e: unknown) => {
        err(`  could not cancel it: ${(e as Error).message}`);
        this.stop.abort();
      },
    );
  }

  dispose(): void {
    process.off('SIGINT', this.#onSigint);
  }
}

function usageText(t: Task): string {
  const u = t.usage;
  return u.inputTokens + u.outputTokens === 0 ? 'no model tokens' : `${u.inputTokens}+${u.outputTokens} tokens, $${u.costUsd}`;
}

function render(e: Ev): void {
  const d = e.data;
  if (e.type === 'status') err(`  status   ${String(d.status)}${d.error ? ` — ${(d.error as { message?: string }).message}` : ''}`);
  else if (e.type === 'progress')
    err(`  progress ${bar(Number(d.pct))} ${String(d.pct).padStart(3)}%${d.message ? `  ${String(d.message)}` : ''}`);
  else if (e.type === 'step' && d.state === 'finished') err(`  step     ${String(d.name)} ✓ (${String(d.durationMs)} ms)`);
  else if (e.type === 'step' && d.replayed) err(`  step     ${String(d.name)} ↺ replayed from the journal`);
  else if (e.type === 'log') err(`  ${String(d.level).padEnd(8)} ${String(d.message)}`);
}

const bar = (pct: number) => {
  const n = Math.round(Math.max(0, Math.min(100, pct)) / 5);
  return `[${'#'.repeat(n)}${'.'.repeat(20 - n)}]`;
};

/** --url, BRAINOPS_URL or the data directory's server (cli/remote.ts), else this machine's PORT when it answers. */
export async function serverFor(config: Config, url: string | undefined): Promise<Server | undefined> {
  if (url) return { url: url.replace(/\/$/, ''), key: await serverKey(config), via: '--url' };
  const found = await findServer(config);
  if (found) return found;
  const local = `http://127.0.0.1:${config.PORT}`;
  return (await reachable(local)) ? { url: local, key: await serverKey(config), via: `PORT ${config.PORT}` } : undefined;
}

async function reachable(base: string): Promise<boolean> {
  try {
    const r = await fetch(`${base}/health`, { signal: AbortSignal.timeout(1500) });
    return r.status === 200 || r.status === 503;
  } catch {
    return false;
  }
}

async function overHttp(s: Server, agent: string, body: unknown, timeoutMs: number, follow: Following): Promise<Task> {
  const created = await call<{ task: Task }>(s, 'POST', `/api/v1/agents/${encodeURIComponent(agent)}/tasks`, body).catch(
    (e: Error & { details?: unknown }) => {
      throw new Error(`${e.message}${e.details ? `\n${JSON.stringify(e.details, null, 2)}` : ''}`);
    },
  );
  const id = created.task.id;
  follow.track(id, `on ${s.url}`, (taskId) => call(s, 'POST', `/api/v1/tasks/${taskId}/cancel`));
  const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), follow.stop.signal]);
  const stream = await fetch(`${s.url}/api/v1/tasks/${id}/events`, { headers: { authorization: `Bearer ${s.key}` }, signal }).catch(
    () => undefined,
  );
  if (stream?.body) {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of stream.body) {
        buf += decoder.decode(chunk as Uint8Array, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          // After a first Ctrl-C this no longer follows: the events stop showing at once.
          if (type && data && !follow.interrupted) render({ type, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
    } catch {
      // timed out, interrupted, or the server went away: report the task's state below
    }
  }
  try {
    return (await call<{ task: Task }>(s, 'GET', `/api/v1/tasks/${id}`)).task;
  } catch (e) {
    // The server went away (shut down, restarted): the task is stored there and goes on.
    err(`lost contact with ${s.url} (${(e as Error).message}); task ${id} is stored there and goes on when it is back.`);
    return created.task;
  }
}

/** --timeout in seconds, read before anything is dispatched: more than 0, at most a day. */
function timeoutOf(text: string): number {
  const seconds = Number(text);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400)
    throw new Error(
      `--timeout '${text}' is not a number of seconds from more than 0 to 86400 (a day); for example --timeout 600. Nothing was run.`,
    );
  return seconds * 1000;
}

async function inProcess(config: Config, agent: string, body: unknown, timeoutMs: number, follow: Following): Promise<Task> {
  const [{ silentLogger }, { startProcess }] = await Promise.all([import('../runtime/logger.ts'), import('../workers/process.ts')]);
  const p = await startProcess(config, { api: false, worker: true, overrides: { logger: silentLogger() } });
  const rt = p.runtime;
  try {
    const { task } = await rt.tasks.create('default', agent, body, { type: 'cli' });
    follow.track(task.id, 'in the queue: the next BrainOps process to start runs it', (id) => rt.tasks.cancel('default', id));
    const deadline = Date.now() + timeoutMs;
    let after = 0;
    for (;;) {
      for (const e of await rt.tasks.events('default', task.id, after)) {
        after = e.id;
        if (!follow.interrupted) render(e);
      }
      const t = await rt.tasks.get('default', task.id);
      if (TERMINAL.includes(t.status) || Date.now() > deadline || follow.stop.signal.aborted) {
        if (!follow.interrupted) for (const e of await rt.tasks.events('default', task.id, after)) render(e);
        return t;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await p.stop(5000);
  }
}
