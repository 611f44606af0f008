// Hash routing: #/<page>?<params>. Filters live in the params so a view can be shared.

export interface Route {
  page: string;
  params: URLSearchParams;
}

export function parseRoute(hash = location.hash): Route {
  const raw = hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const page = (q >= 0 ? raw.slice(0, q) : raw) || 'overview';
  const params = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
  return { page, params };
}

export function routeHref(page: string, params?: URLSearchParams): string {
  const qs = params ? params.toString() : '';
  return `#/${page}${qs ? `?${qs}` : ''}`;
}

/** Changes the URL; the hashchange listener renders. `replace` keeps history clean for defaults. */
export function navigate(page: string, params?: URLSearchParams, replace = false): void {
  const href = routeHref(page, params);
  if (location.hash === href) return;
  if (replace) {
    history.replaceState(null, '', href);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    location.hash = href;
  }
}

/** Sets (or deletes, when empty) params on the current route and navigates. */
export function updateParams(changes: Record<string, string | null>, replace = false): void {
  const r = parseRoute();
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === '') r.params.delete(k);
    else r.params.set(k, v);
  }
  navigate(r.page, r.params, replace);
}
