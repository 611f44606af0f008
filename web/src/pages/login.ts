import { api, errorMessage } from '../api';
import { h, notice } from '../dom';
import { navigate, type Route } from '../router';
import { state } from '../state';
import type { SessionInfo } from '../types';
import type { Page } from './page';

export class LoginPage implements Page {
  readonly el: HTMLElement;
  private route: Route;

  constructor(route: Route) {
    this.route = route;
    const user = h('input', { type: 'text', id: 'login-username', name: 'username', autocomplete: 'username', required: true, 'data-testid': 'login-username' });
    const pass = h('input', { type: 'password', id: 'login-password', name: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'login-password' });
    const status = h('div', { 'aria-live': 'assertive', 'data-testid': 'login-status' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'login-submit' }, 'Log in');
    const form = h(
      'form',
      {
        class: 'form-stack',
        'data-testid': 'login-form',
        'aria-labelledby': 'login-title',
        onsubmit: async (e: Event) => {
          e.preventDefault();
          submit.disabled = true;
          status.replaceChildren(notice('info', 'Logging in…'));
          try {
            const s = await api<SessionInfo>('/api/session', { method: 'POST', body: { username: user.value, password: pass.value } });
            pass.value = '';
            await state.setSession(s);
            const next = this.route.params.get('next');
            navigate(next && /^[a-z]+$/.test(next) ? next : 'overview');
          } catch (err) {
            status.replaceChildren(notice('error', `Login failed: ${errorMessage(err)}`));
            submit.disabled = false;
          }
        },
      },
      h('div', { class: 'field' }, h('label', { for: 'login-username' }, 'Username'), user),
      h('div', { class: 'field' }, h('label', { for: 'login-password' }, 'Password'), pass),
      submit,
      status,
    );
    this.el = h(
      'div',
      { class: 'page page-narrow', 'data-testid': 'page-login' },
      h('h2', { id: 'login-title' }, 'Log in'),
      state.user ? h('p', {}, `You are logged in as ${state.user.username}. Logging in again switches the account.`) : null,
      h('p', { class: 'intro' }, 'Public pages need no account. Contributors, analysts and administrators log in here.'),
      form,
    );
  }

  update(route: Route): void {
    this.route = route;
  }

  destroy(): void {}
}
