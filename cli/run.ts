/**
 * `brainops run <agent> --input '<json>'`: dispatches a task and shows it live. Talks to a
 * running BrainOps over HTTP when one answers (BRAINOPS_URL, default this machine's PORT);
 * otherwise runs the task in this process on the configured engines.
 * @module
 */
import { readFile } from 'node:fs/promises';
import type { parseArgs as ParseArgs } from 'node:util';
import type { Config } from '../runtime/config.ts';
import { silentLogger } from '../runtime/logger.ts';
import { TERMINAL, type Task } from '../runtime/tasks.ts';
import { startProcess } from '../workers/process.ts';

interface Ev {
  type: string;
  data: Record<string, unknown>;
}

const err = (s: string) => process.stderr.write(`${s}\n`);

export async function runCommand(config: Config, args: string[], parseArgs: typeof ParseArgs): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      input: { type: 'string', short: 'i' },
      timeout: { type: 'string', default: '300' },
      url: { type: 'string' },
      local: { type: 'boolean', default: false },
      'idempotency-key': { type: 'string' },
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
  const timeoutMs = Number(values.timeout) * 1000;
  const base = values.url ?? process.env.BRAINOPS_URL ?? `http://127.0.0.1:${config.PORT}`;
  const started = Date.now();
  let task: Task;
  if (!values.local && (await reachable(base))) {
    err(`dispatching ${agent} to ${base}`);
    task = await overHttp(base, await apiKey(config), agent, body, timeoutMs);
  } else {
    err(`no BrainOps answers at ${base}: running ${agent} in this process (${config.DATABASE_URL ? 'PostgreSQL' : 'embedded database'})`);
    task = await inProcess(config, agent, body, timeoutMs);
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (task.status === 'succeeded') {
    err(`✔ ${agent} succeeded in ${secs}s (task ${task.id}, attempt ${task.attempts}, ${usageText(task)})`);
    process.stdout.write(`${JSON.stringify(task.output, null, 2)}\n`);
    return 0;
  }
  if (!TERMINAL.includes(task.status)) {
    err(`… ${agent} is still ${task.status} after ${secs}s; follow it with GET /api/v1/tasks/${task.id}`);
    return 3;
  }
  err(`✖ ${agent} ${task.status} in ${secs}s: ${task.error ? `${task.error.code}: ${task.error.message}` : ''}`);
  if (task.error?.details) err(JSON.stringify(task.error.details, null, 2));
  return 1;
}

function usageText(t: Task): string {
  const u = t.usage;
  return u.inputTokens + u.outputTokens === 0 ? 'no model tokens' : `${u.inputTokens}+${u.outputTokens} tokens, $${u.costUsd}`;
}

function render(e: Ev): void {
  const d = e.data;
  if (e.type === 'status') err(`  status   ${String(d.status)}${d.error ? ` — ${(d.error as { message?: string }).message}` : ''}`);
  else if (e.type === 'progress') err(`  progress ${bar(Number(d.pct))} ${String(d.pct).padStart(3)}%${d.message ? `  ${String(d.message)}` : ''}`);
  else if (e.type === 'step' && d.state === 'finished') err(`  step     ${String(d.name)} ✓ (${String(d.durationMs)} ms)`);
  else if (e.type === 'step' && d.replayed) err(`  step     ${String(d.name)} ↺ replayed from the journal`);
  else if (e.type === 'log') err(`  ${String(d.level).padEnd(8)} ${String(d.message)}`);
}

const bar = (pct: number) => {
  const n = Math.round(Math.max(0, Math.min(100, pct)) / 5);
  return `[${'#'.repeat(n)}${'.'.repeat(20 - n)}]`;
};

/** Whether a BrainOps answers at `base` (its /health, healthy or degraded). */
export async function reachable(base: string): Promise<boolean> {
  try {
    const r = await fetch(`${base}/health`, { signal: AbortSignal.timeout(1500) });
    return r.status === 200 || r.status === 503;
  } catch {
    return false;
  }
}

/** The key to call the API with: BRAINOPS_API_KEY, else the admin key (configured or kept in the data folder). */
export async function apiKey(config: Config): Promise<string> {
  const key = process.env.BRAINOPS_API_KEY ?? config.BRAINOPS_ADMIN_KEY ?? (await readFile(`${config.BRAINOPS_DATA_DIR}/admin.key`, 'utf8').catch(() => '')).trim();
  if (!key) throw new Error('No API key: set BRAINOPS_API_KEY (or BRAINOPS_ADMIN_KEY), or run from the folder where `npm start` keeps .brainops/admin.key.');
  return key;
}

async function overHttp(base: string, key: string, agent: string, body: unknown, timeoutMs: number): Promise<Task> {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const res = await fetch(`${base}/api/v1/agents/${encodeURIComponent(agent)}/tasks`, { method: 'POST', headers, body: JSON.stringify(body) });
  const json = (await res.json()) as { task?: Task; error?: { code: string; message: string; details?: unknown } };
  if (!json.task) {
    throw new Error(`${json.error?.code}: ${json.error?.message}${json.error?.details ? `\n${JSON.stringify(json.error.details, null, 2)}` : ''}`);
  }
  const id = json.task.id;
  const stream = await fetch(`${base}/api/v1/tasks/${id}/events`, { headers, signal: AbortSignal.timeout(timeoutMs) }).catch(() => undefined);
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
          if (type && data) render({ type, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
    } catch {
      // timed out or the server went away: report the task's state below
    }
  }
  const final = await fetch(`${base}/api/v1/tasks/${id}`, { headers });
  return ((await final.json()) as { task: Task }).task;
}

async function inProcess(config: Config, agent: string, body: unknown, timeoutMs: number): Promise<Task> {
  const p = await startProcess(config, { api: false, worker: true, overrides: { logger: silentLogger() } });
  const rt = p.runtime;
  try {
    const { task } = await rt.tasks.create('default', agent, body, { type: 'cli' });
    const deadline = Date.now() + timeoutMs;
    let after = 0;
    for (;;) {
      for (const e of await rt.tasks.events('default', task.id, after)) {
        after = e.id;
        render(e);
      }
      const t = await rt.tasks.get('default', task.id);
      if (TERMINAL.includes(t.status) || Date.now() > deadline) {
        for (const e of await rt.tasks.events('default', task.id, after)) render(e);
        return t;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await p.stop(5000);
  }
}
