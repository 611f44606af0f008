import { api, errorMessage } from '../api';
import { ChartCard, PALETTE, type Loaded } from '../chart';
import { clear, field, fmtBytes, fmtDate, fmtInt, fmtNum, h, notice, simpleTable } from '../dom';
import type { Route } from '../router';
import { state } from '../state';
import type { Account, NewReleaseResult, Release } from '../types';
import type { Page } from './page';

function privacyOf(r: Release): string {
  const parts: string[] = [];
  if (r.epsilon !== null) parts.push(`ε = ${fmtNum(r.epsilon)}`);
  if (r.delta !== null) parts.push(`δ = ${r.delta.toExponential(0)}`);
  if (r.k !== null) parts.push(`k = ${r.k}`);
  return parts.join(', ') || '–';
}

export class ReleasesPage implements Page {
  readonly el: HTMLElement;
  private readonly listEl: HTMLElement;
  private readonly chargesEl: HTMLElement;
  private readonly ledgerCard: ChartCard;
  private readonly statusEl: HTMLElement;
  private ctrl = new AbortController();
  private accounts: Account[] = [];

  constructor(_route: Route) {
    this.statusEl = h('div', { 'aria-live': 'polite' });
    this.listEl = h('div', { 'data-testid': 'release-list', 'aria-busy': 'true' }, h('p', {}, 'Loading releases…'));
    this.chargesEl = h('div', { 'data-testid': 'ledger-charges' });
    this.ledgerCard = new ChartCard({
      id: 'ledger',
      title: 'Privacy budget: spent vs budget (zCDP ρ) per dataset',
      height: 260,
      wide: true,
      csvName: () => 'privacy-ledger.csv',
      load: (signal) => this.loadLedger(signal),
    });
    this.el = h(
      'div',
      { class: 'page', 'data-testid': 'page-releases' },
      h('h2', {}, 'Releases'),
      h(
        'p',
        { class: 'intro' },
        'De-identified releases: differentially private aggregates and synthetic records (with ε, δ) and k-anonymous tables (with k). Every file can be downloaded; each release has a public report.',
      ),
      this.statusEl,
      state.user?.role === 'admin' ? this.releaseForm() : null,
      this.listEl,
      h('h2', {}, 'Privacy ledger'),
      h(
        'p',
        { class: 'intro' },
        'Every differentially private release is charged to its dataset’s privacy budget; a release that would overspend is refused.',
      ),
      h('div', { class: 'grid' }, this.ledgerCard.el),
      this.chargesEl,
    );
  }

  /** Admins start a DP release of the store's records: the same workflow, refusals and ledger
   * as `cthub release aggregates|synthetic`. */
  private releaseForm(): HTMLElement {
    const kind = h(
      'select',
      { 'data-testid': 'new-release-kind' },
      h('option', { value: 'synthetic' }, 'DP synthetic records'),
      h('option', { value: 'aggregates' }, 'DP aggregates (noisy counts with intervals)'),
    );
    const epsilon = h('input', { type: 'number', min: '0.01', max: '10', step: '0.01', value: '1', required: true, 'data-testid': 'new-release-epsilon' });
    const delta = h('input', { type: 'number', step: 'any', min: '0', max: '1', value: '1e-6', required: true, 'data-testid': 'new-release-delta' });
    const contribution = h('input', { type: 'number', min: '1', step: '1', placeholder: 'all records', 'data-testid': 'new-release-contribution' });
    const columns = h('input', { type: 'text', autocomplete: 'off', placeholder: 'default columns', 'data-testid': 'new-release-columns' });
    const publish = h('input', { type: 'checkbox', 'data-testid': 'new-release-publish' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'new-release-submit' }, 'Release');
    const form = h(
      'form',
      {
        class: 'form-inline',
        'data-testid': 'new-release-form',
        'aria-label': 'Start a differentially private release',
        onsubmit: async (e: Event) => {
          e.preventDefault();
          const body: Record<string, unknown> = { kind: kind.value, epsilon: Number(epsilon.value), delta: Number(delta.value), publish: publish.checked };
          if (contribution.value) body.contribution = Number(contribution.value);
          const cols = columns.value.split(',').map((c) => c.trim()).filter((c) => c !== '');
          if (cols.length > 0) body.columns = cols;
          submit.disabled = true;
          this.statusEl.replaceChildren(notice('info', 'Computing the release… (this reads every record of the dataset)'));
          try {
            const r = await api<NewReleaseResult>('/api/releases', { method: 'POST', body });
            const left = r.ledger.remaining_rho;
            this.statusEl.replaceChildren(
              notice('ok', `Release ${r.release.id} made (${r.release.published ? 'published' : 'not published yet'}); ${r.ledger.dataset} has ρ ${fmtNum(left)} left of ${fmtNum(r.ledger.budget_rho)}.`, 'new-release-done'),
            );
            if (r.release.published) await state.loadSources();
            void this.loadReleases();
            void this.ledgerCard.reload();
          } catch (err) {
            this.statusEl.replaceChildren(notice('error', `The release was refused: ${errorMessage(err)}`, 'new-release-error'));
          } finally {
            submit.disabled = false;
          }
        },
      },
      field('new-release-kind', 'Kind', kind),
      field('new-release-epsilon', 'ε', epsilon),
      field('new-release-delta', 'δ', delta),
      field('new-release-contribution', 'Contribution (optional)', contribution),
      field('new-release-columns', 'Columns (comma-separated, optional)', columns),
      field('new-release-publish', 'Publish at once', publish),
      h('div', { class: 'field field-button' }, submit),
    );
    return h(
      'section',
      { class: 'admin-section', 'aria-labelledby': 'new-release-title' },
      h('h3', { id: 'new-release-title' }, 'New differentially private release'),
      h(
        'p',
        { class: 'intro' },
        'Charged to the privacy budget of the store (or of the contribution): a release that would overspend it is refused and nothing is charged. Set budgets with `cthub ledger set-budget`.',
      ),
      form,
    );
  }

  update(_route: Route): void {
    void this.loadReleases();
    void this.ledgerCard.reload();
  }

  private async loadReleases(): Promise<void> {
    try {
      const releases = await api<Release[]>('/api/releases', { signal: this.ctrl.signal });
      this.renderReleases(releases);
    } catch (e) {
      if (this.ctrl.signal.aborted) return;
      clear(this.listEl);
      this.listEl.append(notice('error', `Could not load the releases: ${errorMessage(e)}`));
    } finally {
      this.listEl.removeAttribute('aria-busy');
    }
  }

  private renderReleases(releases: Release[]): void {
    clear(this.listEl);
    if (releases.length === 0) {
      this.listEl.append(h('p', {}, 'No release has been published yet.'));
      return;
    }
    const admin = state.user?.role === 'admin';
    const rows = releases.map((r) => {
      const report = r.files.find((f) => f.name === 'report.html');
      const base = `/api/releases/${encodeURIComponent(String(r.id))}/files/`;
      const files = h(
        'ul',
        { class: 'files' },
        r.files
          .filter((f) => f.name !== 'report.html')
          .map((f) =>
            h(
              'li',
              {},
              h('a', { href: base + encodeURIComponent(f.name), download: f.name, 'data-testid': `release-${r.id}-file-${f.name}` }, f.name),
              ` (${fmtBytes(f.bytes)})`,
            ),
          ),
      );
      const actions: (HTMLElement | string)[] = [];
      if (report) {
        actions.push(h('a', { href: base + 'report.html', target: '_blank', rel: 'noopener', 'data-testid': `release-${r.id}-report` }, 'Report'));
      }
      if (admin && !r.published) {
        const btn = h(
          'button',
          {
            type: 'button',
            class: 'btn btn-primary btn-small',
            'data-testid': `release-${r.id}-publish`,
            onclick: async () => {
              btn.disabled = true;
              try {
                await api<Release>(`/api/releases/${encodeURIComponent(String(r.id))}/publish`, { method: 'POST' });
                this.statusEl.replaceChildren(notice('ok', `Release ${r.id} published.`));
                await state.loadSources();
                void this.loadReleases();
              } catch (e) {
                btn.disabled = false;
                this.statusEl.replaceChildren(notice('error', `Could not publish release ${r.id}: ${errorMessage(e)}`));
              }
            },
          },
          'Publish',
        );
        actions.push(btn);
      }
      return [
        String(r.id),
        r.kind,
        r.title,
        privacyOf(r),
        r.records === null ? 'not published' : fmtInt(r.records),
        r.published ? 'yes' : 'no',
        fmtDate(r.created_at),
        files,
        h('span', { class: 'actions' }, actions),
      ];
    });
    this.listEl.append(
      simpleTable('Releases', ['ID', 'Kind', 'Title', 'Privacy', 'Records', 'Published', 'Created', 'Files', ''], rows, 'releases-table'),
    );
  }

  private async loadLedger(signal: AbortSignal): Promise<Loaded> {
    const accounts = await api<Account[]>('/api/ledger', { signal });
    this.accounts = accounts;
    this.renderCharges();
    const option = {
      color: [PALETTE[2], PALETTE[1]],
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 0 },
      grid: { left: 8, right: 24, top: 32, bottom: 24, containLabel: true },
      xAxis: { type: 'value', name: 'ρ' },
      yAxis: { type: 'category', inverse: true, data: accounts.map((a) => a.dataset) },
      series: [
        { type: 'bar', name: 'budget ρ', data: accounts.map((a) => a.budget_rho) },
        { type: 'bar', name: 'spent ρ', data: accounts.map((a) => a.spent_rho) },
      ],
    };
    return {
      option,
      summary: accounts.map((a) => `${a.dataset}: spent ${fmtNum(a.spent_rho)} of ${fmtNum(a.budget_rho)} ρ`).join('; ') + '.',
      apiUrl: '/api/ledger',
      table: {
        columns: [
          { key: 'dataset', header: 'Dataset' },
          { key: 'description', header: 'Description' },
          { key: 'budget_rho', header: 'Budget ρ', kind: 'num' },
          { key: 'spent_rho', header: 'Spent ρ', kind: 'num' },
          { key: 'epsilon_budget', header: 'Budget ε', kind: 'num' },
          { key: 'epsilon_spent', header: 'Spent ε', kind: 'num' },
          { key: 'delta', header: 'δ' },
          { key: 'charges', header: 'Charges', kind: 'int' },
        ],
        rows: accounts.map((a) => ({
          dataset: a.dataset,
          description: a.description,
          budget_rho: a.budget_rho,
          spent_rho: a.spent_rho,
          epsilon_budget: a.epsilon?.budget ?? null,
          epsilon_spent: a.epsilon?.spent ?? null,
          delta: a.epsilon?.delta ?? null,
          charges: a.charges.length,
        })),
        rowKeys: (r) => ({ key: String(r.dataset) }),
        notes: ['ε is the (ε, δ)-DP guarantee implied by the zCDP ρ spent or budgeted, at the given δ.'],
        dp: false,
      },
    };
  }

  private renderCharges(): void {
    clear(this.chargesEl);
    for (const a of this.accounts) {
      this.chargesEl.append(
        simpleTable(
          `Charges to “${a.dataset}” (${a.description || 'no description'})`,
          ['ID', 'At', 'ρ', 'ε', 'δ', 'Purpose', 'By'],
          a.charges.map((c) => [
            String(c.id),
            fmtDate(c.at),
            fmtNum(c.rho),
            c.epsilon === null ? '–' : fmtNum(c.epsilon),
            c.delta === null ? '–' : c.delta.toExponential(0),
            c.purpose,
            c.actor,
          ]),
          `charges-${a.dataset}`,
        ),
      );
    }
  }

  destroy(): void {
    this.ctrl.abort();
    this.ledgerCard.dispose();
  }
}
