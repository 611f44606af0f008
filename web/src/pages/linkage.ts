import { api, errorMessage } from '../api';
import { clear, field, fmtDate, fmtInt, fmtPct, h, notice, simpleTable } from '../dom';
import type { Route } from '../router';
import { state } from '../state';
import type { LinkageRun, LinkageSubmission, Organisation, ReviewItem } from '../types';
import type { Page } from './page';

/**
 * Privacy-preserving linkage at the hub. Contributors submit the encoding file `cthub encode`
 * wrote at home (names never reach the hub); the hub operator runs linkage over every
 * organisation's newest submission, reads how many persons several organisations know, and
 * accepts or rejects the uncertain pairs of the review queue.
 */
export class LinkagePage implements Page {
  readonly el: HTMLElement;
  private readonly status = h('div', { 'aria-live': 'polite', 'data-testid': 'linkage-status' });
  private readonly subsEl = h('div');
  private readonly runEl = h('div', { 'data-testid': 'linkage-run' });
  private readonly reviewEl = h('div', { 'data-testid': 'linkage-review' });
  private readonly runSel = h('select', { 'data-testid': 'linkage-run-select' });
  private readonly showDecided = h('input', { type: 'checkbox', 'data-testid': 'linkage-show-decided' });
  private readonly orgSel = h('select', { 'data-testid': 'linkage-org' });
  private ctrl = new AbortController();
  private runs: LinkageRun[] = [];

  constructor(_route: Route) {
    const admin = state.user?.role === 'admin';
    const allowed = admin || state.user?.role === 'contributor';
    const file = h('input', { type: 'file', accept: '.json,application/json', required: true, 'data-testid': 'linkage-file' });
    const submitForm = h(
      'form',
      {
        class: 'form-inline',
        'data-testid': 'linkage-submit-form',
        'aria-label': 'Submit encodings',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const f = file.files?.[0];
          if (!f) return;
          void this.run(`Encodings of ${f.name} submitted`, async () => {
            const fd = new FormData();
            fd.append('file', f, f.name);
            const q = admin ? `?organisation=${encodeURIComponent(this.orgSel.value)}` : '';
            await api<LinkageSubmission>(`/api/linkage/submissions${q}`, { method: 'POST', form: fd });
            file.value = '';
            await this.loadSubmissions();
          });
        },
      },
      admin ? field('linkage-org', 'Organisation', this.orgSel) : null,
      field('linkage-file', 'Encoding file (from cthub encode)', file),
      h('div', { class: 'field field-button' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'linkage-submit' }, 'Submit encodings')),
    );
    const matchT = h('input', { type: 'number', min: '0', max: '1', step: '0.01', value: '0.8', 'data-testid': 'linkage-match' });
    const reviewT = h('input', { type: 'number', min: '0', max: '1', step: '0.01', value: '0.7', 'data-testid': 'linkage-review-threshold' });
    const blocking = h('input', { type: 'checkbox', checked: true, 'data-testid': 'linkage-blocking' });
    const runForm = h(
      'form',
      {
        class: 'form-inline',
        'data-testid': 'linkage-run-form',
        'aria-label': 'Run linkage',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.run('Linkage run stored', async () => {
            const r = await api<LinkageRun>('/api/linkage/runs', {
              method: 'POST',
              body: { match_threshold: Number(matchT.value), review_threshold: Number(reviewT.value), use_blocking: blocking.checked },
            });
            await this.loadRuns(r.id);
          });
        },
      },
      field('linkage-match', 'Match threshold (Dice)', matchT),
      field('linkage-review-threshold', 'Review threshold (Dice)', reviewT),
      h('div', { class: 'field' }, h('label', { for: 'linkage-blocking' }, blocking, ' Compare only pairs sharing a blocking key')),
      h('div', { class: 'field field-button' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'linkage-run-button' }, 'Run linkage')),
    );
    blocking.id = 'linkage-blocking';
    this.runSel.addEventListener('change', () => void this.showRun(Number(this.runSel.value)));
    this.showDecided.addEventListener('change', () => void this.loadReview());
    this.el = h(
      'div',
      { class: 'page', 'data-testid': 'page-linkage' },
      h('h2', {}, 'Record linkage'),
      !allowed ? notice('error', 'Only contributors and administrators take part in linkage.', 'linkage-denied') : null,
      allowed
        ? h(
            'p',
            { class: 'intro' },
            'Each organisation encodes its identifying fields at home with “cthub encode” (keyed Bloom filters under a secret shared only among contributors) and submits the encoding file here; the hub never sees a name. ',
            'A record reference is the case reference of the organisation’s case file, or record:<id> for a record stored in the hub.',
          )
        : null,
      this.status,
      allowed
        ? h('section', { class: 'admin-section', 'aria-labelledby': 'lk-subs', 'data-testid': 'linkage-submissions' }, h('h3', { id: 'lk-subs' }, 'Encoding submissions'), submitForm, this.subsEl)
        : null,
      admin
        ? h(
            'section',
            { class: 'admin-section', 'aria-labelledby': 'lk-run' },
            h('h3', { id: 'lk-run' }, 'Linkage runs'),
            runForm,
            field('linkage-run-select', 'Run', this.runSel),
            this.runEl,
          )
        : null,
      admin
        ? h(
            'section',
            { class: 'admin-section', 'aria-labelledby': 'lk-review' },
            h('h3', { id: 'lk-review' }, 'Review queue'),
            h('p', { class: 'intro' }, 'Pairs between the thresholds (uncertain) and matches refused because they would join two records of one organisation (conflict). A decision applies from the next run on and is kept for every later one.'),
            h('div', { class: 'field' }, h('label', {}, this.showDecided, ' Show decided pairs')),
            this.reviewEl,
          )
        : null,
    );
    if (allowed) void this.loadSubmissions();
    if (admin) {
      void this.loadOrgs();
      void this.loadRuns(null);
    }
  }

  private async run(ok: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
      this.status.replaceChildren(notice('ok', `${ok}.`));
    } catch (e) {
      this.status.replaceChildren(notice('error', errorMessage(e)));
    }
  }

  private async guarded(target: HTMLElement, what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (this.ctrl.signal.aborted) return;
      clear(target);
      target.append(notice('error', `Could not load ${what}: ${errorMessage(e)}`));
    }
  }

  private loadOrgs(): Promise<void> {
    return this.guarded(this.status, 'the organisations', async () => {
      const orgs = await api<Organisation[]>('/api/organisations', { signal: this.ctrl.signal });
      clear(this.orgSel);
      for (const o of orgs) this.orgSel.append(h('option', { value: String(o.id) }, o.name));
    });
  }

  private loadSubmissions(): Promise<void> {
    return this.guarded(this.subsEl, 'the submissions', async () => {
      const subs = await api<LinkageSubmission[]>('/api/linkage/submissions', { signal: this.ctrl.signal });
      clear(this.subsEl);
      this.subsEl.append(
        simpleTable(
          'Submissions, newest first (the newest of each organisation takes part in the next run)',
          ['ID', 'Organisation', 'Records', 'File', 'Schema fingerprint', 'Submitted', 'By'],
          subs.map((s) => [String(s.id), s.organisation.name, fmtInt(s.records), s.file_name, h('code', {}, s.fingerprint.slice(0, 16)), fmtDate(s.submitted_at), s.submitted_by]),
          'linkage-submissions-table',
        ),
      );
    });
  }

  private loadRuns(select: number | null): Promise<void> {
    return this.guarded(this.runEl, 'the runs', async () => {
      this.runs = await api<LinkageRun[]>('/api/linkage/runs', { signal: this.ctrl.signal });
      clear(this.runSel);
      for (const r of this.runs) {
        this.runSel.append(h('option', { value: String(r.id) }, `Run ${r.id} — ${fmtDate(r.created_at)} (match ${r.match_threshold}, review ${r.review_threshold})`));
      }
      const id = select ?? this.runs[0]?.id ?? null;
      if (id === null) {
        clear(this.runEl);
        this.runEl.append(notice('info', 'No linkage run yet: it needs encodings from at least two organisations.', 'linkage-no-run'));
        clear(this.reviewEl);
        return;
      }
      this.runSel.value = String(id);
      await this.showRun(id);
    });
  }

  private async showRun(id: number): Promise<void> {
    const r = this.runs.find((x) => x.id === id);
    if (!r) return;
    const s = r.summary;
    clear(this.runEl);
    this.runEl.append(
      h(
        'dl',
        { class: 'facts', 'data-testid': 'linkage-facts' },
        h('dt', {}, 'Persons'),
        h('dd', { 'data-testid': 'linkage-persons' }, fmtInt(s.persons)),
        h('dt', {}, 'Known to two or more organisations'),
        h('dd', { 'data-testid': 'linkage-in-several' }, `${fmtInt(s.persons_in_several)} (${fmtPct(s.persons ? s.persons_in_several / s.persons : null)})`),
        h('dt', {}, 'Pairs compared at the review threshold'),
        h('dd', {}, fmtInt(s.candidate_pairs)),
        h('dt', {}, 'Review queue'),
        h('dd', {}, `${fmtInt(s.review_pairs)} pairs (${fmtInt(s.review_conflicts)} conflicts)`),
        h('dt', {}, 'Decisions applied'),
        h('dd', {}, `${fmtInt(s.decisions_accepted_applied)} accepted, ${fmtInt(s.decisions_rejected_applied)} rejected`),
      ),
      simpleTable(
        `Organisations in run ${r.id}`,
        ['Organisation', 'Submission', 'Encoded records', 'Linked to another organisation', 'Matching stored case records'],
        s.parties.map((p) => [p.organisation, String(p.submission_id), fmtInt(p.records), fmtInt(p.linked_records), fmtInt(p.case_records_matched)]),
        'linkage-parties-table',
      ),
      simpleTable(
        'Persons known to both organisations',
        ['Organisation', 'Organisation', 'Persons'],
        s.shared.map((x) => [x.organisation_a, x.organisation_b, fmtInt(x.persons)]),
        'linkage-shared-table',
      ),
      simpleTable(
        'Persons by the number of organisations that know them',
        ['Organisations', 'Persons'],
        s.persons_by_organisations.map((n, k) => [String(k + 1), fmtInt(n)]),
        'linkage-by-orgs-table',
      ),
    );
    await this.loadReview();
  }

  private loadReview(): Promise<void> {
    const id = Number(this.runSel.value);
    if (!id) return Promise.resolve();
    return this.guarded(this.reviewEl, 'the review queue', async () => {
      const pending = !this.showDecided.checked;
      const q = await api<{ pairs: ReviewItem[] }>(`/api/linkage/runs/${id}/review?pending=${pending}`, { signal: this.ctrl.signal });
      clear(this.reviewEl);
      const decide = (p: ReviewItem, d: 'accept' | 'reject', n: number) =>
        h(
          'button',
          {
            type: 'button',
            class: d === 'accept' ? 'btn btn-small' : 'btn btn-small btn-danger',
            'data-testid': `review-${d}-${n}`,
            'aria-label': `${d === 'accept' ? 'Accept' : 'Reject'}: ${p.organisation_a} ${p.a.record_ref} and ${p.organisation_b} ${p.b.record_ref}`,
            onclick: () =>
              void this.run(`Pair ${d === 'accept' ? 'accepted' : 'rejected'}; it applies from the next run`, async () => {
                await api('/api/linkage/decisions', { method: 'POST', body: { a: p.a, b: p.b, decision: d } });
                await this.loadReview();
              }),
          },
          d === 'accept' ? 'Same person' : 'Different',
        );
      this.reviewEl.append(
        simpleTable(
          `Review queue of run ${id}${pending ? ' (undecided pairs)' : ''}, most similar first`,
          ['Dice', 'Why', 'Record', 'Record', 'Decision', ''],
          q.pairs.map((p, n) => [
            p.similarity.toFixed(3),
            p.reason,
            `${p.organisation_a}: ${p.a.record_ref}`,
            `${p.organisation_b}: ${p.b.record_ref}`,
            p.decision ? `${p.decision} by ${p.decided_by ?? '?'}` : '–',
            h('span', { class: 'actions' }, decide(p, 'accept', n), ' ', decide(p, 'reject', n)),
          ]),
          'linkage-review-table',
        ),
      );
    });
  }

  update(_route: Route): void {}

  destroy(): void {
    this.ctrl.abort();
  }
}
