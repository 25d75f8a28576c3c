/** revenue-analyst: the weekly trend as a chart (anomalies marked), the report, recommendations. */
import { Line } from 'react-chartjs-2';
import { registerCharts } from '../charts.ts';
import { money } from '../format.ts';
import { list, pct, rec, Section, Table, type OutputProps } from './parts.tsx';

interface Week {
  weekStart: string;
  revenueUsd: number;
}

export function RevenueAnalystView({ output }: OutputProps) {
  registerCharts();
  const weeks = list<Week>(output.weeks);
  const trend = rec(output.trend);
  const anomalies = list<Week & { z: number; kind: string }>(output.anomalies);
  const flagged = new Map(anomalies.map((a) => [a.weekStart, a.kind]));
  const arrow = trend.direction === 'up' ? '↑' : trend.direction === 'down' ? '↓' : '→';
  const data = {
    labels: weeks.map((w) => w.weekStart),
    datasets: [
      {
        label: 'Revenue ($/week)',
        data: weeks.map((w) => w.revenueUsd),
        borderColor: '#1d4ed8',
        backgroundColor: 'rgba(29,78,216,.15)',
        fill: true,
        tension: 0.25,
        pointRadius: weeks.map((w) => (flagged.has(w.weekStart) ? 6 : 2)),
        pointBackgroundColor: weeks.map((w) =>
          flagged.get(w.weekStart) === 'drop' ? '#b91c1c' : flagged.has(w.weekStart) ? '#15803d' : '#1d4ed8',
        ),
      },
    ],
  };
  const options = {
    responsive: true,
    maintainAspectRatio: false,
    plugins: { legend: { display: false } },
    scales: { y: { beginAtZero: true } },
  };
  return (
    <div className="revenue-report">
      <p className="trend" data-direction={String(trend.direction)}>
        <strong>
          {arrow} Trend {String(trend.direction)}
        </strong>{' '}
        · last week {money(trend.lastWeekUsd)} vs {money(trend.previousWeekUsd)} ({pct(trend.weekOverWeekPct)}) · slope{' '}
        {money(trend.slopePerWeekUsd)}/week
      </p>
      <figure className="chart" aria-label={`Weekly revenue: ${weeks.map((w) => `${w.weekStart}: ${money(w.revenueUsd)}`).join(', ')}`}>
        <div className="chart-box">
          <Line data={data} options={options} />
        </div>
        <figcaption>Weekly revenue{anomalies.length ? ' (large dots: anomalies)' : ''}</figcaption>
      </figure>
      {typeof output.report === 'string' && <pre className="report">{output.report}</pre>}
      {list<string>(output.recommendations).length > 0 && (
        <Section title="Recommendations">
          <ul>
            {list<string>(output.recommendations).map((r, i) => (
              <li key={i}>{r}</li>
            ))}
          </ul>
        </Section>
      )}
      {anomalies.length > 0 && (
        <Table caption="Anomalies" head={['Week', 'Revenue', 'Kind', 'Score']}>
          {anomalies.map((a) => (
            <tr key={a.weekStart}>
              <td>{a.weekStart}</td>
              <td className="num">{money(a.revenueUsd)}</td>
              <td>{a.kind}</td>
              <td className="num">{a.z.toFixed(1)}</td>
            </tr>
          ))}
        </Table>
      )}
      {typeof output.anomalyRule === 'string' && <p className="muted">{output.anomalyRule}</p>}
    </div>
  );
}
