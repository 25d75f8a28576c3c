/** Pieces the per-agent output views share: a scroll-safe table, headed sections, emails. */
import { Children, cloneElement, isValidElement, type ReactElement, type ReactNode } from 'react';
import { isRecord } from '../format.ts';

/** What every output view gets: the task's output (validated by the agent, but shown defensively) and a way to show a child's output. */
export interface OutputProps {
  output: Record<string, unknown>;
  nested: (agent: string, output: unknown) => ReactNode;
}

/**
 * A table inside a horizontal scroll container, so it never widens the page. Each cell carries
 * its column's heading (data-label): on a phone the rows stack, each cell labelled (task.css).
 */
export function Table(props: { caption: string; head: ReactNode[]; children: ReactNode; className?: string; label?: string }) {
  return (
    <div className="table-wrap" role="region" aria-label={props.label ?? props.caption} tabIndex={0}>
      <table className={`out-table ${props.className ?? ''}`}>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            {props.head.map((h, i) => (
              <th key={i} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{labelled(props.children, props.head)}</tbody>
      </table>
    </div>
  );
}

/** The rows with each cell's column heading as its data-label (a string heading only). */
function labelled(rows: ReactNode, head: ReactNode[]): ReactNode {
  return Children.map(rows, (row) => {
    if (!isValidElement<{ children?: ReactNode }>(row)) return row;
    let col = 0;
    const cells = Children.map(row.props.children, (cell) => {
      if (!isValidElement<{ colSpan?: number }>(cell)) return cell;
      const label = head[col];
      col += cell.props.colSpan ?? 1;
      return typeof label === 'string' ? cloneElement(cell as ReactElement<Record<string, unknown>>, { 'data-label': label }) : cell;
    });
    return cloneElement(row, undefined, cells);
  });
}

export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="out-section" aria-label={title}>
      <h3>{title}</h3>
      {children}
    </section>
  );
}

/** An email as a person reads it: headers, then the body with its line breaks. */
export function Email(props: { to?: string; subject: string; body: string; note?: string }) {
  return (
    <article className="email">
      {props.to && <div className="muted">To: {props.to}</div>}
      <div>
        <strong>Subject: {props.subject}</strong>
      </div>
      <pre className="email-body">{props.body}</pre>
      {props.note && <div className="muted">{props.note}</div>}
    </article>
  );
}

export const list = <T,>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
export const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
export const pct = (n: unknown): string => (typeof n === 'number' && Number.isFinite(n) ? `${n > 0 ? '+' : ''}${n.toFixed(1)}%` : '—');
