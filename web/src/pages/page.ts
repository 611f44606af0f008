import { ChartCard, fetchIndicator, indicatorTable, type Loaded } from '../chart';
import type { ChartOption } from '../echarts';
import { fmtInt, h } from '../dom';
import { FilterBar } from '../filters';
import type { Route } from '../router';
import { indicatorQuery, state, type FilterKey } from '../state';
import type { Indicator } from '../types';

export interface Page {
  el: HTMLElement;
  update(route: Route): void;
  destroy(): void;
}

export function summarize(ind: Indicator): string {
  if (ind.rows.length === 0) return 'No data for these filters.';
  const top = [...ind.rows].sort((a, b) => b.count - a.count)[0]!;
  const label = top.label2 ? `${top.label} / ${top.label2}` : top.label;
  return `${ind.rows.length} rows; the largest is ${label} with ${fmtInt(top.count)}${ind.dp ? ' (noisy)' : ''}.`;
}

export interface IndicatorCardSpec {
  id: string;
  indicator?: string;
  title: string;
  build: (ind: Indicator) => ChartOption;
  labels: { key: string; key2?: string };
  height?: number;
  wide?: boolean;
  overrides?: () => Partial<Record<FilterKey, string>>;
  onData?: (ind: Indicator) => void;
  /** Loads what the chart needs besides the data (e.g. a lazily imported chart type). */
  prepare?: () => Promise<unknown>;
}

/** A chart card fed by one indicator request with the route's source and filters. */
export function indicatorCard(spec: IndicatorCardSpec, route: () => Route): ChartCard {
  const indicatorId = spec.indicator ?? spec.id;
  return new ChartCard({
    id: spec.id,
    title: spec.title,
    height: spec.height,
    wide: spec.wide,
    csvName: () => `${indicatorId}-${route().params.get('source') ?? 'source'}.csv`,
    load: async (signal): Promise<Loaded> => {
      const q = indicatorQuery(route().params, spec.overrides?.() ?? {});
      const [{ ind, url }] = await Promise.all([fetchIndicator(indicatorId, q, signal), spec.prepare?.()]);
      spec.onData?.(ind);
      return { option: spec.build(ind), table: indicatorTable(ind, spec.labels), summary: summarize(ind), apiUrl: url };
    },
  });
}

/** Shared frame of the indicator pages: heading, filter bar, a grid of cards reloaded on change. */
export abstract class IndicatorPage implements Page {
  readonly el: HTMLElement;
  protected route: Route;
  protected readonly filterBar = new FilterBar();
  protected readonly grid: HTMLElement;
  protected cards: ChartCard[] = [];
  private lastQuery = '';

  constructor(route: Route, testid: string, title: string, intro: string) {
    this.route = route;
    this.grid = h('div', { class: 'grid' });
    this.el = h(
      'div',
      { 'data-testid': testid, class: 'page' },
      h('h2', {}, title),
      h('p', { class: 'intro' }, intro),
      this.filterBar.el,
      this.sourceNote(),
      this.grid,
    );
  }

  private sourceNoteEl = h('p', { class: 'source-note', 'data-testid': 'source-note' });

  private sourceNote(): HTMLElement {
    return this.sourceNoteEl;
  }

  protected getRoute = (): Route => this.route;

  protected addCards(...cards: ChartCard[]): void {
    for (const c of cards) {
      this.cards.push(c);
      this.grid.append(c.el);
    }
  }

  update(route: Route): void {
    this.route = route;
    this.filterBar.update(route);
    const src = state.source(route.params.get('source'));
    this.sourceNoteEl.textContent = src
      ? `Source: ${src.label}${src.dp ? ' — differentially private, figures are noisy (95% intervals shown)' : ''}${
          src.kind === 'kanon' ? ' — k-anonymous table' : ''
        }${src.kind === 'synthetic' ? ' — synthetic records' : ''}.`
      : '';
    const q = this.queryKey(route);
    if (q !== this.lastQuery) {
      this.lastQuery = q;
      this.reload();
    }
  }

  protected queryKey(route: Route): string {
    return indicatorQuery(route.params).toString();
  }

  protected reload(): void {
    for (const c of this.cards) void c.reload();
  }

  destroy(): void {
    for (const c of this.cards) c.dispose();
  }
}
