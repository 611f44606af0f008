// A chart card: title, ECharts canvas, "Table" toggle with the same rows, "CSV" download of them.
import { api, errorMessage, isAbort } from './api';
import { toCsv, downloadText, type Cell } from './csv';
import { clear, escapeHtml, fmtInt, fmtNum, fmtPct, h } from './dom';
import { echarts, type Chart, type ChartOption } from './echarts';
import type { Indicator, Row } from './types';

export interface Column {
  key: string;
  header: string;
  kind?: 'text' | 'int' | 'num' | 'pct';
}

export interface TableData {
  columns: Column[];
  rows: Record<string, Cell>[];
  /** Row attributes used to find a row (data-key, data-key2). */
  rowKeys?: (row: Record<string, Cell>) => { key?: string; key2?: string };
  notes: string[];
  dp: boolean;
}

export interface Loaded {
  option: ChartOption;
  table: TableData;
  /** A plain-language summary for the chart's aria-label. */
  summary: string;
  apiUrl?: string;
}

export interface CardOptions {
  id: string;
  title: string;
  height?: number;
  wide?: boolean;
  load: (signal: AbortSignal) => Promise<Loaded>;
  onChart?: (chart: Chart) => void;
  csvName?: () => string;
}

let serial = 0;

export class ChartCard {
  readonly el: HTMLElement;
  private readonly chartEl: HTMLElement;
  private readonly tableEl: HTMLElement;
  private readonly statusEl: HTMLElement;
  private readonly notesEl: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private readonly csvBtn: HTMLButtonElement;
  private chart: Chart | null = null;
  private ctrl: AbortController | null = null;
  private table: TableData | null = null;
  private observer: ResizeObserver;
  private readonly uid = `c${++serial}`;
  private gen = 0;

  constructor(private readonly opts: CardOptions) {
    const titleId = `${this.uid}-title`;
    const tableId = `${this.uid}-table`;
    this.toggle = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small',
        'aria-expanded': 'false',
        'aria-controls': tableId,
        'data-testid': `table-toggle-${opts.id}`,
        onclick: () => this.setTableOpen(this.toggle.getAttribute('aria-expanded') !== 'true'),
      },
      'Table',
    );
    this.csvBtn = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small',
        'data-testid': `csv-${opts.id}`,
        disabled: true,
        onclick: () => this.downloadCsv(),
      },
      'CSV',
    );
    this.chartEl = h('div', {
      class: 'chart-canvas',
      role: 'img',
      'aria-label': `${opts.title}: loading`,
      style: `height:${opts.height ?? 320}px`,
    });
    this.statusEl = h('p', { class: 'chart-status', 'aria-live': 'polite' });
    this.notesEl = h('div', { class: 'chart-notes' });
    this.tableEl = h('div', { class: 'table-wrap', id: tableId, hidden: true });
    this.el = h(
      'section',
      {
        class: `card${opts.wide ? ' card-wide' : ''}`,
        'aria-labelledby': titleId,
        'data-testid': `chart-${opts.id}`,
        'data-state': 'loading',
      },
      h('div', { class: 'card-head' }, h('h3', { id: titleId }, opts.title), h('div', { class: 'card-tools' }, this.toggle, this.csvBtn)),
      this.statusEl,
      this.chartEl,
      this.notesEl,
      this.tableEl,
    );
    this.observer = new ResizeObserver(() => this.chart?.resize());
    this.observer.observe(this.chartEl);
  }

  /** Loads (again), aborting a request still under way. */
  async reload(): Promise<void> {
    this.ctrl?.abort();
    const ctrl = new AbortController();
    this.ctrl = ctrl;
    this.gen++;
    this.el.dataset.state = 'loading';
    this.el.setAttribute('aria-busy', 'true');
    this.statusEl.className = 'chart-status';
    this.statusEl.removeAttribute('role');
    this.statusEl.textContent = 'Loading…';
    this.csvBtn.disabled = true;
    try {
      const loaded = await this.opts.load(ctrl.signal);
      if (ctrl.signal.aborted) return;
      this.render(loaded);
    } catch (e) {
      if (isAbort(e) || ctrl.signal.aborted) return;
      this.el.dataset.state = 'error';
      this.el.removeAttribute('aria-busy');
      this.statusEl.className = 'chart-status notice notice-error';
      this.statusEl.setAttribute('role', 'alert');
      this.statusEl.textContent = `Could not load “${this.opts.title}”: ${errorMessage(e)}`;
    }
  }

  private render(loaded: Loaded): void {
    this.table = loaded.table;
    if (loaded.apiUrl) this.el.dataset.api = loaded.apiUrl;
    this.el.dataset.dp = String(loaded.table.dp);
    this.statusEl.textContent = loaded.table.rows.length === 0 ? 'No data for these filters.' : '';
    this.chartEl.setAttribute('aria-label', `${this.opts.title}. ${loaded.summary} The same figures are in the table view.`);
    if (!this.chart) {
      this.chart = echarts.init(this.chartEl, undefined, { renderer: 'canvas' });
      this.opts.onChart?.(this.chart);
    }
    const chart = this.chart;
    const gen = this.gen;
    const done = (): void => {
      chart.off('finished', done);
      if (gen !== this.gen) return;
      this.el.dataset.state = 'ready';
      this.el.removeAttribute('aria-busy');
    };
    chart.on('finished', done);
    chart.setOption({ animation: false, ...loaded.option }, { notMerge: true });
    // 'finished' may already have fired synchronously for an unchanged option.
    window.setTimeout(done, 1500);
    clear(this.notesEl);
    for (const n of loaded.table.notes) this.notesEl.append(h('p', { class: 'note' }, n));
    if (loaded.table.dp) {
      this.notesEl.append(
        h(
          'p',
          { class: 'note note-dp' },
          'Differentially private source: every figure is noisy. Whiskers and the “lower”/“upper” columns give the 95% interval.',
        ),
      );
    }
    this.renderTable();
    this.csvBtn.disabled = false;
  }

  private renderTable(): void {
    clear(this.tableEl);
    const t = this.table;
    if (!t) return;
    const fmt = (c: Column, v: Cell): string => {
      if (v === null || v === undefined || v === '') return '–';
      if (typeof v !== 'number') return String(v);
      switch (c.kind) {
        case 'int':
          return Number.isInteger(v) ? fmtInt(v) : fmtNum(v);
        case 'pct':
          return fmtPct(v, 2);
        case 'num':
          return fmtNum(v);
        default:
          return String(v);
      }
    };
    this.tableEl.append(
      h(
        'table',
        { 'data-testid': `table-${this.opts.id}` },
        h('caption', {}, `${this.opts.title} (${t.rows.length} rows)`),
        h('thead', {}, h('tr', {}, t.columns.map((c) => h('th', { scope: 'col', class: c.kind && c.kind !== 'text' ? 'num' : '' }, c.header)))),
        h(
          'tbody',
          {},
          t.rows.map((r) => {
            const keys = t.rowKeys?.(r) ?? {};
            return h(
              'tr',
              { 'data-key': keys.key, 'data-key2': keys.key2 },
              t.columns.map((c, i) => {
                const v = r[c.key];
                const attrs = {
                  'data-col': c.key,
                  'data-value': v === null || v === undefined ? '' : String(v),
                  class: c.kind && c.kind !== 'text' ? 'num' : '',
                };
                return i === 0 ? h('th', { scope: 'row', ...attrs }, fmt(c, v)) : h('td', attrs, fmt(c, v));
              }),
            );
          }),
        ),
      ),
    );
  }

  private setTableOpen(open: boolean): void {
    this.toggle.setAttribute('aria-expanded', String(open));
    this.tableEl.hidden = !open;
  }

  private downloadCsv(): void {
    const t = this.table;
    if (!t) return;
    const name = this.opts.csvName?.() ?? `${this.opts.id}.csv`;
    downloadText(
      name,
      toCsv(
        t.columns.map((c) => c.key),
        t.rows.map((r) => t.columns.map((c) => r[c.key])),
      ),
    );
  }

  dispose(): void {
    this.ctrl?.abort();
    this.observer.disconnect();
    this.chart?.dispose();
    this.chart = null;
  }
}

// ---------------------------------------------------------------------------------------------
// Indicator helpers

export async function fetchIndicator(id: string, query: URLSearchParams, signal: AbortSignal): Promise<{ ind: Indicator; url: string }> {
  const url = `/api/indicators/${encodeURIComponent(id)}?${query.toString()}`;
  const ind = await api<Indicator>(url, { signal });
  return { ind, url };
}

/** The table of an indicator: the API's rows, with interval columns on DP sources. */
export function indicatorTable(ind: Indicator, labels: { key: string; key2?: string }): TableData {
  const two = ind.kind === 'matrix' || ind.kind === 'flows';
  const hasShare = ind.rows.some((r) => r.share !== null && r.share !== undefined);
  const cols: Column[] = [
    { key: 'label', header: labels.key },
    ...(two ? [{ key: 'label2', header: labels.key2 ?? 'Second key' } as Column] : []),
    { key: 'count', header: ind.dp ? 'Count (noisy)' : 'Count', kind: 'int' },
    ...(hasShare ? [{ key: 'share', header: 'Share', kind: 'pct' } as Column] : []),
    ...(ind.dp
      ? ([
          { key: 'lower', header: 'Lower 95%', kind: 'int' },
          { key: 'upper', header: 'Upper 95%', kind: 'int' },
        ] as Column[])
      : []),
    { key: 'key', header: 'Key' },
    ...(two ? [{ key: 'key2', header: 'Key 2' } as Column] : []),
  ];
  const notes: string[] = [...ind.notes];
  if (ind.denominator_rule) {
    notes.unshift(`Shares: ${ind.denominator_rule}${ind.denominator !== null ? ` (N = ${fmtInt(ind.denominator)})` : ''}.`);
  }
  return {
    columns: cols,
    rows: ind.rows.map((r: Row) => ({ ...r }) as unknown as Record<string, Cell>),
    rowKeys: (r) => ({ key: String(r.key ?? ''), key2: r.key2 === null || r.key2 === undefined ? undefined : String(r.key2) }),
    notes,
    dp: ind.dp,
  };
}

// ---------------------------------------------------------------------------------------------
// Option builders

export const PALETTE = ['#1f5fa8', '#d1495b', '#2a9d8f', '#e9a23b', '#6a4c93', '#5c946e', '#8d6a9f', '#c05d2b', '#3d5a80'];

interface WhiskerDatum {
  value: [number, number, number];
}

/** Error bars drawn by a custom series: data [categoryIndex, lower, upper]. */
export function whiskers(
  data: WhiskerDatum[],
  horizontal: boolean,
  group = 0,
  groups = 1,
  name = '95% interval',
): Record<string, unknown> {
  return {
    type: 'custom',
    name,
    silent: true,
    z: 10,
    encode: horizontal ? { y: 0, x: [1, 2] } : { x: 0, y: [1, 2] },
    data,
    tooltip: { show: false },
    renderItem: (
      _params: unknown,
      a: {
        value: (i: number) => number;
        coord: (v: [number, number]) => [number, number];
        size: (v: [number, number]) => [number, number];
        style: (o?: object) => object;
      },
    ) => {
      const cat = a.value(0);
      const lo = a.value(1);
      const hi = a.value(2);
      const band = horizontal ? a.size([0, 1])[1] : a.size([1, 0])[0];
      const offset = groups > 1 ? -0.4 * band + ((group + 0.5) * 0.8 * band) / groups : 0;
      const cap = Math.max(2, Math.min(7, (band * 0.8) / groups / 4));
      const p1 = horizontal ? a.coord([lo, cat]) : a.coord([cat, lo]);
      const p2 = horizontal ? a.coord([hi, cat]) : a.coord([cat, hi]);
      const style = { stroke: '#222', lineWidth: 1.4 };
      if (horizontal) {
        const y = p1[1] + offset;
        return {
          type: 'group',
          children: [
            { type: 'line', shape: { x1: p1[0], y1: y, x2: p2[0], y2: y }, style },
            { type: 'line', shape: { x1: p1[0], y1: y - cap, x2: p1[0], y2: y + cap }, style },
            { type: 'line', shape: { x1: p2[0], y1: y - cap, x2: p2[0], y2: y + cap }, style },
          ],
        };
      }
      const x = p1[0] + offset;
      return {
        type: 'group',
        children: [
          { type: 'line', shape: { x1: x, y1: p1[1], x2: x, y2: p2[1] }, style },
          { type: 'line', shape: { x1: x - cap, y1: p1[1], x2: x + cap, y2: p1[1] }, style },
          { type: 'line', shape: { x1: x - cap, y1: p2[1], x2: x + cap, y2: p2[1] }, style },
        ],
      };
    },
  };
}

const num = (v: number | null | undefined): number => (v === null || v === undefined || Number.isNaN(v) ? 0 : v);

/** Victims by year: a line (with whiskers on DP sources). */
export function seriesOption(ind: Indicator): ChartOption {
  const cats = ind.rows.map((r) => r.label);
  const series: Record<string, unknown>[] = [
    {
      type: ind.dp ? 'bar' : 'line',
      name: ind.dp ? 'Victims (noisy count)' : 'Victims',
      data: ind.rows.map((r) => r.count),
      itemStyle: { color: PALETTE[0] },
      smooth: false,
      symbolSize: 6,
    },
  ];
  if (ind.dp) {
    series.push(whiskers(ind.rows.map((r, i) => ({ value: [i, num(r.lower ?? r.count), num(r.upper ?? r.count)] })), false));
  }
  return {
    color: PALETTE,
    tooltip: { trigger: 'axis' },
    grid: { left: 56, right: 16, top: 24, bottom: 36 },
    xAxis: { type: 'category', data: cats },
    yAxis: { type: 'value', name: 'victims' },
    series,
  };
}

/** Shares of a flag group (or counts when the indicator has no shares): horizontal bars. */
export function categoriesOption(ind: Indicator, maxRows = 25): ChartOption {
  const useShare = ind.rows.some((r) => r.share !== null && r.share !== undefined);
  const rows = [...ind.rows].sort((a, b) => num(useShare ? b.share : b.count) - num(useShare ? a.share : a.count)).slice(0, maxRows);
  const denom = ind.denominator && ind.denominator > 0 ? ind.denominator : null;
  const val = (r: Row): number => (useShare ? num(r.share) * 100 : r.count);
  const series: Record<string, unknown>[] = [
    {
      type: 'bar',
      name: useShare ? 'Share (%)' : 'Count',
      data: rows.map(val),
      itemStyle: { color: PALETTE[0] },
      // On DP sources the whiskers sit where the labels would: the values are in the tooltip and table.
      label: { show: !ind.dp, position: 'right', formatter: (p: { value: number }) => (useShare ? `${p.value.toFixed(1)}%` : fmtInt(p.value)) },
    },
  ];
  if (ind.dp) {
    series.push(
      whiskers(
        rows.map((r, i) => {
          const lo = num(r.lower ?? r.count);
          const hi = num(r.upper ?? r.count);
          return { value: useShare && denom ? [i, (lo / denom) * 100, (hi / denom) * 100] : useShare ? [i, val(r), val(r)] : [i, lo, hi] };
        }),
        true,
      ),
    );
  }
  return {
    color: PALETTE,
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (ps: { dataIndex: number }[]) => {
        const r = rows[ps[0]?.dataIndex ?? 0];
        if (!r) return '';
        return `${escapeHtml(r.label)}<br>count ${fmtInt(r.count)}${r.share !== null ? ` · share ${fmtPct(r.share)}` : ''}${
          ind.dp ? `<br>95%: ${fmtInt(r.lower)}–${fmtInt(r.upper)}` : ''
        }`;
      },
    },
    grid: { left: 8, right: 56, top: 8, bottom: 24, containLabel: true },
    xAxis: { type: 'value', name: useShare ? '%' : '', axisLabel: { formatter: useShare ? '{value}%' : '{value}' } },
    yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.label), axisLabel: { width: 150, overflow: 'truncate' } },
    series,
  };
}

/** The sex × age-band matrix: grouped bars per age band, one series per sex. */
export function matrixOption(ind: Indicator): ChartOption {
  const sexes: { key: string; label: string }[] = [];
  const bands: { key: string; label: string }[] = [];
  for (const r of ind.rows) {
    if (!sexes.some((s) => s.key === r.key)) sexes.push({ key: r.key, label: r.label });
    const k2 = r.key2 ?? '';
    if (!bands.some((b) => b.key === k2)) bands.push({ key: k2, label: r.label2 ?? k2 });
  }
  const find = (s: string, b: string): Row | undefined => ind.rows.find((r) => r.key === s && (r.key2 ?? '') === b);
  const series: Record<string, unknown>[] = sexes.map((s) => ({
    type: 'bar',
    name: s.label,
    barGap: '0%',
    barCategoryGap: '20%',
    data: bands.map((b) => find(s.key, b.key)?.count ?? 0),
  }));
  if (ind.dp) {
    sexes.forEach((s, gi) => {
      series.push(
        whiskers(
          bands.map((b, i) => {
            const r = find(s.key, b.key);
            return { value: [i, num(r?.lower ?? r?.count), num(r?.upper ?? r?.count)] };
          }),
          false,
          gi,
          sexes.length,
          `${s.label} 95%`,
        ),
      );
    });
  }
  return {
    color: PALETTE,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0, data: sexes.map((s) => s.label) },
    grid: { left: 56, right: 16, top: 36, bottom: 48 },
    xAxis: { type: 'category', data: bands.map((b) => b.label), axisLabel: { interval: 0, rotate: bands.length > 6 ? 35 : 0 } },
    yAxis: { type: 'value', name: 'victims' },
    series,
  };
}

/** Citizenship → country of exploitation as a Sankey; node names are prefixed so no cycle forms. */
export function flowsOption(ind: Indicator, maxLinks = 40): ChartOption {
  const links = ind.rows
    .filter((r) => r.count > 0 && r.key2 !== null)
    .sort((a, b) => b.count - a.count)
    .slice(0, maxLinks)
    .map((r) => ({ source: `from ${r.label}`, target: `in ${r.label2 ?? r.key2}`, value: r.count }));
  const names = new Set<string>();
  for (const l of links) {
    names.add(l.source);
    names.add(l.target);
  }
  return {
    tooltip: { trigger: 'item' },
    series: [
      {
        type: 'sankey',
        left: 8,
        right: 170,
        top: 8,
        bottom: 8,
        nodeGap: 6,
        emphasis: { focus: 'adjacency' },
        lineStyle: { color: 'gradient', opacity: 0.4 },
        label: { fontSize: 11 },
        data: [...names].map((name) => ({ name })),
        links,
      },
    ],
  };
}
