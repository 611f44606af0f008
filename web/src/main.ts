import './style.css';
import { api, errorMessage } from './api';
import { append, clear, h } from './dom';
import { navigate, parseRoute, routeHref, type Route } from './router';
import { FILTER_KEYS, state } from './state';
import type { Page } from './pages/page';
import { OverviewPage } from './pages/overview';
import { ExploitationPage } from './pages/exploitation';
import { FlowsPage } from './pages/flows';
import { ReleasesPage } from './pages/releases';
import { ContributePage } from './pages/contribute';
import { AdminPage } from './pages/admin';
import { LinkagePage } from './pages/linkage';
import { LoginPage } from './pages/login';

type Factory = new (route: Route) => Page;

interface PageDef {
  id: string;
  label: string;
  factory: Factory;
  data?: boolean;
  visible: () => boolean;
}

const PAGES: PageDef[] = [
  { id: 'overview', label: 'Overview', factory: OverviewPage, data: true, visible: () => true },
  { id: 'exploitation', label: 'Exploitation', factory: ExploitationPage, data: true, visible: () => true },
  { id: 'flows', label: 'Flows', factory: FlowsPage, data: true, visible: () => true },
  { id: 'releases', label: 'Releases', factory: ReleasesPage, visible: () => true },
  {
    id: 'contribute',
    label: 'Contribute',
    factory: ContributePage,
    visible: () => state.user?.role === 'admin' || state.user?.role === 'contributor',
  },
  {
    id: 'linkage',
    label: 'Linkage',
    factory: LinkagePage,
    visible: () => state.user?.role === 'admin' || state.user?.role === 'contributor',
  },
  { id: 'admin', label: 'Admin', factory: AdminPage, visible: () => state.user?.role === 'admin' },
  { id: 'login', label: 'Log in', factory: LoginPage, visible: () => false },
];

const nav = h('ul', { class: 'nav-list' });
const sessionBox = h('div', { class: 'session', 'data-testid': 'session' });
const main = h('main', { id: 'main', tabindex: '-1' });
const globalStatus = h('div', { class: 'global-status', 'aria-live': 'assertive', 'data-testid': 'global-status' });

let current: { def: PageDef; page: Page } | null = null;

function dataParams(route: Route): URLSearchParams {
  const p = new URLSearchParams();
  for (const k of ['source', ...FILTER_KEYS]) {
    const v = route.params.get(k);
    if (v) p.set(k, v);
  }
  return p;
}

function renderNav(route: Route): void {
  clear(nav);
  const keep = dataParams(route);
  for (const def of PAGES) {
    if (!def.visible() && def.id !== route.page) continue;
    if (def.id === 'login') continue;
    nav.append(
      h(
        'li',
        {},
        h(
          'a',
          { href: routeHref(def.id, def.data ? keep : undefined), 'aria-current': def.id === route.page ? 'page' : null, 'data-testid': `nav-${def.id}` },
          def.label,
        ),
      ),
    );
  }
  clear(sessionBox);
  const u = state.user;
  if (u) {
    append(
      sessionBox,
      h('span', { class: 'who', 'data-testid': 'session-user' }, `${u.username} (${u.role}${u.organisation ? `, ${u.organisation.name}` : ''})`),
      u.role !== 'admin' ? h('a', { href: '#/admin', class: 'btn btn-small', 'data-testid': 'nav-tokens' }, 'API tokens') : null,
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-small',
          'data-testid': 'logout',
          onclick: async () => {
            try {
              await api<void>('/api/session', { method: 'DELETE' });
              await state.setSession({ user: null, csrf_token: null });
              navigate('overview');
            } catch (e) {
              globalStatus.replaceChildren(h('p', { class: 'notice notice-error', role: 'alert' }, `Logout failed: ${errorMessage(e)}`));
            }
          },
        },
        'Log out',
      ),
    );
  } else {
    sessionBox.append(h('a', { href: routeHref('login', new URLSearchParams({ next: route.page === 'login' ? 'overview' : route.page })), class: 'btn btn-small', 'data-testid': 'nav-login' }, 'Log in'));
  }
}

function route(rebuild = false): void {
  const r = parseRoute();
  const def = PAGES.find((p) => p.id === r.page);
  if (!def) {
    navigate('overview', undefined, true);
    return;
  }
  if (def.data) {
    const src = r.params.get('source');
    if (state.sources.length > 0 && (!src || !state.source(src))) {
      // Flows read best from a source whose flows are reliable: not a synthetic release unless
      // its own quality check says so.
      const preferred =
        def.id === 'flows' ? state.sources.find((s) => s.kind !== 'synthetic' || s.flows?.reliable === true) : undefined;
      r.params.set('source', (preferred ?? state.sources[0]!).id);
      navigate(r.page, r.params, true);
      return;
    }
  }
  renderNav(r);
  if (current && current.def === def && !rebuild) {
    current.page.update(r);
    return;
  }
  const first = current === null;
  current?.page.destroy();
  clear(main);
  if (def.data && state.sources.length === 0) {
    main.append(
      h('div', { class: 'page', 'data-testid': `page-${def.id}` }, h('h2', {}, def.label), h('p', { class: 'notice notice-info', role: 'status' }, 'No data source is visible to you yet: nothing has been published.')),
    );
    current = null;
    return;
  }
  const page = new def.factory(r);
  current = { def, page };
  main.append(page.el);
  page.update(r);
  document.title = `${def.label} — cthub`;
  if (!first && !rebuild) main.focus({ preventScroll: false });
}

async function start(): Promise<void> {
  const app = document.getElementById('app')!;
  app.append(
    h('a', { class: 'skip', href: '#main', onclick: (e: Event) => { e.preventDefault(); main.focus(); } }, 'Skip to content'),
    h(
      'header',
      { class: 'top' },
      h('div', { class: 'brand' }, h('a', { href: '#/overview' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '◆'), ' cthub'), h('span', { class: 'tag' }, 'counter-trafficking data hub')),
      h('nav', { 'aria-label': 'Main' }, nav),
      sessionBox,
    ),
    globalStatus,
    main,
    h('footer', {}, h('p', {}, 'cthub — figures from de-identified releases. ', h('a', { href: '/api/openapi.json' }, 'API (OpenAPI)'))),
  );
  main.append(h('p', { role: 'status', 'aria-live': 'polite' }, 'Loading…'));
  try {
    await state.load();
  } catch (e) {
    globalStatus.replaceChildren(h('p', { class: 'notice notice-error', role: 'alert' }, `Could not reach the cthub API: ${errorMessage(e)}`));
  }
  state.onChange(() => route(true));
  window.addEventListener('hashchange', () => route());
  route();
}

void start();
