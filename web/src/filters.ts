// The filter bar: data source, years, sex, age band, exploitation, citizenship, country, data source.
import { errorMessage } from './api';
import { clear, h } from './dom';
import { updateParams, type Route } from './router';
import { FILTER_KEYS, state } from './state';
import type { FilterOption, Filters } from './types';

interface SelectSpec {
  key: string;
  label: string;
  options: (f: Filters) => FilterOption[];
}

const SELECTS: SelectSpec[] = [
  { key: 'sex', label: 'Sex', options: (f) => f.sex },
  { key: 'age_band', label: 'Age band', options: (f) => f.age_band },
  { key: 'exploitation', label: 'Exploitation', options: (f) => f.exploitation },
  { key: 'citizenship', label: 'Citizenship', options: (f) => f.citizenship },
  { key: 'country', label: 'Country of exploitation', options: (f) => f.country },
  { key: 'data_source', label: 'Data source', options: (f) => f.data_source },
];

let serial = 0;

function select(id: string, label: string, key: string, testid: string): { wrap: HTMLElement; sel: HTMLSelectElement } {
  const sel = h('select', {
    id,
    name: key,
    'data-testid': testid,
    onchange: (e: Event) => {
      const v = (e.target as HTMLSelectElement).value;
      updateParams({ [key]: v || null });
    },
  });
  return { wrap: h('div', { class: 'field' }, h('label', { for: id }, label), sel), sel };
}

function fill(sel: HTMLSelectElement, options: FilterOption[], value: string | null, allLabel: string | null): void {
  clear(sel);
  if (allLabel !== null) sel.append(h('option', { value: '' }, allLabel));
  for (const o of options) sel.append(h('option', { value: o.key }, o.label));
  if (value && !options.some((o) => o.key === value)) sel.append(h('option', { value }, `${value} (not in this source)`));
  sel.value = value ?? '';
}

export class FilterBar {
  readonly el: HTMLElement;
  private readonly status: HTMLElement;
  private readonly sourceSel: HTMLSelectElement;
  private readonly selects = new Map<string, HTMLSelectElement>();
  private loadedFor: string | null = null;
  private loading: Promise<void> | null = null;

  constructor() {
    const n = ++serial;
    const src = select(`f${n}-source`, 'Data', 'source', 'filter-source');
    this.sourceSel = src.sel;
    const fields: HTMLElement[] = [src.wrap];
    for (const k of ['year_from', 'year_to']) {
      const s = select(`f${n}-${k}`, k === 'year_from' ? 'Year from' : 'Year to', k, `filter-${k}`);
      this.selects.set(k, s.sel);
      fields.push(s.wrap);
    }
    for (const spec of SELECTS) {
      const s = select(`f${n}-${spec.key}`, spec.label, spec.key, `filter-${spec.key}`);
      this.selects.set(spec.key, s.sel);
      fields.push(s.wrap);
    }
    const reset = h(
      'button',
      {
        type: 'button',
        class: 'btn',
        'data-testid': 'filter-reset',
        onclick: () => updateParams(Object.fromEntries(FILTER_KEYS.map((k) => [k, null]))),
      },
      'Reset filters',
    );
    this.status = h('p', { class: 'filter-status', 'aria-live': 'polite' });
    this.summary = h('summary', { 'data-testid': 'filter-toggle' }, 'Filters');
    this.el = h(
      'details',
      { class: 'filterbar', open: window.matchMedia('(min-width: 641px)').matches },
      this.summary,
      h(
        'form',
        { 'aria-label': 'Filters', 'data-testid': 'filterbar', onsubmit: (e: Event) => e.preventDefault() },
        h('div', { class: 'filter-fields' }, fields, h('div', { class: 'field field-button' }, reset)),
        this.status,
      ),
    );
  }

  private readonly summary: HTMLElement;

  update(route: Route): void {
    const source = route.params.get('source');
    const active = FILTER_KEYS.filter((k) => route.params.get(k)).length;
    const src = state.source(source);
    this.summary.textContent = `Filters — ${src ? src.label : 'no source'}${active ? `, ${active} active` : ''}`;
    fill(
      this.sourceSel,
      state.sources.map((s) => ({ key: s.id, label: `${s.label}${s.dp ? ' (DP)' : ''}${s.published ? '' : ' — unpublished'}` })),
      source,
      null,
    );
    if (!source) return;
    if (this.loadedFor !== source) {
      this.loadedFor = source;
      this.loading = state
        .filters(source)
        .then((f) => {
          if (this.loadedFor !== source) return;
          this.status.textContent = '';
          this.fillAll(f, route);
        })
        .catch((e: unknown) => {
          this.status.className = 'filter-status notice notice-error';
          this.status.setAttribute('role', 'alert');
          this.status.textContent = `Could not load the filter options: ${errorMessage(e)}`;
          this.loadedFor = null;
        });
    } else {
      void this.loading?.then(() => {
        for (const [k, sel] of this.selects) {
          const v = route.params.get(k) ?? '';
          if (!Array.from(sel.options).some((o) => o.value === v)) sel.append(h('option', { value: v }, v));
          sel.value = v;
        }
      });
    }
  }

  private fillAll(f: Filters, route: Route): void {
    const years: FilterOption[] = [];
    if (f.year) for (let y = f.year.min; y <= f.year.max; y++) years.push({ key: String(y), label: String(y) });
    fill(this.selects.get('year_from')!, years, route.params.get('year_from'), 'any');
    fill(this.selects.get('year_to')!, years, route.params.get('year_to'), 'any');
    for (const spec of SELECTS) fill(this.selects.get(spec.key)!, spec.options(f), route.params.get(spec.key), 'all');
  }
}
