// A small history router: every in-app link is a plain <a href> (keyboard and middle-click work
// as on any page); a click on a same-origin link is turned into a pushState, and the page reads
// the path and query from useLocation. The server answers the app shell on each deep link.
import { useEffect, useSyncExternalStore } from "react";

const listeners = new Set<() => void>();

function notify() {
  for (const l of listeners) l();
}

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  notify();
  window.scrollTo(0, 0);
}

function subscribe(l: () => void) {
  listeners.add(l);
  window.addEventListener("popstate", l);
  return () => {
    listeners.delete(l);
    window.removeEventListener("popstate", l);
  };
}

const snapshot = () => location.pathname + location.search;

export interface Location {
  path: string;
  query: URLSearchParams;
}

export function useLocation(): Location {
  const href = useSyncExternalStore(subscribe, snapshot);
  const url = new URL(href, "http://x");
  return { path: decodeURIComponent(url.pathname), query: url.searchParams };
}

/** Turns clicks on same-origin links into history navigation (installed once by the app). */
export function useLinkInterception(): void {
  useEffect(() => {
    const onClick = (e: MouseEvent) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const a = (e.target as Element | null)?.closest?.("a");
      if (!a || a.target || a.hasAttribute("download")) return;
      const href = a.getAttribute("href");
      if (!href || !href.startsWith("/") || href.startsWith("//") || /^\/(api|v2|oauth|csrf_token|health|config|static)\b/.test(href)) return;
      e.preventDefault();
      navigate(href);
    };
    document.addEventListener("click", onClick);
    return () => document.removeEventListener("click", onClick);
  }, []);
}

/** The query with one parameter changed, for tab links (`?tab=tags`). */
export function withQuery(path: string, query: URLSearchParams, changes: Record<string, string | undefined>): string {
  const q = new URLSearchParams(query);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
