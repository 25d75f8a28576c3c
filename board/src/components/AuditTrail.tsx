/** The audit trail of a task or a customer: who or what did what, to what, and when. */
import type { AuditEvent } from '../api.ts';
import { humanize, money, when } from '../format.ts';

/** The details worth a glance (the rest is in the raw row). */
function gist(e: AuditEvent): string {
  const d = e.details;
  const parts: string[] = [];
  if (typeof d.outcome === 'string' && d.outcome === 'failed') parts.push('failed');
  for (const k of ['subject', 'from', 'to', 'status', 'title', 'url', 'mode'])
    if (typeof d[k] === 'string') parts.push(`${humanize(k)}: ${d[k] as string}`);
  for (const k of ['amountUsd', 'dailyBudgetUsd', 'totalUsd']) if (typeof d[k] === 'number') parts.push(`${humanize(k)}: ${money(d[k])}`);
  return parts.join(' · ');
}

const actorOf = (a: AuditEvent['actor']): string =>
  a.type === 'task' ? `task ${a.id.slice(0, 8)}` : a.type === 'api_key' ? 'a person (API key)' : `${a.type} ${a.id}`;

export function AuditTrail({ events }: { events: AuditEvent[] }) {
  if (events.length === 0) return <p className="muted">Nothing recorded yet.</p>;
  return (
    <ol className="audit-trail" aria-label="Audit trail">
      {events.map((e) => (
        <li key={e.id} data-action={e.action}>
          <span className="mono muted">{when(e.at)}</span> <strong>{e.action}</strong> <span className="mono">{e.subject}</span>{' '}
          <span className="muted">by {actorOf(e.actor)}</span>
          {gist(e) && <div className="muted">{gist(e)}</div>}
        </li>
      ))}
    </ol>
  );
}
