/** The live task view: status, progress, step timeline, logs, output, usage — over SSE. */
import { useEffect, useState } from 'react';
import { api, ApiError, TERMINAL, type JournalStep, type Replay, type Task, type TaskStatus } from '../api.ts';
import { followEvents, type SseEvent } from '../sse.ts';
import { linkProps, navigate } from '../router.ts';
import { duration, money, num, when } from '../format.ts';
import { ErrorBox, Loading, RawJson, StatusBadge } from '../components/common.tsx';
import { OutputView } from '../components/OutputView.tsx';
import { StepTimeline, type StepState } from '../components/StepTimeline.tsx';
import { AuditTrail } from '../components/AuditTrail.tsx';
import { useLoad, useRunAgain } from '../hooks.ts';

interface LogLine {
  at: string;
  level: string;
  message: string;
}

/** Folds one SSE event into the step timeline. */
function applyStep(steps: StepState[], d: Record<string, unknown>): StepState[] {
  const name = String(d.name ?? '?');
  const state: StepState['state'] = d.replayed ? 'replayed' : d.state === 'started' ? 'running' : d.state === 'failed' ? 'failed' : 'ran';
  const next: StepState = { name, state, ...(typeof d.durationMs === 'number' ? { durationMs: d.durationMs } : {}) };
  const i = steps.findIndex((s) => s.name === name);
  if (i === -1) return [...steps, next];
  return steps.map((s, j) => (j === i ? { ...s, ...next } : s));
}

const fromJournal = (journal: JournalStep[]): StepState[] =>
  journal.map((s) => ({ name: s.name, state: 'ran', durationMs: Date.parse(s.finishedAt) - Date.parse(s.startedAt), attempt: s.attempt }));

export function TaskView({ id }: { id: string }) {
  const [task, setTask] = useState<Task | undefined>();
  const [steps, setSteps] = useState<StepState[]>([]);
  const [logs, setLogs] = useState<LogLine[]>([]);
  const [error, setError] = useState<ApiError | undefined>();
  const [live, setLive] = useState(false);
  const [actionMsg, setActionMsg] = useState('');
  const [replay, setReplay] = useState<Replay | undefined>();
  const [replaying, setReplaying] = useState(false);
  const again = useRunAgain();

  useEffect(() => {
    const ctl = new AbortController();
    setTask(undefined);
    setSteps([]);
    setLogs([]);
    setError(undefined);
    const refresh = () =>
      api.task(id).then(
        (d) => {
          if (ctl.signal.aborted) return;
          setTask(d.task);
          // The journal is the truth for finished steps; keep live states of the others.
          setSteps((cur) => {
            const done = fromJournal(d.steps);
            return [
              ...done.map((s) => ({
                ...s,
                ...(cur.find((c) => c.name === s.name && c.state === 'replayed') ? { state: 'replayed' as const } : {}),
              })),
              ...cur.filter((c) => !done.some((s) => s.name === c.name)),
            ];
          });
        },
        (e: unknown) => !ctl.signal.aborted && setError(e instanceof ApiError ? e : new ApiError(0, 'CLIENT', String(e))),
      );
    const onEvent = (e: SseEvent) => {
      const d = e.data;
      if (e.event === 'status') {
        setTask((t) =>
          t
            ? {
                ...t,
                status: d.status as TaskStatus,
                ...(d.error ? { error: d.error as Task['error'] } : {}),
                ...(typeof d.attempt === 'number' ? { attempts: d.attempt } : {}),
                ...(d.status === 'running' && !t.startedAt && typeof d.at === 'string' ? { startedAt: d.at } : {}),
              }
            : t,
        );
        if (TERMINAL.includes(d.status as TaskStatus) || d.status === 'awaiting_approval') void refresh();
      } else if (e.event === 'progress') {
        setTask((t) => (t ? { ...t, progress: { pct: Number(d.pct) || 0, ...(d.message ? { message: String(d.message) } : {}) } } : t));
      } else if (e.event === 'log') {
        setLogs((l) => [...l, { at: String(d.at ?? ''), level: String(d.level ?? 'info'), message: String(d.message ?? '') }].slice(-500));
      } else if (e.event === 'step') {
        setSteps((s) => applyStep(s, d));
      }
    };
    void refresh().then(() => {
      if (ctl.signal.aborted) return;
      setLive(true);
      followEvents(id, onEvent, ctl.signal)
        .catch(() => undefined)
        .finally(() => {
          if (ctl.signal.aborted) return;
          setLive(false);
          void refresh();
        });
    });
    return () => ctl.abort();
  }, [id]);

  if (error) return <ErrorBox error={error} what="Task" />;
  if (!task) return <Loading what="the task" />;

  const terminal = TERMINAL.includes(task.status);
  const pct = task.status === 'succeeded' ? 100 : Math.max(0, Math.min(100, task.progress?.pct ?? 0));
  const waiting = task.status === 'awaiting_approval';

  const cancel = async () => {
    try {
      setTask(await api.cancel(task.id));
      setActionMsg('Cancelled.');
    } catch (e) {
      setActionMsg((e as Error).message);
    }
  };
  // Deterministic replay: the agent's current code against this task's journal (no model, no side effects).
  const runReplay = async () => {
    setReplaying(true);
    try {
      setReplay(await api.replay(task.id));
    } catch (e) {
      setActionMsg((e as Error).message);
    } finally {
      setReplaying(false);
    }
  };
  const retry = async () => {
    try {
      const t = await again.runAgain(task);
      navigate(`/tasks/${t.id}`);
    } catch (e) {
      setActionMsg((e as Error).message);
    }
  };

  return (
    <section aria-labelledby="task-title" className="task-view">
      <header className="task-head">
        <h1 id="task-title">
          {task.agent} <span className="muted mono">#{task.id.slice(0, 8)}</span>
        </h1>
        <div className="task-status" id="task-status" aria-live="polite" aria-atomic="true" data-status={task.status}>
          <StatusBadge status={task.status} />
          {live && !terminal && <span className="live-dot" aria-label="live" title="Live updates" />}
        </div>
        <div className="actions">
          {!terminal && (
            <button type="button" className="secondary" onClick={cancel}>
              Cancel
            </button>
          )}
          <button
            type="button"
            className="secondary"
            onClick={runReplay}
            disabled={replaying}
            title="Re-run the agent's current code against this task's recorded steps: no model, no side effects"
          >
            {replaying ? 'Replaying…' : 'Replay'}
          </button>
          {terminal && (
            <button
              type="button"
              className="secondary"
              onClick={retry}
              disabled={again.running(task.id)}
              title="A new task with the same input, priority and budget"
            >
              Run again
            </button>
          )}
          {task.status === 'failed' && (
            <a
              className="button secondary"
              {...linkProps(`/dispatch?agent=${encodeURIComponent(task.agent)}&from=${encodeURIComponent(task.id)}`)}
              title="The Dispatch form with this task's input, to change what made it fail"
            >
              Edit input and run
            </a>
          )}
        </div>
      </header>
      {actionMsg && (
        <p role="status" className="muted">
          {actionMsg}
        </p>
      )}

      <div
        className="progress"
        role="progressbar"
        aria-label="Progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(pct)}
      >
        <div className={`bar${terminal ? '' : ' active'}`} style={{ width: `${pct}%` }} />
      </div>
      <p className="muted progress-text">
        {Math.round(pct)}% {task.progress?.message ? `· ${task.progress.message}` : ''}
        {waiting && ' · waiting for an approval'}
      </p>

      <dl className="facts">
        <div>
          <dt>Created</dt>
          <dd>{when(task.createdAt)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{duration(task.startedAt, task.finishedAt)}</dd>
        </div>
        <div>
          <dt>Attempts</dt>
          <dd>{task.attempts}</dd>
        </div>
        <div>
          <dt>Tokens</dt>
          <dd>
            {task.usage?.estimated ? '≈ ' : ''}
            {num(task.usage?.inputTokens ?? 0)} in / {num(task.usage?.outputTokens ?? 0)} out
            {task.usage?.estimated ? ' (estimated: a reply had no usage data)' : ''}
          </dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd>{money(task.usage?.costUsd ?? 0)}</dd>
        </div>
      </dl>

      {replay && (
        <div
          className={`notice${replay.outcome === 'diverged' ? ' error' : ''}`}
          role="status"
          aria-label="Replay result"
          data-outcome={replay.outcome}
        >
          <p>
            <strong>
              Replay ({replay.agent} {replay.agentVersion}):
            </strong>{' '}
            {replay.message}
          </p>
          {replay.divergence && (
            <>
              <RawJson value={replay.divergence.replay} label="Replayed code asked for" />
              <RawJson value={replay.divergence.recorded} label="Recorded run had" />
            </>
          )}
        </div>
      )}

      {task.error && (
        <div className="notice error" role="alert">
          <strong>{task.error.code}</strong>: {task.error.message}
        </div>
      )}

      <div className="task-grid">
        <div className="card">
          <h2>Steps</h2>
          <StepTimeline steps={steps} waiting={waiting} />
        </div>
        <div className="card">
          <h2>Logs</h2>
          {logs.length === 0 ? (
            <p className="muted">No log lines.</p>
          ) : (
            <ol className="logs" aria-label="Log lines">
              {logs.map((l, i) => (
                <li key={i} className={`log-${l.level}`}>
                  <span className="mono muted">{l.at ? new Date(l.at).toLocaleTimeString() : ''}</span>{' '}
                  <span className="level">{l.level}</span> {l.message}
                </li>
              ))}
            </ol>
          )}
        </div>
      </div>

      <div className="card">
        <h2>Output</h2>
        {task.output === undefined ? (
          <p className="muted">{terminal ? 'No output.' : 'The output appears here when the task finishes.'}</p>
        ) : (
          <OutputView agent={task.agent} output={task.output} />
        )}
        {task.output !== undefined && <RawJson value={task.output} label="Raw output JSON" />}
        <RawJson value={task.input} label="Input" />
      </div>

      <div className="card">
        <h2>Audit trail</h2>
        <TaskTrail id={id} refresh={task.status} />
      </div>
    </section>
  );
}

/** What this task did and what happened to it (side effects, approvals, its creation). */
function TaskTrail({ id, refresh }: { id: string; refresh: string }) {
  const trail = useLoad(() => api.audit({ task: id, limit: 100 }), [id, refresh]);
  if (trail.error) return <ErrorBox error={trail.error} what="The audit trail" />;
  if (!trail.data) return <Loading what="the audit trail" />;
  return <AuditTrail events={trail.data} />;
}
