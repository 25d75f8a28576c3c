/** lead-qualifier: each lead's score, its four components, the reasons, and what to do next. */
import { num } from '../format.ts';
import { list, type OutputProps } from './parts.tsx';

interface Scored {
  leadId: string;
  name: string;
  score: number;
  components: { fit: number; intent: number; value: number; recency: number };
  explanation: string[];
  from: string;
  to: string;
  moved: boolean;
  suggestedAction: string | null;
}

export function LeadQualifierView({ output }: OutputProps) {
  const scored = list<Scored>(output.scored);
  return (
    <div className="lead-scores">
      {typeof output.summary === 'string' && <p className="summary">{output.summary}</p>}
      {scored.length === 0 && <p className="muted">No open leads to score.</p>}
      <ol className="cards">
        {scored.map((l) => (
          <li key={l.leadId} className="lead-card" data-lead-id={l.leadId}>
            <div className="lead-head">
              <strong>{l.name}</strong>
              <span className="score" aria-label={`Score ${num(l.score)} of 100`}>
                {num(l.score)}
              </span>
              {l.moved ? (
                <span className="badge">
                  moved {l.from} → {l.to}
                </span>
              ) : (
                <span className="badge muted">{l.from}</span>
              )}
              {l.suggestedAction && <span className="badge next">next: {l.suggestedAction}</span>}
            </div>
            <div className="muted">
              fit {num(l.components.fit)} · intent {num(l.components.intent)} · value {num(l.components.value)} · recency{' '}
              {num(l.components.recency)}
            </div>
            <ul className="reasons">
              {l.explanation.map((r, i) => (
                <li key={i}>{r}</li>
              ))}
            </ul>
          </li>
        ))}
      </ol>
    </div>
  );
}
