/**
 * `brainops doctor`: one place that answers what the old system's four monitoring scripts
 * did: configuration, database and schema, queue, agents, and (with the business tools)
 * the revenue endpoints. Asks the running server when there is one (its own view of all
 * of that), else checks on its own. Exits non-zero when anything is wrong.
 * @module
 */
import type { DoctorReport } from '../workers/admin.ts';
import { out, type Command } from './command.ts';
import { call, findServer } from './remote.ts';

export const doctorCommand: Command = async (config) => {
  out(`BrainOps ${config.version}`);
  const s = await findServer(config);
  let r: DoctorReport;
  if (s) {
    out(`✔ ${'server'.padEnd(12)} ${s.url} (${s.via})`);
    r = await call<DoctorReport>(s, 'GET', '/api/v1/admin/doctor');
  } else {
    const [{ silentLogger }, { compose }, { doctorReport }] = await Promise.all([
      import('../runtime/logger.ts'),
      import('../workers/compose.ts'),
      import('../workers/admin.ts'),
    ]);
    const c = await compose(config, { logger: silentLogger() });
    try {
      r = await doctorReport(c, { runWorkers: true });
    } finally {
      await c.runtime.close();
    }
  }
  for (const c of r.checks) out(`${c.ok ? '✔' : '✖'} ${c.name.padEnd(12)} ${c.detail}`);
  for (const e of r.revenue.endpoints)
    out(`  ${e.ok ? '✔' : '✖'} ${String(e.n).padStart(2)} ${e.name.padEnd(36)} ${e.route.padEnd(42)} ${e.detail}`);
  const revenueOk = r.revenue.available === r.revenue.total;
  out(`${revenueOk ? '✔' : '✖'} ${'revenue'.padEnd(12)} ${r.revenue.available}/${r.revenue.total} operational`);
  const failures = r.checks.filter((c) => !c.ok).length + (revenueOk ? 0 : 1);
  out(failures ? `${failures} problem(s) found.` : 'All checks passed.');
  return failures ? 1 : 0;
};
