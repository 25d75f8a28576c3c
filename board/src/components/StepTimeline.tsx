/** The step journal as a timeline: which steps ran, were replayed from the journal, or wait. */

export interface StepState {
  name: string;
  state: 'running' | 'ran' | 'replayed' | 'failed';
  durationMs?: number;
  attempt?: number;
}

const LABEL: Record<StepState['state'] | 'waiting', string> = {
  running: 'running',
  ran: 'ran',
  replayed: 'replayed',
  failed: 'failed',
  waiting: 'waiting',
};

export function StepTimeline({ steps, waiting }: { steps: StepState[]; waiting: boolean }) {
  if (!steps.length) return <p className="muted">No steps yet.</p>;
  return (
    <ol className="timeline" aria-label="Step journal">
      {steps.map((s) => {
        const state = s.state === 'running' && waiting ? 'waiting' : s.state;
        return (
          <li key={s.name} className={`step step-${state}`} data-state={state}>
            <span className="dot" aria-hidden="true" />
            <span className="step-name mono">{s.name}</span>
            <span className={`badge step-badge step-badge-${state}`}>{LABEL[state]}</span>
            {s.durationMs !== undefined && state !== 'replayed' && <span className="muted">{s.durationMs} ms</span>}
            {s.attempt !== undefined && s.attempt > 1 && <span className="muted">attempt {s.attempt}</span>}
          </li>
        );
      })}
    </ol>
  );
}
