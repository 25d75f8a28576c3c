/** ad-manager: the budget plan next to today's budgets, the comparison and the ad copy. */
import { money, num } from '../format.ts';
import { list, rec, Section, Table, type OutputProps } from './parts.tsx';

interface Allocation {
  id: string;
  name: string;
  dailyBudgetUsd: number;
  previousDailyBudgetUsd: number;
  roas: number;
  expectedRevenueUsd: number;
  bound: string;
}

export function AdManagerView({ output }: OutputProps) {
  const rows = list<Allocation>(output.allocations);
  const sq = rec(output.statusQuo);
  return (
    <div className="ad-plan">
      {typeof output.comparison === 'string' && <p className="summary">{output.comparison}</p>}
      <Table caption="Daily budgets: today → plan" head={['Campaign', 'Today', 'Plan', 'Change', 'ROAS', 'Expected revenue']}>
        {rows.map((a) => (
          <tr key={a.id}>
            <th scope="row">{a.name}</th>
            <td className="num">{money(a.previousDailyBudgetUsd)}</td>
            <td className="num">{money(a.dailyBudgetUsd)}</td>
            <td className="num">{signed(a.dailyBudgetUsd - a.previousDailyBudgetUsd)}</td>
            <td className="num">{num(a.roas)}</td>
            <td className="num">{money(a.expectedRevenueUsd)}</td>
          </tr>
        ))}
        <tr className="grand">
          <th scope="row">Total</th>
          <td className="num">{money(sq.dailyBudgetUsd)}</td>
          <td className="num">{money(output.allocatedUsd)}</td>
          <td className="num">
            {typeof sq.dailyBudgetUsd === 'number' && typeof output.allocatedUsd === 'number'
              ? signed(output.allocatedUsd - sq.dailyBudgetUsd)
              : '—'}
          </td>
          <td />
          <td className="num">
            {money(output.expectedRevenueUsd)} <span className="muted">({signed(output.revenueChangeUsd)} vs today)</span>
          </td>
        </tr>
      </Table>
      <p className="muted">
        {output.keptStatusQuo === true ? "Kept today's budgets. " : ''}
        Unallocated {money(output.unallocatedUsd)} · {typeof output.rule === 'string' ? output.rule : ''}
      </p>
      {list<string>(output.copy).length > 0 && (
        <Section title="Ad copy">
          <ul>
            {list<string>(output.copy).map((c, i) => (
              <li key={i}>{c}</li>
            ))}
          </ul>
        </Section>
      )}
    </div>
  );
}

const signed = (n: unknown): string => (typeof n !== 'number' ? '—' : n > 0 ? `+${money(n)}` : n < 0 ? `−${money(-n)}` : money(0));
