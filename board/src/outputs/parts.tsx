/** Pieces the per-agent output views share: a scroll-safe table, headed sections, emails. */
import type { ReactNode } from 'react';
import { isRecord } from '../format.ts';

/** What every output view gets: the task's output (validated by the agent, but shown defensively) and a way to show a child's output. */
export interface OutputProps {
  output: Record<string, unknown>;
  nested: (agent: string, output: unknown) => ReactNode;
}

/** A table inside a horizontal scroll container, so it never widens the page on a phone. */
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
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
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
