/**
 * `brainops replay <taskId> [--json]`: asks a running BrainOps (BRAINOPS_URL, default this
 * machine's PORT; key from BRAINOPS_API_KEY, as `brainops run`) to replay the task's journal
 * through the agent's current code (runtime/replay.ts) and prints the report. Exit code 0 when
 * there was no divergence, 1 when there was one.
 * @module
 */
import type { parseArgs as ParseArgs } from 'node:util';
import type { Config } from '../runtime/config.ts';
import type { ReplayReport } from '../runtime/replay.ts';
import { apiKey, reachable } from './run.ts';

const out = (s: string) => process.stdout.write(`${s}\n`);

export async function replayCommand(config: Config, args: string[], parseArgs: typeof ParseArgs): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { url: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const taskId = positionals[0];
  if (!taskId) throw new Error('usage: brainops replay <taskId> [--json]');
  const base = values.url ?? process.env.BRAINOPS_URL ?? `http://127.0.0.1:${config.PORT}`;
  if (!(await reachable(base))) throw new Error(`no BrainOps answers at ${base}: start one (npx brainops start) or set BRAINOPS_URL.`);
  const res = await fetch(`${base}/api/v1/tasks/${encodeURIComponent(taskId)}/replay`, {
    headers: { authorization: `Bearer ${await apiKey(config)}` },
  });
  const body = (await res.json()) as { replay?: ReplayReport; error?: { code: string; message: string } };
  if (!body.replay) throw new Error(`${body.error?.code ?? res.status}: ${body.error?.message ?? 'no replay in the answer'}`);
  const r = body.replay;
  if (values.json) out(JSON.stringify(r, null, 2));
  else print(r);
  return r.outcome === 'diverged' ? 1 : 0;
}

function print(r: ReplayReport): void {
  out(`replay of task ${r.taskId} (${r.agent} ${r.agentVersion}, ${r.taskStatus}; ${r.journalSteps} recorded step(s))`);
  for (const s of r.steps) out(`  ↺ ${s.key}${s.kind === 'approval' ? ' (recorded approval)' : ''}`);
  if (r.divergence) {
    out(`  ✖ ${r.divergence.kind}`);
    out(`    replayed code: ${JSON.stringify(r.divergence.replay)}`);
    out(`    recorded run:  ${JSON.stringify(r.divergence.recorded)}`);
  } else if (r.next) out(`  … next: ${r.next.key}`);
  out(r.message);
}
