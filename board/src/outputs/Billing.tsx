/** billing: totals, each invoice with its balance and payment link (or why it has none), reminders as the customer reads them. */
import { humanize, money, when } from '../format.ts';
import { Email, list, rec, Section, Table, type OutputProps } from './parts.tsx';

interface Invoice {
  estimateId: string;
  amountUsd: number;
  paidUsd: number;
  balanceUsd: number;
  status: string;
  dueAt: string;
  checkoutUrl?: string;
}

export function BillingView({ output }: OutputProps) {
  const totals = rec(output.totals);
  const invoices = list<Invoice>(output.invoices);
  const reminders = list<{ estimateId: string; stage: string; daysOverdue: number; text: string }>(output.reminders);
  const unmatched = list<{ id: string; amountUsd: number }>(output.unmatchedPayments);
  const skipped = new Map(list<{ estimateId: string; reason: string }>(output.skippedLinks).map((s) => [s.estimateId, s.reason]));
  return (
    <div className="billing">
      <ul className="stat-tiles" aria-label="Billing totals">
        <li>
          <strong>{money(totals.invoicedUsd)}</strong> <span>Invoiced</span>
        </li>
        <li>
          <strong>{money(totals.collectedUsd)}</strong> <span>Collected</span>
        </li>
        <li>
          <strong>{money(totals.outstandingUsd)}</strong> <span>Outstanding</span>
        </li>
      </ul>
      {invoices.length === 0 ? (
        <p className="muted">No accepted estimates to invoice.</p>
      ) : (
        <Table caption="Invoices" head={['Estimate', 'Status', 'Amount', 'Paid', 'Balance', 'Due', 'Payment link']}>
          {invoices.map((i) => (
            <tr key={i.estimateId}>
              <td className="mono">{i.estimateId.slice(0, 8)}</td>
              <td>{humanize(i.status)}</td>
              <td className="num">{money(i.amountUsd)}</td>
              <td className="num">{money(i.paidUsd)}</td>
              <td className="num">{money(i.balanceUsd)}</td>
              <td>{when(i.dueAt)}</td>
              <td>
                {i.checkoutUrl ? (
                  <a href={i.checkoutUrl} target="_blank" rel="noreferrer">
                    Pay link
                  </a>
                ) : skipped.has(i.estimateId) ? (
                  <span className="muted">No link: {skipped.get(i.estimateId)}</span>
                ) : (
                  '—'
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
      {reminders.length > 0 && (
        <Section title="Reminders">
          {reminders.map((r) => (
            <Email
              key={`${r.estimateId}-${r.stage}`}
              subject={`${humanize(r.stage)} reminder — ${r.daysOverdue} ${r.daysOverdue === 1 ? 'day' : 'days'} overdue`}
              body={r.text}
              note={`Estimate ${r.estimateId.slice(0, 8)}`}
            />
          ))}
        </Section>
      )}
      {unmatched.length > 0 && (
        <p className="muted">Payments matching no estimate: {unmatched.map((u) => `${u.id} (${money(u.amountUsd)})`).join(', ')}</p>
      )}
    </div>
  );
}
