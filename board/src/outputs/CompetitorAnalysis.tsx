/** competitor-analysis: the narrative, threats and opportunities with reasons, price index and positioning. */
import { money, num } from '../format.ts';
import { list, rec, Section, Table, type OutputProps } from './parts.tsx';

interface Finding {
  kind: string;
  title: string;
  competitor: string | null;
  score: number;
  reasons: string[];
}

export function CompetitorAnalysisView({ output }: OutputProps) {
  const prices = list<Record<string, number | string | null>>(output.priceIndex);
  const positions = list<Record<string, number | string | null>>(output.positioning);
  const changes = output.changes ? rec(output.changes) : undefined;
  return (
    <div className="competitors">
      <p className="muted">
        {String(output.market ?? '')} · {num(output.competitors)} {output.competitors === 1 ? 'competitor' : 'competitors'}
      </p>
      {typeof output.narrative === 'string' && <p className="summary">{output.narrative}</p>}
      <Findings title="Threats" items={list<Finding>(output.threats)} />
      <Findings title="Opportunities" items={list<Finding>(output.opportunities)} />
      {prices.length > 0 && (
        <Table caption="Price index (USD per square)" head={['Material', 'Ours', 'Market median', 'Range', 'Index', 'Competitors']}>
          {prices.map((p) => (
            <tr key={String(p.material)}>
              <th scope="row">{String(p.material).replace(/_/g, ' ')}</th>
              <td className="num">{money(p.ourPrice)}</td>
              <td className="num">{money(p.marketMedian)}</td>
              <td className="num">
                {money(p.marketMin)}–{money(p.marketMax)}
              </td>
              <td className="num">{num(p.index)}</td>
              <td className="num">{num(p.competitors)}</td>
            </tr>
          ))}
        </Table>
      )}
      {positions.length > 0 && (
        <Table caption="Positioning" head={['Name', 'Price index', 'Rating', 'Reviews', 'Coverage', 'Service overlap', 'Quadrant']}>
          {positions.map((p) => (
            <tr key={String(p.name)}>
              <th scope="row">{String(p.name)}</th>
              <td className="num">{num(p.priceIndex)}</td>
              <td className="num">{num(p.rating)}</td>
              <td className="num">{num(p.reviews)}</td>
              <td className="num">{num(p.coverage)}</td>
              <td className="num">{num(p.serviceOverlap)}</td>
              <td>{String(p.quadrant ?? '—')}</td>
            </tr>
          ))}
        </Table>
      )}
      {changes && (
        <p className="muted">
          Since {String(changes.previousAt)}: new {list<string>(changes.newCompetitors).join(', ') || 'none'}; gone{' '}
          {list<string>(changes.removedCompetitors).join(', ') || 'none'}.
        </p>
      )}
    </div>
  );
}

function Findings({ title, items }: { title: string; items: Finding[] }) {
  if (!items.length) return null;
  return (
    <Section title={title}>
      <ol>
        {items.map((f, i) => (
          <li key={i}>
            <strong>{f.title}</strong> <span className="muted">(score {num(f.score)})</span>
            <ul className="reasons">
              {f.reasons.map((r, j) => (
                <li key={j}>{r}</li>
              ))}
            </ul>
          </li>
        ))}
      </ol>
    </Section>
  );
}
