import { api, fetchSession, setCsrf } from './api';
import type { Country, Filters, SessionInfo, Source, User } from './types';

type Listener = () => void;

/** Application state shared by the pages: the session, the visible sources, cached look-ups. */
class AppState {
  session: SessionInfo = { user: null, csrf_token: null };
  sources: Source[] = [];
  private listeners = new Set<Listener>();
  private filtersCache = new Map<string, Promise<Filters>>();
  private countriesPromise: Promise<Country[]> | null = null;

  get user(): User | null {
    return this.session.user;
  }

  onChange(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }

  async load(): Promise<void> {
    this.session = await fetchSession();
    await this.loadSources();
    this.emit();
  }

  async loadSources(): Promise<void> {
    this.sources = await api<Source[]>('/api/sources');
    this.filtersCache.clear();
  }

  async setSession(s: SessionInfo): Promise<void> {
    this.session = s;
    setCsrf(s.csrf_token);
    await this.loadSources();
    this.emit();
  }

  filters(source: string): Promise<Filters> {
    let p = this.filtersCache.get(source);
    if (!p) {
      p = api<Filters>(`/api/filters?source=${encodeURIComponent(source)}`);
      p.catch(() => this.filtersCache.delete(source));
      this.filtersCache.set(source, p);
    }
    return p;
  }

  countries(): Promise<Country[]> {
    if (!this.countriesPromise) {
      this.countriesPromise = api<Country[]>('/api/countries');
      this.countriesPromise.catch(() => {
        this.countriesPromise = null;
      });
    }
    return this.countriesPromise;
  }

  source(id: string | null): Source | undefined {
    return this.sources.find((s) => s.id === id);
  }
}

export const state = new AppState();

export const FILTER_KEYS = [
  'year_from',
  'year_to',
  'sex',
  'age_band',
  'exploitation',
  'citizenship',
  'country',
  'data_source',
] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/** The API query for an indicator: source first, then the filters in a fixed order. */
export function indicatorQuery(params: URLSearchParams, overrides: Partial<Record<FilterKey, string>> = {}): URLSearchParams {
  const q = new URLSearchParams();
  const source = params.get('source');
  if (source) q.set('source', source);
  for (const k of FILTER_KEYS) {
    const v = k in overrides ? overrides[k] : params.get(k);
    if (v) q.set(k, v);
  }
  return q;
}
