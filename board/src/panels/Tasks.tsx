/** Tasks list: filter by agent and status, search, cursor pagination, cancel and run again. */
import { useState } from 'react';
import { api, TASK_STATUSES, TERMINAL, type Task } from '../api.ts';
import { useAgents, useInterval, useLoad, useRunAgain } from '../hooks.ts';
import { linkProps, navigate } from '../router.ts';
import { duration, short, when } from '../format.ts';
import { AgentSelect, ErrorBox, Loading, StatusBadge } from '../components/common.tsx';

const PAGE = 20;

export function Tasks() {
  const agents = useAgents();
  const [agent, setAgent] = useState('');
  const [status, setStatus] = useState('');
  const [search, setSearch] = useState('');
  // Cursors of the pages before this one; the last is this page's cursor.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors.at(-1);
  const page = useLoad(
    () => api.tasks({ agent: agent || undefined, status: status || undefined, limit: PAGE, cursor }),
    [agent, status, cursor],
  );
  const [msg, setMsg] = useState('');
  const again = useRunAgain();
  useInterval(page.reload, 5000);

  const filterChanged = (fn: () => void) => {
    fn();
    setCursors([undefined]);
  };

  const q = search.trim().toLowerCase();
  const rows = (page.data?.tasks ?? []).filter(
    (t) => !q || `${t.id} ${t.agent} ${t.status} ${JSON.stringify(t.input)}`.toLowerCase().includes(q),
  );

  const cancel = async (t: Task) => {
    try {
      await api.cancel(t.id);
      setMsg(`Cancelled ${short(t.id)}.`);
      page.reload();
    } catch (e) {
      setMsg((e as Error).message);
    }
  };
  const retry = async (t: Task) => {
    try {
      const n = await again.runAgain(t);
      navigate(`/tasks/${n.id}`);
    } catch (e) {
      setMsg((e as Error).message);
    }
  };

  return (
    <section aria-labelledby="tasks-title">
      <h1 id="tasks-title">Tasks</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <AgentSelect
          id="filter-agent"
          agents={agents.data}
          value={agent}
          onChange={(v) => filterChanged(() => setAgent(v))}
          anyLabel="All agents"
        />
        <div className="field">
          <label htmlFor="filter-status">Status</label>
          <select id="filter-status" value={status} onChange={(e) => filterChanged(() => setStatus(e.target.value))}>
            <option value="">Any status</option>
            {TASK_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </div>
        <div className="field grow">
          <label htmlFor="filter-search">Search this page</label>
          <input
            id="filter-search"
            type="search"
            value={search}
            placeholder="id, agent, input…"
            onChange={(e) => setSearch(e.target.value)}
          />
        </div>
      </form>
      {msg && (
        <p role="status" className="muted">
          {msg}
        </p>
      )}
      <ErrorBox error={page.error} what="Tasks" />
      {page.loading && !page.data && <Loading what="tasks" />}
      {page.data && (
        <div className="table-wrap card">
          <table className="tasks-table">
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">Agent</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Took</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.length === 0 && (
                <tr>
                  <td colSpan={6} className="muted">
                    No tasks match.
                  </td>
                </tr>
              )}
              {rows.map((t) => (
                <tr key={t.id} data-task-id={t.id}>
                  <td>
                    <a className="mono" {...linkProps(`/tasks/${t.id}`)}>
                      {short(t.id)}
                    </a>
                  </td>
                  <td>{t.agent}</td>
                  <td>
                    <StatusBadge status={t.status} />
                    {t.progress && !TERMINAL.includes(t.status) ? <span className="muted"> {Math.round(t.progress.pct)}%</span> : null}
                  </td>
                  <td>{when(t.createdAt)}</td>
                  <td>{duration(t.startedAt, t.finishedAt)}</td>
                  <td className="row-actions">
                    {TERMINAL.includes(t.status) ? (
                      <button
                        type="button"
                        className="link"
                        onClick={() => retry(t)}
                        disabled={again.running(t.id)}
                        aria-label={`Run task ${short(t.id)} again`}
                      >
                        Run again
                      </button>
                    ) : (
                      <button type="button" className="link" onClick={() => cancel(t)} aria-label={`Cancel task ${short(t.id)}`}>
                        Cancel
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav className="pager" aria-label="Pages">
        <button type="button" className="secondary" disabled={cursors.length < 2} onClick={() => setCursors((c) => c.slice(0, -1))}>
          ← Newer
        </button>
        <span className="muted">Page {cursors.length}</span>
        <button
          type="button"
          className="secondary"
          disabled={!page.data?.nextCursor}
          onClick={() => page.data?.nextCursor && setCursors((c) => [...c, page.data?.nextCursor ?? undefined])}
        >
          Older →
        </button>
      </nav>
    </section>
  );
}
