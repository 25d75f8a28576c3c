/** Memory browser: search long-term memories and see which task wrote each one. */
import { useState } from 'react';
import { api, ApiError, type Memory as MemoryHit } from '../api.ts';
import { useAgents } from '../hooks.ts';
import { linkProps } from '../router.ts';
import { num, short, when } from '../format.ts';
import { AgentSelect, ErrorBox } from '../components/common.tsx';

export function Memory() {
  const agents = useAgents();
  const [q, setQ] = useState('');
  const [agent, setAgent] = useState('');
  const [results, setResults] = useState<MemoryHit[] | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(false);

  const search = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!q.trim()) return;
    setBusy(true);
    setError(undefined);
    try {
      const hits = await api.memorySearch(q.trim(), agent || undefined);
      // Search hits do not say which task wrote them; the memory record does.
      const records = await Promise.all(hits.map((h) => (h.sourceTaskId !== undefined ? h : api.memory(h.id).catch(() => h))));
      setResults(hits.map((h, i) => ({ ...h, sourceTaskId: records[i]?.sourceTaskId ?? null })));
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'CLIENT', String(err)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="memory-title">
      <h1 id="memory-title">Memory</h1>
      <form className="filters" role="search" onSubmit={search}>
        <div className="field grow">
          <label htmlFor="memory-q">Search memories</label>
          <input
            id="memory-q"
            type="search"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            placeholder="e.g. metal roof price objections"
          />
        </div>
        <AgentSelect id="memory-agent" agents={agents.data} value={agent} onChange={setAgent} anyLabel="Any agent" />
        <div className="field">
          <button type="submit" disabled={busy || !q.trim()}>
            {busy ? 'Searching…' : 'Search'}
          </button>
        </div>
      </form>
      <ErrorBox error={error} what="Memory search" />
      <div aria-live="polite">
        {results && (
          <p className="muted">
            {results.length === 0 ? 'No memories match.' : `${results.length} ${results.length === 1 ? 'memory' : 'memories'}`}
          </p>
        )}
      </div>
      <ul className="cards memories">
        {(results ?? []).map((m) => (
          <li key={m.id} className="card memory">
            <p>{m.content}</p>
            <dl className="facts">
              <div>
                <dt>Agent</dt>
                <dd>{m.agent ?? '—'}</dd>
              </div>
              {m.kind && (
                <div>
                  <dt>Kind</dt>
                  <dd>{m.kind}</dd>
                </div>
              )}
              <div>
                <dt>Written by</dt>
                <dd>
                  {m.sourceTaskId ? (
                    <a className="mono" {...linkProps(`/tasks/${m.sourceTaskId}`)}>
                      task {short(m.sourceTaskId)}
                    </a>
                  ) : (
                    'an operator / API'
                  )}
                </dd>
              </div>
              <div>
                <dt>Score</dt>
                <dd>{num(m.score)}</dd>
              </div>
              <div>
                <dt>Saved</dt>
                <dd>{when(m.createdAt)}</dd>
              </div>
            </dl>
          </li>
        ))}
      </ul>
    </section>
  );
}
