/**
 * A tiny history router under /board: the API answers every /board/* path with the same
 * page (SPA fallback), so links are real URLs that survive a reload.
 * @module
 */
import { useEffect, useState } from 'react';

export const BASE = '/board';

const current = (): string => {
  const p = window.location.pathname;
  const rel = p.startsWith(BASE) ? p.slice(BASE.length) : p;
  return rel === '' ? '/' : rel;
};

/** Goes to a Board path (e.g. `/tasks/abc`) without reloading. */
export function navigate(path: string): void {
  window.history.pushState(null, '', `${BASE}${path}`);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** The current Board path and query string, updated on navigation. */
export function useRoute(): { path: string; search: URLSearchParams } {
  const [route, setRoute] = useState(() => ({ path: current(), search: new URLSearchParams(window.location.search) }));
  useEffect(() => {
    const on = () => setRoute({ path: current(), search: new URLSearchParams(window.location.search) });
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);
  return route;
}

/** Props for an <a> that navigates in-page but stays a real, keyboard-focusable link. */
export function linkProps(path: string): { href: string; onClick: (e: React.MouseEvent) => void } {
  return {
    href: `${BASE}${path}`,
    onClick: (e) => {
      if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
      e.preventDefault();
      navigate(path);
    },
  };
}
