/**
 * A task's output, readably: each built-in agent's output through its own view (the registry
 * in outputs/registry.ts, by agent name), anything else (a plugin agent) as a key/value view.
 * The raw JSON stays one click away (TaskView).
 */
import { humanize, isRecord, num } from '../format.ts';
import { outputViews } from '../outputs/registry.ts';
import { EstimatorView } from '../outputs/Estimator.tsx';

export function OutputView(props: { agent: string; output: unknown }) {
  return (
    <>
      <TemplateNotes output={props.output} />
      <OutputBody {...props} />
    </>
  );
}

/**
 * Where a language step's text came from its template instead of a model (`*Model` is
 * "offline" or "template", `*Fallback` says why): shown here, for the team, never in the
 * text a customer reads.
 */
function TemplateNotes({ output }: { output: unknown }) {
  if (!isRecord(output)) return null;
  const notes = Object.entries(output)
    .filter(([k, v]) => /(^m|M)odel$/.test(k) && (v === 'offline' || v === 'template'))
    .map(([k]) => {
      const field = k === 'model' ? 'text' : k.replace(/Model$/, '');
      const fallback = output[k === 'model' ? 'fallback' : `${field}Fallback`];
      const why =
        isRecord(fallback) && typeof fallback.code === 'string'
          ? `the model gave no usable answer (${fallback.code})`
          : 'no language model is configured';
      return `${humanize(field)}: written from the template — ${why}.`;
    });
  if (!notes.length) return null;
  return (
    <ul className="template-notes" aria-label="Template notes">
      {notes.map((n) => (
        <li key={n}>{n}</li>
      ))}
    </ul>
  );
}

function OutputBody({ agent, output }: { agent: string; output: unknown }) {
  const View = isRecord(output) ? outputViews[agent] : undefined;
  if (View && isRecord(output)) return <View output={output} nested={(a, o) => <OutputBody agent={a} output={o} />} />;
  // A plugin agent's estimate-shaped output still reads as an estimate.
  if (isRecord(output) && Array.isArray(output.lineItems) && isRecord(output.totals))
    return <EstimatorView output={output} nested={() => null} />;
  return <KeyValue value={output} />;
}

function MatrixView({ rows, caption }: { rows: Record<string, unknown>[]; caption: string }) {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return (
    <div className="table-wrap">
      <table className="matrix">
        <caption>{caption}</caption>
        <thead>
          <tr>
            {cols.map((c) => (
              <th key={c} scope="col">
                {humanize(c)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {cols.map((c, j) =>
                j === 0 ? (
                  <th key={c} scope="row">
                    {cell(r[c])}
                  </th>
                ) : (
                  <td key={c} className={typeof r[c] === 'number' ? 'num' : undefined}>
                    {cell(r[c])}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const cell = (v: unknown): string =>
  v === undefined || v === null
    ? '—'
    : typeof v === 'number'
      ? num(v)
      : typeof v === 'boolean'
        ? v
          ? 'yes'
          : 'no'
        : typeof v === 'object'
          ? Array.isArray(v)
            ? v.map(cell).join(', ')
            : Object.entries(v as Record<string, unknown>)
                .map(([k, x]) => `${humanize(k)}: ${cell(x)}`)
                .join(' · ')
          : String(v);

/** Generic output: a definition list, nested records indented, arrays of scalars inline. */
export function KeyValue({ value }: { value: unknown }) {
  if (!isRecord(value)) {
    if (Array.isArray(value) && value.every(isRecord) && value.length) return <MatrixView rows={value} caption="Items" />;
    return <p className="mono">{cell(value)}</p>;
  }
  return (
    <dl className="kv">
      {Object.entries(value).map(([k, v]) => (
        <div key={k}>
          <dt>{humanize(k)}</dt>
          <dd>
            {isRecord(v) || (Array.isArray(v) && v.some((x) => typeof x === 'object')) ? (
              <KeyValue value={v} />
            ) : Array.isArray(v) ? (
              v.map(cell).join(', ')
            ) : (
              cell(v)
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}
