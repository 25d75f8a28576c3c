/**
 * A task's output, readably: an estimate as a table with totals and its good/better/best
 * options, a competitor analysis as a matrix, anything else as a key/value view.
 */
import { humanize, isRecord, money, num } from '../format.ts';

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

function OutputBody({ output }: { agent: string; output: unknown }) {
  if (isRecord(output) && Array.isArray(output.lineItems) && isRecord(output.totals)) return <EstimateView output={output} />;
  const matrix = isRecord(output) ? findMatrix(output) : undefined;
  if (matrix) {
    const rest = Object.fromEntries(Object.entries(output as Record<string, unknown>).filter(([k]) => k !== matrix.key));
    return (
      <>
        <MatrixView rows={matrix.rows} caption={humanize(matrix.key)} />
        <KeyValue value={rest} />
      </>
    );
  }
  return <KeyValue value={output} />;
}

interface LineItem {
  description: string;
  quantity: number;
  unit: string;
  unitPrice: number;
  total: number;
}

function EstimateView({ output }: { output: Record<string, unknown> }) {
  const items = output.lineItems as LineItem[];
  const totals = output.totals as Record<string, number>;
  const options = Array.isArray(output.options) ? (output.options as Record<string, unknown>[]) : [];
  return (
    <div className="estimate">
      {typeof output.summary === 'string' && <p className="summary">{output.summary}</p>}
      <div className="table-wrap">
        <table className="estimate-table">
          <caption>
            Estimate{typeof output.squares === 'number' ? ` · ${num(output.squares)} squares` : ''}
            {typeof output.material === 'string' ? ` · ${output.material.replace(/_/g, ' ')}` : ''}
            {typeof output.region === 'string' ? ` · ${output.region}` : ''}
          </caption>
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col" className="num">
                Quantity
              </th>
              <th scope="col" className="num col-unit-price">
                Unit price
              </th>
              <th scope="col" className="num">
                Total
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((li, i) => (
              <tr key={i}>
                <td>{li.description}</td>
                <td className="num">
                  {num(li.quantity)} <span className="unit">{li.unit}</span>
                </td>
                <td className="num col-unit-price">{money(li.unitPrice)}</td>
                <td className="num">{money(li.total)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={2}>
                Subtotal
              </th>
              <td className="col-unit-price" />
              <td className="num">{money(totals.subtotal)}</td>
            </tr>
            <tr>
              <th scope="row" colSpan={2}>
                Tax
              </th>
              <td className="col-unit-price" />
              <td className="num">{money(totals.tax)}</td>
            </tr>
            <tr className="grand">
              <th scope="row" colSpan={2}>
                Total
              </th>
              <td className="col-unit-price" />
              <td className="num" data-testid="estimate-total">
                {money(totals.total)}
              </td>
            </tr>
          </tfoot>
        </table>
      </div>
      {options.length > 0 && (
        <ul className="options" aria-label="Options">
          {options.map((o) => (
            <li key={String(o.tier)} className={`option${o.selected ? ' selected' : ''}`}>
              <span className="tier">{String(o.tier)}</span>
              <span>{String(o.label ?? o.material ?? '')}</span>
              <strong>{money(o.total)}</strong>
              {typeof o.warrantyYears === 'number' && <span className="muted">{o.warrantyYears}-year warranty</span>}
              {o.selected === true && <span className="badge">quoted</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** An array of flat records (e.g. competitors × criteria) worth showing as a grid. */
function findMatrix(o: Record<string, unknown>): { key: string; rows: Record<string, unknown>[] } | undefined {
  const preferred = ['matrix', 'competitors', 'comparison', 'ratingMatrix'];
  const keys = [...preferred.filter((k) => k in o), ...Object.keys(o).filter((k) => !preferred.includes(k))];
  for (const key of keys) {
    let v = o[key];
    if (isRecord(v) && Array.isArray(v.rows)) v = v.rows;
    if (Array.isArray(v) && v.length > 0 && v.every(isRecord) && (preferred.includes(key) || v.length > 1))
      return { key, rows: v as Record<string, unknown>[] };
  }
  return undefined;
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
          ? JSON.stringify(v)
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
