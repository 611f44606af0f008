import { matrixOption, seriesOption } from '../chart';
import { clear, fmtInt, fmtPct, h } from '../dom';
import type { Route } from '../router';
import type { Indicator } from '../types';
import { IndicatorPage, indicatorCard } from './page';

const FEMALE = /^(f|female|woman|women|girl|girls)$/i;
const UNKNOWN = /^(unknown|missing|not recorded|n\/a|na|-99|00|)$/i;

/** Upper bound of an age band such as `9--17`, `0-8` or `48+` (null when unknown). */
export function bandUpper(key: string): number | null {
  const m = key.match(/^\s*(\d+)\s*(?:-+|–|to)\s*(\d+)\s*$/);
  if (m) return Number(m[2]);
  if (/^\s*\d+\s*\+\s*$/.test(key)) return Infinity;
  return null;
}

export interface Headline {
  population: number;
  female: number | null;
  femaleBase: number;
  minors: number | null;
  minorsBase: number;
}

/** Headline figures from the sex × age rows: shares over persons with a known sex / age band. */
export function headline(ind: Indicator): Headline {
  let sexKnown = 0;
  let female = 0;
  let ageKnown = 0;
  let minors = 0;
  for (const r of ind.rows) {
    const c = Math.max(0, r.count);
    if (!UNKNOWN.test(r.key) && !UNKNOWN.test(r.label)) {
      sexKnown += c;
      if (FEMALE.test(r.key) || FEMALE.test(r.label)) female += c;
    }
    const up = bandUpper(r.key2 ?? '') ?? bandUpper(r.label2 ?? '');
    if (up !== null) {
      ageKnown += c;
      if (up < 18) minors += c;
    }
  }
  return {
    population: ind.population,
    female: sexKnown > 0 ? female / sexKnown : null,
    femaleBase: sexKnown,
    minors: ageKnown > 0 ? minors / ageKnown : null,
    minorsBase: ageKnown,
  };
}

export class OverviewPage extends IndicatorPage {
  private readonly headlineEl: HTMLElement;

  constructor(route: Route) {
    super(route, 'page-overview', 'Overview', 'Victims of trafficking recorded in the selected data, by year, sex and age.');
    this.headlineEl = h('dl', { class: 'headline', 'data-testid': 'headline', 'aria-live': 'polite' });
    this.grid.before(h('section', { 'aria-label': 'Headline figures' }, this.headlineEl));
    this.addCards(
      indicatorCard(
        { id: 'by_year', title: 'Victims by year of registration', build: seriesOption, labels: { key: 'Year' } },
        this.getRoute,
      ),
      indicatorCard(
        {
          id: 'sex_age',
          title: 'Victims by sex and age band',
          build: matrixOption,
          labels: { key: 'Sex', key2: 'Age band' },
          onData: (ind) => this.showHeadline(ind),
        },
        this.getRoute,
      ),
    );
  }

  private showHeadline(ind: Indicator): void {
    const hl = headline(ind);
    const approx = ind.dp ? '≈ ' : '';
    clear(this.headlineEl);
    const item = (testid: string, label: string, value: string, note: string): HTMLElement =>
      h('div', { class: 'stat', 'data-testid': testid }, h('dt', {}, label), h('dd', {}, h('span', { class: 'stat-value' }, value), h('span', { class: 'stat-note' }, note)));
    this.headlineEl.append(
      item('headline-population', 'Victims', approx + fmtInt(hl.population), ind.dp ? 'noisy count, never the exact number' : 'persons matching the filters'),
      item('headline-female', 'Female', approx + fmtPct(hl.female), `of ${fmtInt(hl.femaleBase)} persons with a recorded sex`),
      item('headline-minors', 'Minors', approx + fmtPct(hl.minors), `of ${fmtInt(hl.minorsBase)} persons with a recorded age band`),
    );
  }
}
