/** aurea: the reply, then the plan as a tree of child tasks, each with its status, link and readable output. */
import { StatusBadge } from '../components/common.tsx';
import { linkProps } from '../router.ts';
import { list, type OutputProps } from './parts.tsx';

interface Result {
  agent: string;
  clause: string;
  taskId?: string;
  status: string;
  output?: unknown;
  error?: { code: string; message: string };
}

export function AureaView({ output, nested }: OutputProps) {
  const results = list<Result>(output.results);
  const plan = list<{ agent: string; clause: string; notPassed?: string[] }>(output.plan);
  const unhandled = list<string>(output.unhandled);
  return (
    <div className="aurea">
      {typeof output.reply === 'string' && <pre className="email-body reply">{output.reply}</pre>}
      <ul className="plan-tree" aria-label="Plan">
        {(results.length ? results : plan.map((p) => ({ ...p, status: 'planned' }) as Result)).map((r, i) => (
          <li key={i} className="plan-node" data-agent={r.agent}>
            <div className="plan-head">
              <StatusBadge status={r.status} /> <strong>{r.agent}</strong>
              {r.taskId && (
                <a className="mono" {...linkProps(`/tasks/${r.taskId}`)}>
                  task {r.taskId.slice(0, 8)}
                </a>
              )}
            </div>
            {r.clause && <div className="muted">“{r.clause}”</div>}
            {plan[i]?.notPassed?.length ? <div className="muted">Not passed on: {plan[i]?.notPassed?.join(', ')}</div> : null}
            {r.error && (
              <div className="notice error">
                {r.error.message} <code>{r.error.code}</code>
              </div>
            )}
            {r.output !== undefined && (
              <details>
                <summary>Result</summary>
                {nested(r.agent, r.output)}
              </details>
            )}
          </li>
        ))}
      </ul>
      {unhandled.length > 0 && <p className="muted">Not handled: {unhandled.join('; ')}</p>}
    </div>
  );
}
