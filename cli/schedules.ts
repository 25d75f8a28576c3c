/**
 * `brainops schedules`: list, enable-defaults [--tenant T] [--timezone Z], enable <id>,
 * disable <id>. Works on the database directly and syncs BullMQ, so it needs no server.
 * @module
 */
import type { parseArgs as ParseArgs } from 'node:util';
import type { Config } from '../runtime/config.ts';
import { DEFAULT_SCHEDULES, enableDefaults, ScheduleService, type Actor } from '../runtime/guardrails/index.ts';
import { silentLogger } from '../runtime/logger.ts';
import { compose } from '../workers/compose.ts';
import { settingsView } from '../tools/index.ts';

const out = (s: string) => process.stdout.write(`${s}\n`);
const CLI: Actor = { type: 'cli', id: 'brainops schedules' };

export async function schedulesCommand(config: Config, args: string[], parseArgs: typeof ParseArgs): Promise<number> {
  const [sub = 'list', ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { tenant: { type: 'string', default: 'default' }, timezone: { type: 'string', default: 'UTC' } },
  });
  const tenant = values.tenant ?? 'default';
  if (!['list', 'enable-defaults', 'enable', 'disable', 'defaults'].includes(sub)) {
    throw new Error('usage: schedules list|defaults|enable-defaults|enable <id>|disable <id> [--tenant T] [--timezone Z]');
  }
  if (sub === 'defaults') {
    for (const d of DEFAULT_SCHEDULES) out(`${d.name.padEnd(28)} ${d.agent.padEnd(20)} ${d.cron.padEnd(14)} ${d.why}`);
    return 0;
  }
  const { runtime } = await compose(config, { logger: silentLogger() });
  try {
    const schedules = new ScheduleService(runtime);
    if (sub === 'enable-defaults') {
      const r = await enableDefaults(schedules, tenant, CLI, await settingsView(runtime.db, tenant), values.timezone);
      for (const s of r.enabled) out(`✔ ${s.name.padEnd(28)} ${s.agent.padEnd(20)} ${s.cron ?? ''} ${s.timezone}  next ${s.nextRunAt ?? '-'}`);
      for (const s of r.skipped) out(`- ${s.name.padEnd(28)} skipped: ${s.reason}`);
      for (const m of r.missing) out(`! setting ${m.setting} is missing (needed by ${m.neededBy.join(', ')}): ${m.how}`);
      out(`${r.enabled.length} default schedule(s) enabled for tenant '${tenant}', ${r.skipped.length} skipped.`);
      return 0;
    }
    if (sub === 'enable' || sub === 'disable') {
      const id = positionals[0];
      if (!id) throw new Error(`usage: schedules ${sub} <id>`);
      const s = await schedules.update(tenant, id, { enabled: sub === 'enable' }, CLI);
      out(`${s.name}: ${s.enabled ? `enabled, next run ${s.nextRunAt ?? '-'}` : 'disabled'}`);
      return 0;
    }
    const list = await schedules.list(tenant);
    if (list.length === 0) out(`No schedules for tenant '${tenant}'. \`npx brainops schedules enable-defaults\` installs the default revenue jobs.`);
    for (const s of list) {
      const when = s.cron ? `${s.cron} (${s.timezone})` : `every ${s.everyMs} ms`;
      out(`${s.id}  ${s.enabled ? 'on ' : 'off'}  ${s.name.padEnd(28)} ${s.agent.padEnd(20)} ${when.padEnd(26)} next ${s.nextRunAt ?? '-'}  last ${s.lastRunAt ?? '-'}`);
    }
    return 0;
  } finally {
    await runtime.close();
  }
}
