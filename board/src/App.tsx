/** The Board's shell: the key gate, navigation with the pending-approvals badge, the panels. */
import { useEffect, useRef, useState } from 'react';
import { api, storedKey, storeKey, UNAUTHORIZED } from './api.ts';
import { useInterval } from './hooks.ts';
import { linkProps, useRoute } from './router.ts';
import { KeyGate } from './components/KeyGate.tsx';
import { Dispatch } from './panels/Dispatch.tsx';
import { TaskView } from './panels/TaskView.tsx';
import { Tasks } from './panels/Tasks.tsx';
import { Approvals } from './panels/Approvals.tsx';
import { Schedules } from './panels/Schedules.tsx';
import { Revenue } from './panels/Revenue.tsx';
import { Memory } from './panels/Memory.tsx';
import { CustomerTrail, Digests } from './panels/Trail.tsx';

const NAV: [string, string][] = [
  ['/dispatch', 'Dispatch'],
  ['/tasks', 'Tasks'],
  ['/approvals', 'Approvals'],
  ['/schedules', 'Schedules'],
  ['/revenue', 'Revenue'],
  ['/memory', 'Memory'],
  ['/digests', 'Digests'],
  ['/customers', 'Customer trail'],
];

/** Pending approvals, or null when this server has no approvals API. */
function usePendingCount(enabled: boolean): [number | null, () => void] {
  const [count, setCount] = useState<number | null>(null);
  const load = () => {
    if (!enabled) return;
    api.approvals('pending').then(
      (a) => setCount(a.length),
      () => setCount(null),
    );
  };
  useEffect(() => load(), [enabled]);
  useInterval(load, 10_000);
  return [count, load];
}

export function App() {
  const [authed, setAuthed] = useState(() => !!storedKey());
  const [reason, setReason] = useState<string | undefined>();
  const { path, search } = useRoute();
  const [pending, reloadPending] = usePendingCount(authed);
  const main = useRef<HTMLElement>(null);

  useEffect(() => {
    const on = () => {
      storeKey(null);
      setReason('The server refused the stored key; enter a valid one.');
      setAuthed(false);
    };
    window.addEventListener(UNAUTHORIZED, on);
    return () => window.removeEventListener(UNAUTHORIZED, on);
  }, []);

  // Move focus to the new page so keyboard and screen-reader users land on it.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [path]);

  if (!authed) return <KeyGate reason={reason} onReady={() => setAuthed(true)} />;

  const section = '/' + (path.split('/')[1] ?? '');
  const taskId = /^\/tasks\/([^/]+)$/.exec(path)?.[1];

  let page: React.ReactNode;
  if (taskId) page = <TaskView id={decodeURIComponent(taskId)} />;
  else if (section === '/tasks') page = <Tasks />;
  else if (section === '/approvals') page = <Approvals onDecided={reloadPending} />;
  else if (section === '/schedules') page = <Schedules />;
  else if (section === '/revenue') page = <Revenue />;
  else if (section === '/memory') page = <Memory />;
  else if (section === '/digests') page = <Digests />;
  else if (section === '/customers') page = <CustomerTrail />;
  else if (section === '/' || section === '/dispatch')
    page = <Dispatch initialAgent={search.get('agent') ?? undefined} from={search.get('from') ?? undefined} />;
  else page = <NotFound path={path} />;

  const current = section === '/' ? '/dispatch' : section;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <a className="brand" {...linkProps('/dispatch')}>
          BrainOps <span>AI Board</span>
        </a>
        <nav aria-label="Board">
          <ul>
            {NAV.map(([to, label]) => (
              <li key={to}>
                <a {...linkProps(to)} aria-current={current === to ? 'page' : undefined}>
                  {label}
                  {to === '/approvals' && pending !== null && pending > 0 && (
                    <span className="count" aria-label={`${pending} pending`} data-testid="pending-badge">
                      {pending}
                    </span>
                  )}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button
          type="button"
          className="link signout"
          onClick={() => {
            storeKey(null);
            setReason(undefined);
            setAuthed(false);
          }}
        >
          Forget key
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

/** A Board address that names no page: say so, and where to go. */
function NotFound({ path }: { path: string }) {
  return (
    <section aria-labelledby="notfound-title">
      <h1 id="notfound-title">No such page</h1>
      <p>
        The Board has no page at <code>/board{path}</code>. Go to <a {...linkProps('/dispatch')}>Dispatch</a> or{' '}
        <a {...linkProps('/tasks')}>Tasks</a>.
      </p>
    </section>
  );
}
