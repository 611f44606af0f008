import { ChartCard, PALETTE, categoriesOption, fetchIndicator, flowsOption, indicatorTable, matrixOption, seriesOption, type Loaded } from '../chart';
import { errorMessage } from '../api';
import { clear, escapeHtml, fmtInt, h } from '../dom';
import type { ChartOption } from '../echarts';
import { updateParams, type Route } from '../router';
import { indicatorQuery, state } from '../state';
import type { Country, Indicator } from '../types';
import { IndicatorPage, indicatorCard, summarize } from './page';

type MapMode = 'country' | 'citizenship';

function topFlowsOption(ind: Indicator, side: 'from' | 'to'): ChartOption {
  const rows = [...ind.rows].sort((a, b) => b.count - a.count).slice(0, 12);
  return {
    color: PALETTE,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 8, right: 48, top: 8, bottom: 24, containLabel: true },
    xAxis: { type: 'value' },
    yAxis: {
      type: 'category',
      inverse: true,
      data: rows.map((r) => (side === 'from' ? r.label : (r.label2 ?? r.key2 ?? ''))),
      axisLabel: { width: 120, overflow: 'truncate' },
    },
    series: [{ type: 'bar', name: 'victims', data: rows.map((r) => r.count), label: { show: true, position: 'right' } }],
  };
}

export class FlowsPage extends IndicatorPage {
  private mapMode: MapMode = 'country';
  private readonly mapCard: ChartCard;
  private readonly profileEl: HTMLElement;
  private profileCards: ChartCard[] = [];
  private profileKey = '';
  private countries: Country[] = [];
  private readonly modeButtons: HTMLButtonElement[] = [];
  private readonly pickSel: HTMLSelectElement;

  constructor(route: Route) {
    super(
      route,
      'page-flows',
      'Flows',
      'Where victims come from (citizenship) and where they were exploited. Click a country on the map, or pick one below, for its profile.',
    );
    const sankey = indicatorCard(
      {
        id: 'flows',
        title: 'Flows: citizenship → country of exploitation',
        build: (ind) => flowsOption(ind),
        prepare: () => import('../flowcharts'),
        labels: { key: 'Citizenship', key2: 'Country of exploitation' },
        height: 520,
        wide: true,
      },
      this.getRoute,
    );
    this.mapCard = new ChartCard({
      id: 'map',
      title: 'Map of victims',
      height: 420,
      wide: true,
      csvName: () => `by_${this.mapMode}-${this.route.params.get('source') ?? 'source'}.csv`,
      load: (signal) => this.loadMap(signal),
      onChart: (chart) =>
        chart.on('click', (p: unknown) => {
          // Features are named by their numeric ISO id; countries without data open a profile too.
          const ev = p as { name?: string; data?: { alpha2?: string } };
          const alpha2 = ev.data?.alpha2 ?? this.countries.find((c) => c.numeric.padStart(3, '0') === ev.name)?.alpha2;
          if (alpha2) updateParams({ profile: alpha2 });
        }),
    });
    const group = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Map shows' });
    for (const [mode, label] of [
      ['country', 'Country of exploitation'],
      ['citizenship', 'Citizenship'],
    ] as [MapMode, string][]) {
      const b = h(
        'button',
        { type: 'button', class: 'btn btn-small', 'data-testid': `map-mode-${mode}`, 'aria-pressed': 'false', onclick: () => updateParams({ map: mode === 'country' ? null : mode }) },
        label,
      );
      b.dataset.mode = mode;
      this.modeButtons.push(b);
      group.append(b);
    }
    this.mapCard.el.querySelector('.card-head')?.after(group);
    const pickId = 'profile-pick';
    this.pickSel = h('select', {
      id: pickId,
      'data-testid': 'profile-pick',
      onchange: (e: Event) => updateParams({ profile: (e.target as HTMLSelectElement).value || null }),
    });
    this.profileEl = h('section', { class: 'profile', 'data-testid': 'country-profile', 'aria-live': 'polite', hidden: true });
    this.grid.after(
      h('div', { class: 'field profile-picker' }, h('label', { for: pickId }, 'Country profile'), this.pickSel),
      this.profileEl,
    );
    this.addCards(sankey, this.mapCard);
    sankey.el.querySelector('.card-head')?.after(this.reliabilityEl);
    void state
      .countries()
      .then((cs) => {
        this.countries = cs;
        clear(this.pickSel);
        this.pickSel.append(h('option', { value: '' }, '— choose a country —'));
        for (const c of [...cs].sort((a, b) => a.name.localeCompare(b.name))) this.pickSel.append(h('option', { value: c.alpha2 }, `${c.name} (${c.alpha2})`));
        this.pickSel.value = this.route.params.get('profile') ?? '';
        this.renderProfile(true);
      })
      .catch((e: unknown) => {
        this.profileEl.hidden = false;
        this.profileEl.replaceChildren(h('p', { class: 'notice notice-error', role: 'alert' }, `Could not load the country list: ${errorMessage(e)}`));
      });
  }

  private readonly reliabilityEl = h('p', { class: 'notice notice-info', 'data-testid': 'flows-reliability', hidden: true });

  /** The note beside the flows on a synthetic source: how far its flows can be trusted. */
  private renderReliability(route: Route): void {
    const src = state.source(route.params.get('source'));
    const el = this.reliabilityEl;
    el.hidden = true;
    el.replaceChildren();
    if (src?.kind !== 'synthetic') return;
    el.hidden = false;
    const other = state.sources.find((s) => s.kind === 'aggregates');
    const switchTo = other
      ? h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'flows-use-aggregates', onclick: () => updateParams({ source: other.id }) }, `Show ${other.label}`)
      : null;
    if (!src.flows) {
      el.className = 'notice notice-info';
      el.append(`This synthetic release does not say how reliable its flows are. `, ...(switchTo ? [switchTo] : []));
      return;
    }
    el.className = src.flows.reliable ? 'notice notice-info' : 'notice notice-error';
    el.append(
      `Synthetic records on flows the data does not contain: ${src.flows.fabricated}. ` +
        (src.flows.reliable
          ? 'The flows are reliable at this privacy budget. '
          : 'The flows are not reliable at this privacy budget: read them from the DP aggregates release. '),
      ...(switchTo && !src.flows.reliable ? [switchTo] : []),
    );
  }

  private async loadMap(signal: AbortSignal): Promise<Loaded> {
    const mode = this.mapMode;
    const indicatorId = mode === 'country' ? 'by_country' : 'by_citizenship';
    const [{ loadWorldMap, pad3 }, countries] = await Promise.all([import('../worldmap'), state.countries()]);
    const [world, { ind, url }] = await Promise.all([loadWorldMap(), fetchIndicator(indicatorId, indicatorQuery(this.route.params), signal)]);
    const byAlpha = new Map(countries.map((c) => [c.alpha2.toUpperCase(), c]));
    const data = ind.rows
      .map((r) => {
        const c = byAlpha.get(r.key.toUpperCase());
        return c ? { name: pad3(c.numeric), value: r.count, alpha2: c.alpha2, label: r.label || c.name, lower: r.lower, upper: r.upper } : null;
      })
      .filter((d): d is NonNullable<typeof d> => d !== null);
    const max = Math.max(1, ...data.map((d) => d.value));
    const title = mode === 'country' ? 'country of exploitation' : 'citizenship';
    const option: ChartOption = {
      tooltip: {
        trigger: 'item',
        formatter: (p: { name: string; data?: { label: string; value: number; lower: number | null; upper: number | null } }) =>
          p.data
            ? `${escapeHtml(p.data.label)}<br>${fmtInt(p.data.value)} victims${ind.dp && p.data.lower !== null ? ` (95%: ${fmtInt(p.data.lower)}–${fmtInt(p.data.upper)})` : ''}`
            : `${escapeHtml(world.names.get(p.name) ?? p.name)}<br>no data`,
      },
      visualMap: {
        type: 'continuous',
        min: 0,
        max,
        left: 8,
        bottom: 8,
        text: ['more', 'fewer'],
        calculable: false,
        inRange: { color: ['#dbe9f6', '#1f5fa8', '#0b2a4f'] },
      },
      series: [
        {
          type: 'map',
          map: world.name,
          name: `Victims by ${title}`,
          roam: false,
          selectedMode: false,
          itemStyle: { areaColor: '#f0f0f0', borderColor: '#999', borderWidth: 0.4 },
          emphasis: { label: { show: false }, itemStyle: { areaColor: '#e9a23b' } },
          data,
        },
      ],
    };
    const table = indicatorTable(ind, { key: mode === 'country' ? 'Country of exploitation' : 'Citizenship' });
    const unmapped = ind.rows.length - data.length;
    if (unmapped > 0) table.notes.push(`${unmapped} row(s) (unknown country or a region) are in the table but not on the map.`);
    return { option, table, summary: `Choropleth by ${title}. ${summarize(ind)}`, apiUrl: url };
  }

  update(route: Route): void {
    const mode: MapMode = route.params.get('map') === 'citizenship' ? 'citizenship' : 'country';
    const modeChanged = mode !== this.mapMode;
    this.mapMode = mode;
    for (const b of this.modeButtons) b.setAttribute('aria-pressed', String(b.dataset.mode === mode));
    const prevQuery = this.queryKey(this.route);
    super.update(route);
    if (modeChanged && prevQuery === this.queryKey(route)) void this.mapCard.reload();
    this.pickSel.value = route.params.get('profile') ?? '';
    this.renderProfile(false);
    this.renderReliability(route);
  }

  protected queryKey(route: Route): string {
    return indicatorQuery(route.params).toString();
  }

  private renderProfile(force: boolean): void {
    const code = this.route.params.get('profile');
    const key = `${code ?? ''}|${indicatorQuery(this.route.params).toString()}`;
    if (!force && key === this.profileKey) return;
    const sameCountry = this.profileKey.split('|')[0] === (code ?? '');
    this.profileKey = key;
    if (!code) {
      for (const c of this.profileCards) c.dispose();
      this.profileCards = [];
      this.profileEl.hidden = true;
      clear(this.profileEl);
      return;
    }
    if (sameCountry && this.profileCards.length > 0 && !force) {
      for (const c of this.profileCards) void c.reload();
      return;
    }
    for (const c of this.profileCards) c.dispose();
    this.profileCards = [];
    clear(this.profileEl);
    this.profileEl.hidden = false;
    const country = this.countries.find((c) => c.alpha2 === code);
    const name = country ? `${country.name} (${code})` : code;
    const close = h('button', { type: 'button', class: 'btn', 'data-testid': 'profile-close', onclick: () => updateParams({ profile: null }) }, 'Close profile');
    this.profileEl.append(
      h('div', { class: 'card-head' }, h('h2', { id: 'profile-title', tabindex: '-1' }, `Country profile: ${name}`), close),
      h('p', { class: 'intro' }, 'The profile keeps the other filters and sets the country of exploitation (left) or the citizenship (right).'),
    );
    const sides: { side: 'country' | 'citizenship'; heading: string }[] = [
      { side: 'country', heading: `Exploited in ${name}` },
      { side: 'citizenship', heading: `Citizens of ${name}` },
    ];
    const cols = h('div', { class: 'profile-cols' });
    for (const s of sides) {
      const overrides = () => ({ [s.side]: code });
      const col = h('section', { class: 'profile-col', 'aria-label': s.heading }, h('h3', {}, s.heading));
      const cards = [
        indicatorCard({ id: `profile-${s.side}-by_year`, indicator: 'by_year', title: `${s.heading}: by year`, build: seriesOption, labels: { key: 'Year' }, overrides, height: 220 }, this.getRoute),
        indicatorCard(
          { id: `profile-${s.side}-exploitation_type`, indicator: 'exploitation_type', title: `${s.heading}: type of exploitation`, build: (i) => categoriesOption(i), labels: { key: 'Type' }, overrides, height: 220 },
          this.getRoute,
        ),
        indicatorCard(
          { id: `profile-${s.side}-sex_age`, indicator: 'sex_age', title: `${s.heading}: sex and age`, build: matrixOption, labels: { key: 'Sex', key2: 'Age band' }, overrides, height: 240 },
          this.getRoute,
        ),
        indicatorCard(
          {
            id: `profile-${s.side}-flows`,
            indicator: 'flows',
            title: s.side === 'country' ? `Top citizenships of victims exploited in ${code}` : `Top countries where citizens of ${code} were exploited`,
            build: (i) => topFlowsOption(i, s.side === 'country' ? 'from' : 'to'),
            labels: { key: 'Citizenship', key2: 'Country of exploitation' },
            overrides,
            height: 260,
          },
          this.getRoute,
        ),
      ];
      for (const c of cards) {
        col.append(c.el);
        this.profileCards.push(c);
        void c.reload();
      }
      cols.append(col);
    }
    this.profileEl.append(cols);
    if (!force) (this.profileEl.querySelector('#profile-title') as HTMLElement | null)?.focus();
  }

  destroy(): void {
    super.destroy();
    for (const c of this.profileCards) c.dispose();
  }
}
