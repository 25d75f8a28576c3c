/** Revenue dashboard: revenue over time, pipeline by stage, conversion; endpoint availability. */
import { Bar, Line } from 'react-chartjs-2';
import { registerCharts } from '../charts.ts';
import { api } from '../api.ts';
import { useLoad } from '../hooks.ts';
import { humanize, money, num } from '../format.ts';
import { readAvailability, readDashboard, type Series } from '../revenueData.ts';
import { ErrorBox, Loading, RawJson } from '../components/common.tsx';
import { KeyValue } from '../components/OutputView.tsx';

const BLUE = '#1d4ed8';
const TEAL = '#0f766e';
const seriesName = (k: string): string => humanize(k).replace(/ usd$/i, ' ($)');

function SeriesChart({ s, kind, title }: { s: Series; kind: 'line' | 'bar'; title: string }) {
  const data = {
    labels: s.labels.map((l) => (/^[a-z]+[A-Z_]/.test(l) || l.includes('_') ? humanize(l) : l)),
    datasets: [
      {
        label: seriesName(s.label),
        data: s.values,
        borderColor: BLUE,
        backgroundColor: kind === 'line' ? 'rgba(29,78,216,.15)' : BLUE,
        fill: kind === 'line',
        tension: 0.25,
      },
      ...(s.values2
        ? [{ label: seriesName(s.label2 ?? ''), data: s.values2, borderColor: TEAL, backgroundColor: TEAL, yAxisID: 'y2' }]
        : []),
    ],
  };
  const options = {
    responsive: true,
    maintainAspectRatio: false,
    plugins: { legend: { display: !!s.values2 }, title: { display: false, text: title } },
    scales: {
      y: { beginAtZero: true },
      ...(s.values2 ? { y2: { beginAtZero: true, position: 'right' as const, grid: { drawOnChartArea: false } } } : {}),
    },
  };
  const summary = s.labels.map((l, i) => `${l}: ${num(s.values[i])}`).join(', ');
  return (
    <figure className="chart" aria-label={`${title}: ${summary}`}>
      <div className="chart-box">{kind === 'line' ? <Line data={data} options={options} /> : <Bar data={data} options={options} />}</div>
      <figcaption>{title}</figcaption>
    </figure>
  );
}

export function Revenue() {
  registerCharts();
  const dash = useLoad(() => api.revenueDashboard(), []);
  // Revenue by month lives in the revenue summary; the dashboard is optional without it.
  const summary = useLoad(() => api.revenueSummary().catch(() => undefined), []);
  const avail = useLoad(() => api.testRevenue(), []);
  const d = dash.data ? readDashboard(dash.data, summary.data) : undefined;
  const a = avail.data ? readAvailability(avail.data) : undefined;

  return (
    <section aria-labelledby="revenue-title">
      <h1 id="revenue-title">Revenue</h1>
      <ErrorBox error={dash.error} what="The revenue dashboard" />
      {dash.loading && !dash.data && <Loading what="the dashboard" />}
      {d && (
        <>
          {d.kpis.length > 0 && (
            <ul className="kpis" aria-label="Key figures">
              {d.kpis.map((k) => (
                <li key={k.label}>
                  <span className="kpi-label">{k.label}</span>
                  <strong>{k.kind === 'money' ? money(k.value) : k.kind === 'percent' ? `${num(k.value * 100)}%` : num(k.value)}</strong>
                </li>
              ))}
            </ul>
          )}
          <div className="charts">
            {d.revenue ? (
              <SeriesChart s={d.revenue} kind={d.revenue.labels.length > 1 ? 'line' : 'bar'} title="Revenue over time" />
            ) : (
              <p className="muted card">No revenue series yet.</p>
            )}
            {d.pipeline ? (
              <SeriesChart s={d.pipeline} kind="bar" title="Pipeline by stage" />
            ) : (
              <p className="muted card">No pipeline yet.</p>
            )}
            {d.conversion ? (
              <SeriesChart s={d.conversion} kind="bar" title="Conversion (%)" />
            ) : (
              <p className="muted card">No conversion figures yet.</p>
            )}
          </div>
          <RawJson value={dash.data} label="Dashboard JSON" />
        </>
      )}

      <div className="card">
        <h2>Revenue endpoints</h2>
        <ErrorBox error={avail.error} what="The revenue self-test" />
        {avail.loading && !avail.data && <Loading what="the self-test" />}
        {a && (
          <>
            <p className={`availability ${a.operational === a.total ? 'all-ok' : 'some-down'}`} role="status">
              <strong>
                {a.operational}/{a.total}
              </strong>{' '}
              operational
            </p>
            <ul className="endpoints">
              {a.endpoints.map((e) => (
                <li key={`${e.name}-${e.route}`} className={e.ok ? 'ok' : 'down'}>
                  <span aria-hidden="true">{e.ok ? '✓' : '✗'}</span>
                  <span className="sr-only">{e.ok ? 'operational' : 'down'}</span> {humanize(e.name)} <code>{e.route}</code>
                  {e.detail && !e.ok && <span className="muted"> — {e.detail}</span>}
                </li>
              ))}
            </ul>
          </>
        )}
        {avail.data && !a && <KeyValue value={avail.data} />}
      </div>
    </section>
  );
}
