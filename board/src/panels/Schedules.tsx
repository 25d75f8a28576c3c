/** Schedules: list with next run, enable/disable, create from an agent's form. */
import { useState } from 'react';
import { api, ApiError, type Schedule } from '../api.ts';
import { useAgents, useLoad } from '../hooks.ts';
import { when } from '../format.ts';
import { AgentSelect, ErrorBox, Loading } from '../components/common.tsx';
import { AgentForm } from './Dispatch.tsx';

const every = (ms: number): string =>
  ms % 86_400_000 === 0
    ? `every ${ms / 86_400_000} d`
    : ms % 3_600_000 === 0
      ? `every ${ms / 3_600_000} h`
      : ms % 60_000 === 0
        ? `every ${ms / 60_000} min`
        : `every ${ms / 1000} s`;

const cadence = (s: Schedule): string => (s.cron ? `cron ${s.cron}` : typeof s.everyMs === 'number' ? every(s.everyMs) : '—');

export function Schedules() {
  const list = useLoad(() => api.schedules(), []);
  const [msg, setMsg] = useState('');

  const toggle = async (s: Schedule) => {
    try {
      await api.patchSchedule(s.id, { enabled: !s.enabled });
      setMsg(`${s.agent} schedule ${s.enabled ? 'disabled' : 'enabled'}.`);
      list.reload();
    } catch (e) {
      setMsg((e as Error).message);
    }
  };

  return (
    <section aria-labelledby="schedules-title">
      <h1 id="schedules-title">Schedules</h1>
      <ErrorBox error={list.error} what="Schedules" />
      {list.loading && !list.data && <Loading what="schedules" />}
      {msg && (
        <p role="status" className="muted">
          {msg}
        </p>
      )}
      {list.data && (
        <>
          <div className="table-wrap card">
            <table className="schedules-table">
              <thead>
                <tr>
                  <th scope="col">Schedule</th>
                  <th scope="col">When</th>
                  <th scope="col">Next run</th>
                  <th scope="col">Enabled</th>
                </tr>
              </thead>
              <tbody>
                {list.data.length === 0 && (
                  <tr>
                    <td colSpan={4} className="muted">
                      No schedules yet.
                    </td>
                  </tr>
                )}
                {list.data.map((s) => (
                  <tr key={s.id} data-schedule-id={s.id}>
                    <td>
                      {typeof s.name === 'string' && s.name !== s.agent ? (
                        <>
                          {s.name} <span className="muted">({s.agent})</span>
                        </>
                      ) : (
                        s.agent
                      )}
                    </td>
                    <td>
                      {cadence(s)}
                      {s.timezone ? <span className="muted"> ({s.timezone})</span> : null}
                    </td>
                    <td>{s.enabled ? when(s.nextRunAt ?? s.nextRun) : <span className="muted">paused</span>}</td>
                    <td>
                      <label className="switch">
                        <input type="checkbox" checked={s.enabled} onChange={() => toggle(s)} />
                        <span className="sr-only">
                          {s.agent} schedule {cadence(s)} enabled
                        </span>
                      </label>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <NewSchedule onCreated={list.reload} />
        </>
      )}
    </section>
  );
}

function NewSchedule({ onCreated }: { onCreated: () => void }) {
  const agents = useAgents();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'every' | 'cron'>('every');
  const [minutes, setMinutes] = useState('60');
  const [cron, setCron] = useState('0 7 * * *');
  const [timezone, setTimezone] = useState(() => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  const [msg, setMsg] = useState('');
  const agent = agents.data?.find((a) => a.name === (name || agents.data?.[0]?.name));

  const create = async (input: unknown) => {
    const m = Number(minutes);
    if (kind === 'every' && !(m >= 1)) throw new ApiError(400, 'CLIENT', 'Every how many minutes? Enter 1 or more.');
    const { schedule } = await api.createSchedule({
      agent: agent?.name ?? '',
      input,
      ...(kind === 'cron' ? { cron: cron.trim(), timezone } : { everyMs: Math.round(m * 60_000) }),
      enabled: true,
    });
    setMsg(`Created a ${schedule.agent} schedule.`);
    onCreated();
  };

  return (
    <div className="card">
      <h2>New schedule</h2>
      <ErrorBox error={agents.error} what="Agents" />
      <div className="filters">
        <AgentSelect id="schedule-agent" agents={agents.data} value={agent?.name ?? ''} onChange={setName} />
        <div className="field">
          <label htmlFor="schedule-kind">Repeat</label>
          <select id="schedule-kind" value={kind} onChange={(e) => setKind(e.target.value as 'every' | 'cron')}>
            <option value="every">Every N minutes</option>
            <option value="cron">Cron expression</option>
          </select>
        </div>
        {kind === 'every' ? (
          <div className="field">
            <label htmlFor="schedule-minutes">Minutes</label>
            <input id="schedule-minutes" type="number" min={1} value={minutes} onChange={(e) => setMinutes(e.target.value)} />
          </div>
        ) : (
          <>
            <div className="field">
              <label htmlFor="schedule-cron">Cron</label>
              <input id="schedule-cron" value={cron} onChange={(e) => setCron(e.target.value)} className="mono" />
            </div>
            <div className="field">
              <label htmlFor="schedule-tz">Time zone</label>
              <input id="schedule-tz" value={timezone} onChange={(e) => setTimezone(e.target.value)} />
            </div>
          </>
        )}
      </div>
      {agent && <AgentForm key={agent.name} agent={agent} submitLabel="Create schedule" onSubmit={create} />}
      {msg && (
        <p role="status" className="muted">
          {msg}
        </p>
      )}
    </div>
  );
}
