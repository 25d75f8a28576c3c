/** Approvals inbox: what waiting tasks want to do, approve or reject with a note. */
import { useState } from 'react';
import { api, type Approval, type ApprovalContent } from '../api.ts';
import { useInterval, useLoad } from '../hooks.ts';
import { linkProps } from '../router.ts';
import { humanize, isRecord, money, short, when } from '../format.ts';
import { ErrorBox, Loading, RawJson } from '../components/common.tsx';

export function Approvals({ onDecided }: { onDecided: () => void }) {
  const [status, setStatus] = useState('pending');
  const list = useLoad(() => api.approvals(status || undefined), [status]);
  useInterval(list.reload, 5000);

  return (
    <section aria-labelledby="approvals-title">
      <h1 id="approvals-title">Approvals</h1>
      <div className="filters">
        <div className="field">
          <label htmlFor="approval-status">Show</label>
          <select id="approval-status" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="pending">Pending</option>
            <option value="approved">Approved</option>
            <option value="rejected">Rejected</option>
            <option value="expired">Expired</option>
            <option value="auto_approved">Auto-approved</option>
            <option value="">All</option>
          </select>
        </div>
      </div>
      <ErrorBox error={list.error} what="Approvals" />
      {list.loading && !list.data && <Loading what="approvals" />}
      {list.data && list.data.length === 0 && <p className="muted">Nothing is waiting for a decision.</p>}
      <ul className="cards">
        {(list.data ?? []).map((a) => (
          <ApprovalCard
            key={a.id}
            approval={a}
            onDecided={() => {
              list.reload();
              onDecided();
            }}
          />
        ))}
      </ul>
    </section>
  );
}

/** The approval's request fields, wherever the server nests them. */
function requestOf(a: Approval): Record<string, unknown> {
  const nested = [a.request, a.payload, a.details].find(isRecord);
  return { ...(nested ?? {}), ...a };
}

function ApprovalCard({ approval, onDecided }: { approval: Approval; onDecided: () => void }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState('');
  const r = requestOf(approval);
  const pending = !approval.status || approval.status === 'pending';
  const recipients = Array.isArray(r.recipients) ? (r.recipients as unknown[]).map(String) : [];
  const noteId = `note-${approval.id}`;

  const decide = async (decision: 'approve' | 'reject') => {
    setBusy(true);
    try {
      await api.decide(approval.id, decision, note.trim() || undefined);
      setMsg(decision === 'approve' ? 'Approved: the task resumes.' : 'Rejected.');
      onDecided();
    } catch (e) {
      setMsg((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className="card approval" data-approval-id={approval.id}>
      <h2>{humanize(String(r.action ?? 'Action'))}</h2>
      {typeof r.summary === 'string' && <p>{r.summary}</p>}
      <dl className="facts">
        {typeof r.amountUsd === 'number' && (
          <div>
            <dt>Amount</dt>
            <dd>{money(r.amountUsd)}</dd>
          </div>
        )}
        {recipients.length > 0 && (
          <div>
            <dt>Recipients</dt>
            <dd>{recipients.join(', ')}</dd>
          </div>
        )}
        {typeof r.taskId === 'string' && (
          <div>
            <dt>Task</dt>
            <dd>
              <a className="mono" {...linkProps(`/tasks/${r.taskId}`)}>
                {String(r.agent ?? '')} {short(r.taskId)}
              </a>
            </dd>
          </div>
        )}
        <div>
          <dt>Requested</dt>
          <dd>{when(r.createdAt)}</dd>
        </div>
        {!pending && (
          <div>
            <dt>Decision</dt>
            <dd>
              {String(approval.status).replace(/_/g, ' ')}
              {approval.note ? ` — ${approval.note}` : ''}
            </dd>
          </div>
        )}
      </dl>
      {approval.content && <WhatIsApproved content={approval.content} />}
      {pending && (
        <div className="decision">
          <div className="field">
            <label htmlFor={noteId}>Note (optional)</label>
            <textarea id={noteId} rows={2} value={note} onChange={(e) => setNote(e.target.value)} />
          </div>
          <div className="actions">
            <button type="button" disabled={busy} onClick={() => decide('approve')}>
              Approve
            </button>
            <button type="button" className="danger" disabled={busy} onClick={() => decide('reject')}>
              Reject
            </button>
          </div>
        </div>
      )}
      {msg && (
        <p role="status" className="muted">
          {msg}
        </p>
      )}
      <RawJson value={approval} label="Details" />
    </li>
  );
}

/** Exactly what approving lets happen: every email in full, every amount, the page as it will read. */
function WhatIsApproved({ content }: { content: ApprovalContent }) {
  return (
    <div className="approval-content">
      {content.emails && content.emails.length > 0 && (
        <>
          <h3>
            {content.emails.length} email{content.emails.length > 1 ? 's' : ''} to send
          </h3>
          <ol className="emails">
            {content.emails.map((m, i) => (
              <li key={i} className="email">
                <div>
                  <strong>To:</strong> {m.to}
                </div>
                <div>
                  <strong>Subject:</strong> {m.subject}
                </div>
                <pre className="email-body">{m.body}</pre>
              </li>
            ))}
          </ol>
        </>
      )}
      {content.spend && content.spend.length > 0 && (
        <>
          <h3>Money to spend</h3>
          <table className="spend">
            <thead>
              <tr>
                <th scope="col">What</th>
                <th scope="col">Now</th>
                <th scope="col">After approval</th>
              </tr>
            </thead>
            <tbody>
              {content.spend.map((x, i) => (
                <tr key={i}>
                  <td>{x.description}</td>
                  <td>{x.previousUsd === undefined ? '—' : `${money(x.previousUsd)}${x.perDay ? '/day' : ''}`}</td>
                  <td>
                    {money(x.amountUsd)}
                    {x.perDay ? '/day' : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {content.page && (
        <>
          <h3>Page to publish{content.page.slug ? ` at /landing/${content.page.slug}` : ''}</h3>
          <div className="page-preview">
            <h4>{content.page.headline}</h4>
            <pre className="page-body">{content.page.body}</pre>
            <p>
              <strong>Button:</strong> {content.page.cta}
            </p>
          </div>
        </>
      )}
    </div>
  );
}
