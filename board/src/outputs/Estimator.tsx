/** estimator: the estimate as a table with totals, and its good/better/best options. */
import { money, num } from '../format.ts';
import type { OutputProps } from './parts.tsx';

interface LineItem {
  description: string;
  quantity: number;
  unit: string;
  unitPrice: number;
  total: number;
}

export function EstimatorView({ output }: OutputProps) {
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
