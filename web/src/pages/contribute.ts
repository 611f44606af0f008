import { api, errorMessage } from '../api';
import { clear, fmtBytes, fmtDate, fmtInt, h, notice, simpleTable } from '../dom';
import { updateParams, type Route } from '../router';
import { state } from '../state';
import type { Contribution, Organisation, Upload } from '../types';
import type { Page } from './page';

function orgName(o: Contribution['organisation']): string {
  return typeof o === 'string' ? o : o.name;
}

export class ContributePage implements Page {
  readonly el: HTMLElement;
  private readonly statusEl = h('div', { 'aria-live': 'polite', 'data-testid': 'contribute-status' });
  private readonly reportEl = h('section', { 'data-testid': 'upload-report', class: 'report', 'aria-label': 'Validation report', hidden: true });
  private readonly uploadsEl = h('div', { 'data-testid': 'uploads' });
  private readonly contributionsEl = h('div', { 'data-testid': 'contributions' });
  private readonly orgSel: HTMLSelectElement | null = null;
  private readonly fileInput: HTMLInputElement;
  private readonly submitBtn: HTMLButtonElement;
  private shownUpload: number | null = null;
  private ctrl = new AbortController();

  constructor(_route: Route) {
    const user = state.user;
    const allowed = user && (user.role === 'admin' || user.role === 'contributor');
    this.fileInput = h('input', { type: 'file', id: 'upload-file', name: 'file', required: true, 'data-testid': 'upload-file', accept: '.csv,.tsv,.xlsx,.ods,.json,.jsonl,.parquet' });
    this.submitBtn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'upload-submit' }, 'Upload and validate');
    const fields: HTMLElement[] = [h('div', { class: 'field' }, h('label', { for: 'upload-file' }, 'File (CSV, XLSX, ODS, JSON, Parquet)'), this.fileInput)];
    if (user?.role === 'admin') {
      this.orgSel = h('select', { id: 'upload-org', required: true, 'data-testid': 'upload-org' }, h('option', { value: '' }, 'Loading…'));
      fields.unshift(h('div', { class: 'field' }, h('label', { for: 'upload-org' }, 'Organisation'), this.orgSel));
    }
    const form = h(
      'form',
      { class: 'form-inline', 'data-testid': 'upload-form', 'aria-label': 'Upload a file', onsubmit: (e: Event) => this.onUpload(e) },
      fields,
      h('div', { class: 'field field-button' }, this.submitBtn),
    );
    this.el = h(
      'div',
      { class: 'page', 'data-testid': 'page-contribute' },
      h('h2', {}, 'Contribute'),
      allowed
        ? h(
            'p',
            { class: 'intro' },
            `Upload a case file for ${user?.organisation ? `“${user.organisation.name}”` : 'an organisation'}. It is validated first: every rejected value is listed with its row and column, and nothing is stored until you commit.`,
          )
        : notice('error', 'Contributing needs a contributor or admin account: please log in.', 'contribute-denied'),
      allowed ? form : null,
      this.statusEl,
      this.reportEl,
      allowed ? h('h2', {}, 'Previous uploads') : null,
      allowed ? this.uploadsEl : null,
      allowed ? h('h2', {}, 'Contributions') : null,
      allowed ? this.contributionsEl : null,
    );
    if (allowed) {
      if (this.orgSel) void this.loadOrgs();
      void this.loadLists();
    }
  }

  private async loadOrgs(): Promise<void> {
    const sel = this.orgSel;
    if (!sel) return;
    try {
      const orgs = await api<Organisation[]>('/api/organisations', { signal: this.ctrl.signal });
      clear(sel);
      sel.append(h('option', { value: '' }, '— choose —'));
      for (const o of orgs) sel.append(h('option', { value: String(o.id) }, o.name));
    } catch (e) {
      this.statusEl.replaceChildren(notice('error', `Could not load the organisations: ${errorMessage(e)}`));
    }
  }

  private async onUpload(e: Event): Promise<void> {
    e.preventDefault();
    const file = this.fileInput.files?.[0];
    if (!file) {
      this.statusEl.replaceChildren(notice('error', 'Choose a file first.'));
      return;
    }
    const fd = new FormData();
    fd.append('file', file, file.name);
    let path = '/api/uploads';
    if (this.orgSel) {
      if (!this.orgSel.value) {
        this.statusEl.replaceChildren(notice('error', 'Choose the organisation the file belongs to.'));
        return;
      }
      path += `?organisation=${encodeURIComponent(this.orgSel.value)}`;
    }
    this.submitBtn.disabled = true;
    this.statusEl.replaceChildren(notice('info', `Uploading and validating ${file.name}…`));
    try {
      const up = await api<Upload>(path, { method: 'POST', form: fd });
      this.statusEl.replaceChildren(notice('ok', `${file.name} validated: ${fmtInt(up.summary.accepted)} rows accepted, ${fmtInt(up.summary.quarantined)} quarantined.`));
      this.fileInput.value = '';
      this.showReport(up);
      updateParams({ upload: String(up.id) }, true);
      void this.loadLists();
    } catch (err) {
      this.statusEl.replaceChildren(notice('error', `Upload failed: ${errorMessage(err)}`));
    } finally {
      this.submitBtn.disabled = false;
    }
  }

  private showReport(up: Upload): void {
    this.shownUpload = up.id;
    this.reportEl.hidden = false;
    clear(this.reportEl);
    const s = up.summary;
    const stat = (k: keyof Upload['summary'], label: string): HTMLElement =>
      h('div', { class: 'stat', 'data-testid': `summary-${k}` }, h('dt', {}, label), h('dd', {}, h('span', { class: 'stat-value', 'data-value': String(s[k]) }, fmtInt(s[k]))));
    const issues = up.issues ?? [];
    const actions: HTMLElement[] = [
      h('a', { class: 'btn', href: `/api/uploads/${up.id}/report.csv`, download: `upload-${up.id}-report.csv`, 'data-testid': 'report-csv' }, 'Download report (CSV)'),
    ];
    if (up.status === 'validated') {
      actions.push(
        h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'upload-commit', onclick: () => this.act(up, 'commit') }, 'Commit'),
        h('button', { type: 'button', class: 'btn btn-danger', 'data-testid': 'upload-discard', onclick: () => this.act(up, 'discard') }, 'Discard'),
      );
    }
    this.reportEl.append(
      h('h2', { id: 'report-title', tabindex: '-1' }, `Validation report: ${up.file_name}`),
      h(
        'p',
        {},
        `Upload ${up.id} by ${up.uploaded_by} for ${up.organisation.name}, ${fmtBytes(up.bytes)}, ${fmtDate(up.uploaded_at)}. Status: `,
        h('strong', { 'data-testid': 'upload-status' }, up.status),
        up.contribution_id !== null ? ` (contribution ${up.contribution_id})` : '',
        '.',
      ),
      h(
        'dl',
        { class: 'headline' },
        stat('rows', 'Rows'),
        stat('accepted', 'Accepted'),
        stat('quarantined', 'Quarantined'),
        stat('errors', 'Errors'),
        stat('warnings', 'Warnings'),
      ),
      h('div', { class: 'actions' }, actions),
      simpleTable(
        up.issues_total > issues.length
          ? `Issues (first ${issues.length} of ${fmtInt(up.issues_total)}; the CSV report has all)`
          : `Issues (${fmtInt(up.issues_total)})`,
        ['Row', 'Column', 'Value', 'Rule', 'Severity', 'Message'],
        issues.map((i) => [String(i.row), i.column, i.value, i.rule, h('span', { class: `sev sev-${i.severity}` }, i.severity), i.message]),
        'issues-table',
      ),
    );
  }

  private async act(up: Upload, what: 'commit' | 'discard'): Promise<void> {
    for (const b of this.reportEl.querySelectorAll('button')) b.disabled = true;
    try {
      const res = await api<Upload>(`/api/uploads/${up.id}/${what}`, { method: 'POST' });
      this.statusEl.replaceChildren(
        notice('ok', what === 'commit' ? `Committed: contribution ${res.contribution_id ?? '?'} created.` : `Upload ${up.id} discarded.`),
      );
      this.showReport({ ...res, issues: res.issues ?? up.issues });
      void this.loadLists();
    } catch (e) {
      for (const b of this.reportEl.querySelectorAll('button')) b.disabled = false;
      this.statusEl.replaceChildren(notice('error', `Could not ${what} upload ${up.id}: ${errorMessage(e)}`));
    }
  }

  private async loadLists(): Promise<void> {
    const signal = this.ctrl.signal;
    const [uploads, contributions] = await Promise.allSettled([
      api<Upload[]>('/api/uploads', { signal }),
      api<Contribution[]>('/api/contributions', { signal }),
    ]);
    if (signal.aborted) return;
    clear(this.uploadsEl);
    if (uploads.status === 'fulfilled') {
      this.uploadsEl.append(
        simpleTable(
          'Uploads',
          ['ID', 'File', 'Organisation', 'By', 'At', 'Status', 'Rows', 'Quarantined', ''],
          uploads.value.map((u) => [
            String(u.id),
            u.file_name,
            u.organisation.name,
            u.uploaded_by,
            fmtDate(u.uploaded_at),
            u.status,
            fmtInt(u.summary.rows),
            fmtInt(u.summary.quarantined),
            h('button', { type: 'button', class: 'btn btn-small', onclick: () => updateParams({ upload: String(u.id) }) }, 'Open report'),
          ]),
          'uploads-table',
        ),
      );
    } else {
      this.uploadsEl.append(notice('error', `Could not load the uploads: ${errorMessage(uploads.reason)}`));
    }
    clear(this.contributionsEl);
    if (contributions.status === 'fulfilled') {
      this.contributionsEl.append(
        simpleTable(
          'Contributions',
          ['ID', 'Organisation', 'File', 'Imported', 'By', 'Rows', 'Accepted', 'Quarantined', 'SHA-256'],
          contributions.value.map((c) => [
            String(c.id),
            orgName(c.organisation),
            c.file_name,
            fmtDate(c.imported_at),
            c.imported_by,
            fmtInt(c.rows),
            fmtInt(c.accepted),
            fmtInt(c.quarantined),
            h('code', { title: c.sha256 }, c.sha256.slice(0, 12) + '…'),
          ]),
          'contributions-table',
        ),
      );
    } else {
      this.contributionsEl.append(notice('error', `Could not load the contributions: ${errorMessage(contributions.reason)}`));
    }
  }

  update(route: Route): void {
    const id = Number(route.params.get('upload'));
    if (!id || id === this.shownUpload) return;
    this.shownUpload = id;
    void api<Upload>(`/api/uploads/${id}`, { signal: this.ctrl.signal })
      .then((up) => {
        this.showReport(up);
        (this.reportEl.querySelector('#report-title') as HTMLElement | null)?.focus();
      })
      .catch((e: unknown) => {
        if (!this.ctrl.signal.aborted) this.statusEl.replaceChildren(notice('error', `Could not load upload ${id}: ${errorMessage(e)}`));
      });
  }

  destroy(): void {
    this.ctrl.abort();
  }
}
