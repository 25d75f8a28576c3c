/** email-outreach: the drafts as emails, then who was sent, deferred or left out and why. */
import { humanize, num, when } from '../format.ts';
import { Email, list, Section, Table, type OutputProps } from './parts.tsx';

export function EmailOutreachView({ output }: OutputProps) {
  const drafts = list<{ contactId: string; subject: string; body: string }>(output.drafts);
  const sent = list<{ contactId: string; email: string }>(output.sent);
  const deferred = list<{ contactId: string; email: string; sendAfter: string }>(output.deferred);
  const excluded = list<{ id: string; reason: string }>(output.excluded);
  const to = new Map([...sent, ...deferred].map((s) => [s.contactId, s.email]));
  return (
    <div className="outreach">
      <p className="summary">
        {humanize(String(output.status ?? ''))} · audience {num(output.audience)} · sent {sent.length} · deferred {deferred.length} · left
        out {excluded.length}
      </p>
      {typeof output.approvalNote === 'string' && <p className="muted">Approval note: {output.approvalNote}</p>}
      {drafts.length > 0 && (
        <Section title="Drafts">
          {drafts.map((d) => (
            <Email key={d.contactId} to={to.get(d.contactId) ?? d.contactId} subject={d.subject} body={d.body} />
          ))}
        </Section>
      )}
      {deferred.length > 0 && (
        <Table caption="Deferred (quiet hours)" head={['To', 'Sends after']}>
          {deferred.map((d) => (
            <tr key={d.contactId}>
              <td>{d.email}</td>
              <td>{when(d.sendAfter)}</td>
            </tr>
          ))}
        </Table>
      )}
      {excluded.length > 0 && (
        <Table caption="Left out" head={['Contact', 'Why']}>
          {excluded.map((e) => (
            <tr key={e.id}>
              <td className="mono">{e.id}</td>
              <td>{humanize(e.reason)}</td>
            </tr>
          ))}
        </Table>
      )}
    </div>
  );
}
