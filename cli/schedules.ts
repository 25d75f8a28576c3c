/**
 * `brainops schedules`: list, defaults, enable-defaults [--tenant T] [--timezone Z],
 * enable <id>, disable <id>. Through the running server when there is one (cli/remote.ts);
 * otherwise on the database directly, syncing BullMQ, so it needs no server.
 * @module
 */
import type { Actor, DefaultsResult, Schedule } from '../runtime/guardrails/index.ts';
import type { SchedulesOp } from '../workers/admin.ts';
import { out, type Command } from './command.ts';
import { call, findServer } from './remote.ts';

const CLI: Actor = { type: 'cli', id: 'brainops schedules' };
const USAGE = 'usage: schedules list|defaults|enable-defaults|enable <id>|disable <id> [--tenant T] [--timezone Z]';

export const schedulesCommand: Command = async (config, args, parseArgs) => {
  const [sub = 'list', ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { tenant: { type: 'string', default: 'default' }, timezone: { type: 'string', default: 'UTC' } },
  });
  const tenant = values.tenant ?? 'default';
  if (!['list', 'enable-defaults', 'enable', 'disable', 'defaults'].includes(sub)) throw new Error(USAGE);
  if (sub === 'defaults') {
    const { DEFAULT_SCHEDULES } = await import('../runtime/guardrails/defaults.ts');
    for (const d of DEFAULT_SCHEDULES) out(`${d.name.padEnd(28)} ${d.agent.padEnd(20)} ${d.cron.padEnd(14)} ${d.why}`);
    return 0;
  }
  let op: SchedulesOp = { op: 'list' };
  if (sub === 'enable-defaults') op = { op: 'enable-defaults', timezone: values.timezone ?? 'UTC' };
  if (sub === 'enable' || sub === 'disable') {
    if (!positionals[0]) throw new Error(`usage: schedules ${sub} <id>`);
    op = { op: 'set', id: positionals[0], enabled: sub === 'enable' };
  }
  const r = await run(config, tenant, op);
  if ('enabled' in r && Array.isArray(r.enabled)) {
    const d = r as DefaultsResult;
    for (const s of d.enabled)
      out(`✔ ${s.name.padEnd(28)} ${s.agent.padEnd(20)} ${s.cron ?? ''} ${s.timezone}  next ${s.nextRunAt ?? '-'}`);
    for (const s of d.skipped) out(`- ${s.name.padEnd(28)} skipped: ${s.reason}`);
    for (const m of d.missing) out(`! setting ${m.setting} is missing (needed by ${m.neededBy.join(', ')}): ${m.how}`);
    out(`${d.enabled.length} default schedule(s) enabled for tenant '${tenant}', ${d.skipped.length} skipped.`);
    return 0;
  }
  if ('schedule' in r) {
    const s = r.schedule;
    out(`${s.name}: ${s.enabled ? `enabled, next run ${s.nextRunAt ?? '-'}` : 'disabled'}`);
    return 0;
  }
  const list = (r as { schedules: Schedule[] }).schedules;
  if (list.length === 0)
    out(`No schedules for tenant '${tenant}'. \`npx brainops schedules enable-defaults\` installs the default revenue jobs.`);
  for (const s of list) {
    const when = s.cron ? `${s.cron} (${s.timezone})` : `every ${s.everyMs} ms`;
    out(
      `${s.id}  ${s.enabled ? 'on ' : 'off'}  ${s.name.padEnd(28)} ${s.agent.padEnd(20)} ${when.padEnd(26)} next ${s.nextRunAt ?? '-'}  last ${s.lastRunAt ?? '-'}`,
    );
  }
  return 0;
};

type Result = { schedules: Schedule[] } | DefaultsResult | { schedule: Schedule };

async function run(config: Parameters<Command>[0], tenant: string, op: SchedulesOp): Promise<Result> {
  const s = await findServer(config);
  const base = `/api/v1/admin/tenants/${encodeURIComponent(tenant)}/schedules`;
  if (s) {
    if (op.op === 'list') return call<Result>(s, 'GET', base);
    if (op.op === 'enable-defaults') return call<Result>(s, 'POST', `${base}/defaults`, { timezone: op.timezone });
    return call<Result>(s, 'PATCH', `${base}/${encodeURIComponent(op.id)}`, { enabled: op.enabled });
  }
  const [{ silentLogger }, { compose }, { schedulesRun }] = await Promise.all([
    import('../runtime/logger.ts'),
    import('../workers/compose.ts'),
    import('../workers/admin.ts'),
  ]);
  const { runtime } = await compose(config, { logger: silentLogger() });
  try {
    return await schedulesRun(runtime, tenant, op, CLI);
  } finally {
    await runtime.close();
  }
}
