/** What the autonomous runs found (digests), and a customer's audit trail: everything done to them. */
import { useState } from 'react';
import { api } from '../api.ts';
import { useLoad } from '../hooks.ts';
import { linkProps } from '../router.ts';
import { short, when } from '../format.ts';
import { AuditTrail } from '../components/AuditTrail.tsx';
import { ErrorBox, Loading } from '../components/common.tsx';

export function Digests() {
  const list = useLoad(() => api.digests(), []);
  return (
    <section aria-labelledby="digests-title">
      <h1 id="digests-title">Digests</h1>
      <p className="muted">What each autonomous run found, as its owner was told (emailed after approval when an owner email is set).</p>
      <ErrorBox error={list.error} what="Digests" />
      {list.loading && !list.data && <Loading what="digests" />}
      {list.data && list.data.length === 0 && <p className="muted">No autonomous run has reported yet.</p>}
      <ul className="cards">
        {(list.data ?? []).map((d) => (
          <li key={d.id} className="card digest" data-agent={d.agent}>
            <h2>{d.title}</h2>
            <p>{d.body}</p>
            {d.facts.length > 0 && (
              <ul>
                {d.facts.map((f, i) => (
                  <li key={i}>{f}</li>
                ))}
              </ul>
            )}
            <p className="muted">
              {when(d.createdAt)} · {d.agent}
              {d.taskId && (
                <>
                  {' '}
                  · <a {...linkProps(`/tasks/${d.taskId}`)}>task {short(d.taskId)}</a>
                </>
              )}{' '}
              · {d.emailedTo ? `emailed to ${d.emailedTo}` : 'not emailed'}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function CustomerTrail() {
  const [q, setQ] = useState('');
  const [picked, setPicked] = useState<string | undefined>();
  const found = useLoad(() => (q.trim() ? api.customers(q.trim()) : Promise.resolve([])), [q]);
  const trail = useLoad(() => (picked ? api.customerAudit(picked) : Promise.resolve(undefined)), [picked]);
  return (
    <section aria-labelledby="trail-title">
      <h1 id="trail-title">Customer trail</h1>
      <div className="field">
        <label htmlFor="trail-q">Find a customer</label>
        <input id="trail-q" value={q} onChange={(e) => setQ(e.target.value)} placeholder="name, email or phone" />
      </div>
      <ul className="cards">
        {(found.data ?? []).map((c) => (
          <li key={c.id}>
            <button type="button" className="link" aria-pressed={picked === c.id} onClick={() => setPicked(c.id)}>
              {c.name} {c.email ? `<${c.email}>` : ''}
            </button>
          </li>
        ))}
      </ul>
      <ErrorBox error={trail.error} what="The customer's trail" />
      {picked && trail.data && (
        <div className="card">
          <h2>Everything done to this customer</h2>
          <AuditTrail events={trail.data} />
        </div>
      )}
    </section>
  );
}
