import { api, errorMessage } from '../api';
import { clear, field, fmtDate, h, notice, simpleTable } from '../dom';
import type { Route } from '../router';
import { state } from '../state';
import type { AuditEntry, Organisation, Role, Token, User } from '../types';
import type { Page } from './page';

const ROLES: Role[] = ['contributor', 'analyst', 'investigator', 'admin'];

function detailText(d: unknown): string {
  if (d === null || d === undefined) return '';
  return typeof d === 'string' ? d : JSON.stringify(d);
}

export class AdminPage implements Page {
  readonly el: HTMLElement;
  private readonly status = h('div', { 'aria-live': 'polite', 'data-testid': 'admin-status' });
  private readonly orgsEl = h('div');
  private readonly usersEl = h('div');
  private readonly tokensEl = h('div');
  private readonly auditEl = h('div');
  private readonly tokenShown = h('div', { 'aria-live': 'polite' });
  private readonly userOrgSel = h('select', { 'data-testid': 'user-org' });
  private ctrl = new AbortController();
  private orgs: Organisation[] = [];

  constructor(_route: Route) {
    const admin = state.user?.role === 'admin';
    const loggedIn = state.user !== null;
    const orgName = h('input', { type: 'text', required: true, autocomplete: 'off', 'data-testid': 'org-name' });
    const orgForm = h(
      'form',
      {
        class: 'form-inline',
        'data-testid': 'org-form',
        'aria-label': 'Create an organisation',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.run('Organisation created', async () => {
            await api<Organisation>('/api/organisations', { method: 'POST', body: { name: orgName.value.trim() } });
            orgName.value = '';
            await this.loadOrgs();
          });
        },
      },
      field('org-name', 'New organisation', orgName),
      h('div', { class: 'field field-button' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'org-create' }, 'Create organisation')),
    );
    const uName = h('input', { type: 'text', required: true, autocomplete: 'off', 'data-testid': 'user-username' });
    const uPass = h('input', { type: 'password', required: true, autocomplete: 'new-password', minlength: '8', 'data-testid': 'user-password' });
    const uRole = h('select', { 'data-testid': 'user-role' }, ROLES.map((r) => h('option', { value: r }, r)));
    const userForm = h(
      'form',
      {
        class: 'form-inline',
        'data-testid': 'user-form',
        'aria-label': 'Create a user',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.run(`User ${uName.value} created`, async () => {
            const orgId = this.userOrgSel.value ? Number(this.userOrgSel.value) : null;
            await api<User>('/api/users', {
              method: 'POST',
              body: { username: uName.value.trim(), password: uPass.value, role: uRole.value, organisation_id: orgId },
            });
            uName.value = '';
            uPass.value = '';
            await this.loadUsers();
          });
        },
      },
      field('user-username', 'Username', uName),
      field('user-password', 'Password', uPass),
      field('user-role', 'Role', uRole),
      field('user-org', 'Organisation', this.userOrgSel),
      h('div', { class: 'field field-button' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'user-create' }, 'Create user')),
    );
    const tName = h('input', { type: 'text', required: true, autocomplete: 'off', 'data-testid': 'token-name' });
    const tokenForm = h(
      'form',
      {
        class: 'form-inline',
        'data-testid': 'token-form',
        'aria-label': 'Create an API token',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.run('Token created', async () => {
            const t = await api<Token>('/api/tokens', { method: 'POST', body: { name: tName.value.trim() } });
            tName.value = '';
            this.showToken(t);
            await this.loadTokens();
          });
        },
      },
      field('token-name', 'Token name', tName),
      h('div', { class: 'field field-button' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'token-create' }, 'Create token')),
    );
    this.el = h(
      'div',
      { class: 'page', 'data-testid': 'page-admin' },
      h('h2', {}, admin ? 'Administration' : 'API tokens'),
      !loggedIn ? notice('error', 'Please log in.', 'admin-denied') : null,
      loggedIn && !admin ? h('p', { class: 'intro' }, 'Only administrators manage organisations and users; you can manage your own API tokens here.') : null,
      this.status,
      admin ? h('section', { 'aria-labelledby': 'adm-orgs', 'data-testid': 'admin-orgs', class: 'admin-section' }, h('h3', { id: 'adm-orgs' }, 'Organisations'), orgForm, this.orgsEl) : null,
      admin ? h('section', { 'aria-labelledby': 'adm-users', 'data-testid': 'admin-users', class: 'admin-section' }, h('h3', { id: 'adm-users' }, 'Users'), userForm, this.usersEl) : null,
      loggedIn
        ? h(
            'section',
            { 'aria-labelledby': 'adm-tokens', 'data-testid': 'admin-tokens', class: 'admin-section' },
            h('h3', { id: 'adm-tokens' }, 'API tokens'),
            h('p', { class: 'intro' }, 'Scripts authenticate with “Authorization: Bearer <token>”. A token is shown once, when it is created.'),
            tokenForm,
            this.tokenShown,
            this.tokensEl,
          )
        : null,
      admin ? h('section', { 'aria-labelledby': 'adm-audit', 'data-testid': 'admin-audit', class: 'admin-section' }, h('h3', { id: 'adm-audit' }, 'Audit log (newest first)'), this.auditEl) : null,
    );
    if (admin) {
      void this.loadOrgs();
      void this.loadUsers();
      void this.loadAudit();
    }
    if (loggedIn) void this.loadTokens();
  }

  private async run(ok: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
      this.status.replaceChildren(notice('ok', `${ok}.`));
      if (state.user?.role === 'admin') void this.loadAudit();
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
    return this.guarded(this.orgsEl, 'the organisations', async () => {
      this.orgs = await api<Organisation[]>('/api/organisations', { signal: this.ctrl.signal });
      clear(this.orgsEl);
      this.orgsEl.append(
        simpleTable('Organisations', ['ID', 'Name', 'Created'], this.orgs.map((o) => [String(o.id), o.name, fmtDate(o.created_at)]), 'orgs-table'),
      );
      const cur = this.userOrgSel.value;
      clear(this.userOrgSel);
      this.userOrgSel.append(h('option', { value: '' }, '(none)'));
      for (const o of this.orgs) this.userOrgSel.append(h('option', { value: String(o.id) }, o.name));
      this.userOrgSel.value = cur;
    });
  }

  private loadUsers(): Promise<void> {
    return this.guarded(this.usersEl, 'the users', async () => {
      const users = await api<User[]>('/api/users', { signal: this.ctrl.signal });
      clear(this.usersEl);
      this.usersEl.append(
        simpleTable(
          'Users',
          ['ID', 'Username', 'Role', 'Organisation', 'Created', 'State', ''],
          users.map((u) => [
            String(u.id),
            u.username,
            u.role,
            u.organisation?.name ?? '–',
            fmtDate(u.created_at),
            u.disabled ? 'disabled' : 'active',
            u.id === state.user?.id
              ? ''
              : h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn btn-small',
                    'data-testid': `user-toggle-${u.username}`,
                    onclick: () =>
                      void this.run(`User ${u.username} ${u.disabled ? 'enabled' : 'disabled'}`, async () => {
                        await api<User>(`/api/users/${u.id}`, { method: 'PATCH', body: { disabled: !u.disabled } });
                        await this.loadUsers();
                      }),
                  },
                  u.disabled ? 'Enable' : 'Disable',
                ),
          ]),
          'users-table',
        ),
      );
    });
  }

  private showToken(t: Token): void {
    clear(this.tokenShown);
    if (!t.token) return;
    const code = h('code', { class: 'token', 'data-testid': 'token-value' }, t.token);
    const copy = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small',
        onclick: () => {
          void navigator.clipboard?.writeText(t.token ?? '').then(
            () => (copy.textContent = 'Copied'),
            () => (copy.textContent = 'Copy failed: select the text'),
          );
        },
      },
      'Copy',
    );
    this.tokenShown.append(
      h(
        'div',
        { class: 'notice notice-ok', 'data-testid': 'token-once', role: 'status' },
        h('p', {}, `Token “${t.name}” (expires ${fmtDate(t.expires_at ?? null)}) — copy it now, it will not be shown again:`),
        h('p', {}, code, ' ', copy),
      ),
    );
  }

  private loadTokens(): Promise<void> {
    return this.guarded(this.tokensEl, 'the tokens', async () => {
      const tokens = await api<Token[]>('/api/tokens', { signal: this.ctrl.signal });
      clear(this.tokensEl);
      this.tokensEl.append(
        simpleTable(
          'Your API tokens',
          ['ID', 'Name', 'Created', 'Last used', 'Expires', ''],
          tokens.map((t) => [
            String(t.id),
            t.name,
            fmtDate(t.created_at),
            fmtDate(t.last_used_at ?? null),
            t.revoked ? 'revoked' : fmtDate(t.expires_at ?? null),
            t.revoked
              ? ''
              : h(
              'button',
              {
                type: 'button',
                class: 'btn btn-small btn-danger',
                'data-testid': `token-revoke-${t.id}`,
                onclick: () =>
                  void this.run(`Token ${t.name} revoked`, async () => {
                    await api<void>(`/api/tokens/${t.id}`, { method: 'DELETE' });
                    clear(this.tokenShown);
                    await this.loadTokens();
                  }),
              },
              'Revoke',
            ),
          ]),
          'tokens-table',
        ),
      );
    });
  }

  private loadAudit(): Promise<void> {
    return this.guarded(this.auditEl, 'the audit log', async () => {
      const entries = await api<AuditEntry[]>('/api/audit?limit=100', { signal: this.ctrl.signal });
      clear(this.auditEl);
      this.auditEl.append(
        simpleTable(
          'Audit log, latest 100 entries',
          ['ID', 'At', 'Actor', 'Action', 'Detail'],
          entries.map((a) => [String(a.id), fmtDate(a.at), a.actor, a.action, h('span', { class: 'detail' }, detailText(a.detail))]),
          'audit-table',
        ),
      );
    });
  }

  update(_route: Route): void {}

  destroy(): void {
    this.ctrl.abort();
  }
}
