#!/usr/bin/env node
// End-to-end check of the cthub dashboard in a headless Chromium (playwright-core, system browser).
//
//   node web/e2e/dashboard.mjs --base http://127.0.0.1:PORT --admin USER:PASSWORD \
//        --upload FILE_WITH_ERRORS.csv --shots DIR [--chromium /usr/bin/chromium] [--timeout 30000]
//
// Prints a JSON summary and exits 0 when every check passes; prints "E2E FAILED: <reason>" to
// stderr and exits 1 on the first deviation (a screenshot of the failing page is saved as
// DIR/failure.png).
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { chromium, request as pwRequest } from 'playwright-core';

// ------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument “${a}”`);
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
    out[a.slice(2)] = v;
    i++;
  }
  return out;
}

const USAGE = 'usage: node web/e2e/dashboard.mjs --base URL --admin USER:PASSWORD --upload FILE.csv --shots DIR [--linkage "ORG=encodings.json;ORG=encodings.json"]';
let args;
try {
  args = parseArgs(process.argv.slice(2));
  for (const k of ['base', 'admin', 'upload', 'shots']) if (!args[k]) throw new Error(`missing --${k}`);
  if (!args.admin.includes(':')) throw new Error('--admin must be USER:PASSWORD');
  if (!fs.existsSync(args.upload)) throw new Error(`--upload file ${args.upload} does not exist`);
  if (args.linkage) {
    args.linkage = args.linkage.split(';').map((kv) => {
      const at = kv.lastIndexOf('=');
      if (at < 1) throw new Error(`--linkage item “${kv}” is not ORG=FILE`);
      const [org, file] = [kv.slice(0, at), kv.slice(at + 1)];
      if (!fs.existsSync(file)) throw new Error(`--linkage file ${file} does not exist`);
      return { org, file };
    });
    if (args.linkage.length < 2) throw new Error('--linkage needs two organisations');
  }
} catch (e) {
  console.error(`E2E FAILED: ${e.message}\n${USAGE}`);
  process.exit(1);
}
const BASE = args.base.replace(/\/+$/, '');
const [ADMIN_USER, ...rest] = args.admin.split(':');
const ADMIN_PASS = rest.join(':');
const UPLOAD = path.resolve(args.upload);
const SHOTS = path.resolve(args.shots);
const TIMEOUT = Number(args.timeout ?? 30000);
const EXECUTABLE = args.chromium ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
fs.mkdirSync(SHOTS, { recursive: true });

const FILTER_KEYS = ['year_from', 'year_to', 'sex', 'age_band', 'exploitation', 'citizenship', 'country', 'data_source'];
const rand = crypto.randomBytes(4).toString('hex');
const started = Date.now();
const summary = { ok: false, base: BASE, pages: {}, filter: null, csv: null, admin: null, release: null, linkage: null, contributor: null, access: null, screenshots: [] };
let step = 'start';

class Deviation extends Error {}
function check(cond, msg) {
  if (!cond) throw new Deviation(msg);
}
function log(msg) {
  process.stderr.write(`[e2e ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);
}

// ------------------------------------------------------------------------------------------
// Helpers that run against a page

const pageErrors = [];
const consoleErrors = [];

function watch(page, label) {
  page.on('pageerror', (e) => pageErrors.push(`${label}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const t = m.text();
    // The browser logs every non-2xx fetch; the deliberate 401/403 checks produce those.
    if (/Failed to load resource/i.test(t)) return;
    consoleErrors.push(`${label}: ${t}`);
  });
}

async function goto(page, hash) {
  await page.goto(`${BASE}/${hash}`, { waitUntil: 'domcontentloaded' });
}

async function clickNav(page, id) {
  await page.locator(`[data-testid="nav-${id}"]`).click();
  await page.locator(`[data-testid="page-${id}"]`).waitFor({ timeout: TIMEOUT });
}

/** Waits until every chart card of the page has rendered (or failed, which is a deviation). */
async function waitForCharts(page, pageId, { matchHash = true } = {}) {
  await page.locator(`[data-testid="page-${pageId}"]`).waitFor({ timeout: TIMEOUT });
  const deadline = Date.now() + TIMEOUT;
  let last = null;
  while (Date.now() < deadline) {
    last = await page.evaluate(
      ({ pageId, matchHash, FILTER_KEYS }) => {
        const root = document.querySelector(`[data-testid="page-${pageId}"]`);
        const cards = [...root.querySelectorAll('[data-testid^="chart-"]')];
        const raw = location.hash.replace(/^#\/?/, '');
        const hashParams = new URLSearchParams(raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : '');
        const out = { count: cards.length, pending: [], errors: [], sizes: [] };
        for (const c of cards) {
          const id = c.getAttribute('data-testid');
          const st = c.getAttribute('data-state');
          if (st === 'error') out.errors.push(`${id}: ${c.querySelector('.chart-status')?.textContent ?? 'error'}`);
          if (st !== 'ready') {
            out.pending.push(`${id} (${st})`);
            continue;
          }
          const api = c.getAttribute('data-api') ?? '';
          if (matchHash && api.startsWith('/api/indicators/') && !id.startsWith('chart-profile-')) {
            const q = new URL(api, location.origin).searchParams;
            for (const k of ['source', ...FILTER_KEYS]) {
              if ((q.get(k) ?? '') !== (hashParams.get(k) ?? '')) {
                out.pending.push(`${id} (query ${k}=${q.get(k)} but URL ${k}=${hashParams.get(k)})`);
                break;
              }
            }
          }
          const label = c.querySelector('[role="img"]')?.getAttribute('aria-label') ?? '';
          if (!label.trim()) out.errors.push(`${id}: the chart has no aria-label`);
          const canvas = c.querySelector('canvas');
          const r = canvas?.getBoundingClientRect();
          out.sizes.push({ id, w: r ? Math.round(r.width) : 0, h: r ? Math.round(r.height) : 0 });
        }
        return out;
      },
      { pageId, matchHash, FILTER_KEYS },
    );
    if (last.errors.length) throw new Deviation(`chart failed to load on ${pageId}: ${last.errors.join('; ')}`);
    if (last.count > 0 && last.pending.length === 0) break;
    await page.waitForTimeout(150);
  }
  check(last && last.count > 0, `no chart found on page ${pageId}`);
  check(last.pending.length === 0, `charts on ${pageId} did not render within ${TIMEOUT} ms: ${last.pending.join(', ')}`);
  for (const s of last.sizes) check(s.w > 0 && s.h > 0, `${s.id} on ${pageId} has no canvas of non-zero size (${s.w}×${s.h})`);
  return last.sizes;
}

/** Opens the table view of a chart and checks it has exactly the rows the API returns. */
async function checkTable(page, chartId) {
  const card = page.locator(`[data-testid="chart-${chartId}"]`);
  const toggle = page.locator(`[data-testid="table-toggle-${chartId}"]`);
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  const table = page.locator(`[data-testid="table-${chartId}"]`);
  await table.waitFor({ state: 'visible', timeout: TIMEOUT });
  const apiUrl = await card.getAttribute('data-api');
  check(apiUrl, `chart-${chartId} does not say which API URL it shows (data-api)`);
  const result = await page.evaluate(
    async ({ chartId, apiUrl }) => {
      const rows = [...document.querySelectorAll(`[data-testid="table-${chartId}"] tbody tr`)].map((tr) => {
        const cells = {};
        for (const c of tr.querySelectorAll('[data-col]')) cells[c.getAttribute('data-col')] = c.getAttribute('data-value');
        return { key: tr.getAttribute('data-key'), key2: tr.getAttribute('data-key2'), cells };
      });
      const caption = document.querySelector(`[data-testid="table-${chartId}"] caption`)?.textContent ?? '';
      const headers = [...document.querySelectorAll(`[data-testid="table-${chartId}"] thead th`)].map((t) => t.getAttribute('scope'));
      const res = await fetch(apiUrl, { credentials: 'same-origin' });
      const body = await res.json();
      return { rows, caption, headers, status: res.status, body };
    },
    { chartId, apiUrl },
  );
  check(result.status === 200, `GET ${apiUrl} answered ${result.status}`);
  check(result.caption.trim().length > 0, `table-${chartId} has no caption`);
  check(result.headers.every((s) => s === 'col'), `table-${chartId} header cells lack scope="col"`);
  const num = (v) => (v === null || v === undefined || v === '' ? null : Number(v));
  if (apiUrl.startsWith('/api/indicators/')) {
    const api = result.body.rows;
    check(Array.isArray(api), `GET ${apiUrl} has no rows array`);
    check(result.rows.length === api.length, `table-${chartId} has ${result.rows.length} rows, the API ${api.length} (${apiUrl})`);
    api.forEach((r, i) => {
      const t = result.rows[i];
      check(t.key === String(r.key), `table-${chartId} row ${i + 1}: key ${t.key} ≠ API ${r.key}`);
      check((t.key2 ?? null) === (r.key2 === null || r.key2 === undefined ? null : String(r.key2)), `table-${chartId} row ${i + 1}: key2 ${t.key2} ≠ API ${r.key2}`);
      check(num(t.cells.count) === r.count, `table-${chartId} row ${i + 1} (${r.key}${r.key2 ? '/' + r.key2 : ''}): count ${t.cells.count} ≠ API ${r.count}`);
      if (r.share !== null && r.share !== undefined) check(Math.abs(num(t.cells.share) - r.share) < 1e-9, `table-${chartId} row ${i + 1}: share ${t.cells.share} ≠ API ${r.share}`);
      if (result.body.dp) {
        check(num(t.cells.lower) === r.lower && num(t.cells.upper) === r.upper, `table-${chartId} row ${i + 1}: interval ${t.cells.lower}–${t.cells.upper} ≠ API ${r.lower}–${r.upper}`);
      }
    });
    return { api: apiUrl, rows: api.length, dp: Boolean(result.body.dp) };
  }
  if (apiUrl === '/api/ledger') {
    const api = result.body;
    check(result.rows.length === api.length, `table-${chartId} has ${result.rows.length} rows, /api/ledger ${api.length}`);
    api.forEach((a, i) => {
      const t = result.rows[i];
      check(t.key === a.dataset, `ledger row ${i + 1}: dataset ${t.key} ≠ API ${a.dataset}`);
      check(num(t.cells.budget_rho) === a.budget_rho && num(t.cells.spent_rho) === a.spent_rho, `ledger row ${i + 1}: ρ ${t.cells.spent_rho}/${t.cells.budget_rho} ≠ API ${a.spent_rho}/${a.budget_rho}`);
    });
    return { api: apiUrl, rows: api.length };
  }
  throw new Deviation(`chart-${chartId}: unexpected data-api ${apiUrl}`);
}

async function shot(page, name) {
  const file = path.join(SHOTS, name);
  await page.screenshot({ path: file, fullPage: false });
  summary.screenshots.push(file);
}

function hashParams(url) {
  const h = new URL(url).hash.replace(/^#\/?/, '');
  return new URLSearchParams(h.includes('?') ? h.slice(h.indexOf('?') + 1) : '');
}

async function login(page, user, pass) {
  await page.locator('[data-testid="nav-login"]').click();
  await page.locator('[data-testid="login-form"]').waitFor({ timeout: TIMEOUT });
  await page.locator('[data-testid="login-username"]').fill(user);
  await page.locator('[data-testid="login-password"]').fill(pass);
  await page.locator('[data-testid="login-submit"]').click();
  const who = page.locator('[data-testid="session-user"]');
  const err = page.locator('[data-testid="login-status"] .notice-error');
  await Promise.race([who.waitFor({ timeout: TIMEOUT }), err.waitFor({ timeout: TIMEOUT })]).catch(() => {});
  if (await err.count()) throw new Deviation(`login as ${user} failed: ${await err.textContent()}`);
  check(await who.count(), `login as ${user}: the header does not show the user`);
  const text = await who.textContent();
  check(text.includes(user), `after login the header shows “${text}”, not ${user}`);
}

async function logout(page) {
  await page.locator('[data-testid="logout"]').click();
  await page.locator('[data-testid="nav-login"]').waitFor({ timeout: TIMEOUT });
}

async function download(page, locator, saveAs) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: TIMEOUT }), locator.click()]);
  const file = path.join(SHOTS, saveAs);
  await dl.saveAs(file);
  const failure = await dl.failure();
  check(!failure, `download ${saveAs} failed: ${failure}`);
  return { file, suggested: dl.suggestedFilename(), text: fs.readFileSync(file, 'utf8') };
}

function csvLines(text) {
  return text.split(/\r?\n/).filter((l) => l.length > 0);
}

async function waitText(locator, re, what) {
  const deadline = Date.now() + TIMEOUT;
  let t = '';
  while (Date.now() < deadline) {
    t = (await locator.count()) ? ((await locator.first().textContent()) ?? '') : '';
    if (re.test(t)) return t;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Deviation(`${what}: expected ${re}, got “${t.slice(0, 200)}”`);
}

async function statusError(page, testid) {
  const n = page.locator(`[data-testid="${testid}"] .notice-error`);
  return (await n.count()) ? await n.first().textContent() : null;
}

// ------------------------------------------------------------------------------------------
// The scenario

async function run(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  watch(page, 'dashboard');
  globalThis.__page = page;

  // 1. Public pages.
  step = 'public pages';
  await goto(page, '#/overview');
  const tableFor = { overview: 'by_year', exploitation: 'exploitation_type', flows: 'flows', releases: 'ledger' };
  for (const id of ['overview', 'exploitation', 'flows', 'releases']) {
    step = `public ${id}`;
    log(step);
    if (id !== 'overview') await clickNav(page, id);
    check(!(await page.locator('[data-testid="session-user"]').count()), 'the public user appears logged in');
    const sizes = await waitForCharts(page, id);
    const table = await checkTable(page, tableFor[id]);
    if (id === 'flows') {
      summary.pages.flows_map = await checkTable(page, 'map');
      // The country profile, opened with the keyboard-accessible picker (the map click sets the same URL).
      step = 'country profile';
      const keys = await page.locator('[data-testid="table-map"] tbody tr[data-key]').evaluateAll((trs) => trs.map((t) => t.getAttribute('data-key')));
      check(keys.length > 0, 'the map table has no country row');
      const pick = page.locator('[data-testid="profile-pick"]');
      const offered = await pick.locator('option').evaluateAll((os) => os.map((o) => o.value));
      const first = keys.find((k) => offered.includes(k));
      check(first, `none of the map's countries (${keys.slice(0, 5).join(', ')}…) is offered by the profile picker`);
      {
        await pick.selectOption(first);
        await page.waitForFunction((c) => new URLSearchParams(location.hash.split('?')[1] ?? '').get('profile') === c, first, { timeout: TIMEOUT });
        await page.locator('[data-testid="country-profile"] [data-testid="chart-profile-country-by_year"]').waitFor({ timeout: TIMEOUT });
        await waitForCharts(page, 'flows');
        const prof = await checkTable(page, 'profile-country-by_year');
        const profOut = await checkTable(page, 'profile-citizenship-flows');
        check(new URL(prof.api, BASE).searchParams.get('country') === first, `the profile's by_year request is ${prof.api}`);
        check(new URL(profOut.api, BASE).searchParams.get('citizenship') === first, `the profile's outward flows request is ${profOut.api}`);
        summary.pages.flows_profile = { country: first, by_year: prof, flows_out: profOut };
        await page.locator('[data-testid="country-profile"]').scrollIntoViewIfNeeded();
        await shot(page, 'flows-profile-public.png');
      }
    }
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, `${id}-public.png`);
    summary.pages[id] = { charts: sizes.length, table };
  }
  step = 'public overview narrow';
  log(step);
  await page.setViewportSize({ width: 390, height: 844 });
  await clickNav(page, 'overview');
  await waitForCharts(page, 'overview');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `at 390×844 the overview scrolls sideways by ${overflow}px`);
  await shot(page, 'overview-narrow-public.png');
  await page.setViewportSize({ width: 1280, height: 800 });

  // 1b. A synthetic source states, beside its flows, how far they can be trusted.
  step = 'flows reliability';
  log(step);
  const synthSource = await page.evaluate(async () => (await (await fetch('/api/sources')).json()).find((s) => s.kind === 'synthetic') ?? null);
  check(synthSource?.flows?.fabricated, `the synthetic source carries no flows statement: ${JSON.stringify(synthSource)}`);
  await goto(page, `#/flows?source=${synthSource.id}`);
  await page.locator('[data-testid="page-flows"]').waitFor({ timeout: TIMEOUT });
  const flowsNote = await waitText(page.locator('[data-testid="flows-reliability"]'), new RegExp(`flows the data does not contain: ${synthSource.flows.fabricated}`), 'the note beside the synthetic flows');
  summary.pages.flows_reliability = flowsNote.trim();
  await goto(page, '#/overview');
  await page.locator('[data-testid="page-overview"]').waitFor({ timeout: TIMEOUT });

  // 2. A filter set through the UI.
  step = 'filter';
  log(step);
  const sel = page.locator('[data-testid="filter-sex"]');
  if (!(await sel.isVisible())) await page.locator('[data-testid="filter-toggle"]').click();
  const options = await sel.locator('option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  check(options.length > 0, 'the sex filter offers no option');
  const value = options.find((o) => /^female$/i.test(o)) ?? options[0];
  const before = page.url();
  await sel.selectOption(value);
  await page.waitForFunction((v) => new URLSearchParams(location.hash.split('?')[1] ?? '').get('sex') === v, value, { timeout: TIMEOUT });
  check(page.url() !== before && hashParams(page.url()).get('sex') === value, `the URL did not get sex=${value}: ${page.url()}`);
  await waitForCharts(page, 'overview');
  const filtered = await checkTable(page, 'by_year');
  check(new URL(filtered.api, BASE).searchParams.get('sex') === value, `the by_year request after the filter is ${filtered.api}`);
  const matrix = await checkTable(page, 'sex_age');
  summary.filter = { sex: value, url: page.url(), by_year: filtered, sex_age: matrix };

  // 3. A chart's CSV.
  step = 'chart csv';
  log(step);
  const dl = await download(page, page.locator('[data-testid="csv-by_year"]'), 'by_year.csv');
  const lines = csvLines(dl.text);
  const header = lines[0].split(',');
  check(header.includes('label') && header.includes('count') && header.includes('key'), `by_year.csv header is “${lines[0]}”`);
  if (filtered.dp) check(header.includes('lower') && header.includes('upper'), `by_year.csv of a DP source lacks lower/upper: “${lines[0]}”`);
  check(lines.length - 1 === filtered.rows, `by_year.csv has ${lines.length - 1} rows, the API ${filtered.rows}`);
  summary.csv = { file: dl.suggested, header: lines[0], rows: lines.length - 1 };

  // 4. Admin: organisations, a contributor, a token.
  step = 'admin login';
  log(step);
  await login(page, ADMIN_USER, ADMIN_PASS);
  await clickNav(page, 'admin');
  const org = `e2e-org-${rand}`;
  const other = `e2e-other-${rand}`;
  for (const name of [org, other]) {
    step = `create organisation ${name}`;
    await page.locator('[data-testid="org-name"]').fill(name);
    await page.locator('[data-testid="org-create"]').click();
    await waitText(page.locator('[data-testid="orgs-table"]'), new RegExp(name), `organisation ${name} in the list`).catch(async (e) => {
      throw new Deviation(`${e.message}${(await statusError(page, 'admin-status')) ? ` — ${await statusError(page, 'admin-status')}` : ''}`);
    });
  }
  step = 'create contributor';
  const cuser = `e2e-contrib-${rand}`;
  const cpass = crypto.randomBytes(12).toString('base64url');
  await page.locator('[data-testid="user-username"]').fill(cuser);
  await page.locator('[data-testid="user-password"]').fill(cpass);
  await page.locator('[data-testid="user-role"]').selectOption('contributor');
  await page.locator('[data-testid="user-org"]').selectOption({ label: org });
  await page.locator('[data-testid="user-create"]').click();
  await waitText(page.locator('[data-testid="users-table"]'), new RegExp(cuser), `user ${cuser} in the list`).catch(async (e) => {
    throw new Deviation(`${e.message}${(await statusError(page, 'admin-status')) ? ` — ${await statusError(page, 'admin-status')}` : ''}`);
  });
  step = 'create token';
  const tname = `e2e-token-${rand}`;
  await page.locator('[data-testid="token-name"]').fill(tname);
  await page.locator('[data-testid="token-create"]').click();
  const tokenEl = page.locator('[data-testid="token-value"]');
  await tokenEl.waitFor({ timeout: TIMEOUT }).catch(async () => {
    throw new Deviation(`the new token is not displayed${(await statusError(page, 'admin-status')) ? `: ${await statusError(page, 'admin-status')}` : ''}`);
  });
  const token = ((await tokenEl.textContent()) ?? '').trim();
  check(/^cthub_\S{8,}$/.test(token), `the displayed token “${token.slice(0, 12)}…” does not look like cthub_…`);
  await waitText(page.locator('[data-testid="tokens-table"]'), new RegExp(tname), `token ${tname} in the list`);
  const tokensTable = (await page.locator('[data-testid="tokens-table"]').textContent()) ?? '';
  check(!tokensTable.includes(token), 'the token list shows the secret token');
  await page.locator('[data-testid="admin-tokens"]').scrollIntoViewIfNeeded();
  await shot(page, 'admin.png');
  // Shown once: after a reload of the page the secret is gone.
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.locator('[data-testid="page-admin"]').waitFor({ timeout: TIMEOUT });
  await waitText(page.locator('[data-testid="tokens-table"]'), new RegExp(tname), `token ${tname} in the list after a reload`);
  check((await page.locator('[data-testid="token-value"]').count()) === 0, 'the token is displayed again after a reload');
  check(!((await page.content()).includes(token)), 'the secret token is still in the page after a reload');
  // The token works for scripts (no cookie, no CSRF header).
  const api = await pwRequest.newContext({ baseURL: BASE });
  const tr = await api.get('/api/session', { headers: { Authorization: `Bearer ${token}` } });
  const tbody = tr.ok() ? await tr.json() : null;
  check(tr.ok() && tbody?.user?.username === ADMIN_USER, `GET /api/session with the new token answered ${tr.status()} ${JSON.stringify(tbody)}`);
  await api.dispose();
  summary.admin = { organisations: [org, other], contributor: cuser, token_name: tname, token_shown_once: true };

  // 4a. A DP release started from the Releases page: charged, registered, published, listed.
  step = 'release from the hub';
  log(step);
  await clickNav(page, 'releases');
  await page.locator('[data-testid="new-release-form"]').waitFor({ timeout: TIMEOUT });
  const rowsBefore = await page.locator('[data-testid="releases-table"] tbody tr').count();
  await page.locator('[data-testid="new-release-kind"]').selectOption('aggregates');
  await page.locator('[data-testid="new-release-epsilon"]').fill('0.5');
  await page.locator('[data-testid="new-release-columns"]').fill('yearOfRegistration, gender, citizenship');
  await page.locator('[data-testid="new-release-publish"]').check();
  await page.locator('[data-testid="new-release-submit"]').click();
  const made = await waitText(page.locator('[data-testid="new-release-done"], [data-testid="new-release-error"]'), /made|refused/, 'the release outcome');
  check(/Release \d+ made \(published\)/.test(made), `the release from the hub: ${made}`);
  const releaseId = Number(/Release (\d+)/.exec(made)[1]);
  await page.locator(`[data-testid="release-${releaseId}-report"]`).waitFor({ timeout: TIMEOUT });
  const rowsAfter = await page.locator('[data-testid="releases-table"] tbody tr').count();
  check(rowsAfter === rowsBefore + 1, `the releases table has ${rowsAfter} rows, expected ${rowsBefore + 1}`);
  await waitText(page.locator('[data-testid="charges-store"]'), /DP aggregates of 3 columns, length 3, epsilon 0.5/, 'the charge in the ledger');
  // Over the budget: refused with the ledger's words, nothing added.
  await page.locator('[data-testid="new-release-epsilon"]').fill('10');
  await page.locator('[data-testid="new-release-submit"]').click();
  const refused = await waitText(page.locator('[data-testid="new-release-error"]'), /refused/, 'the refusal of an overspending release');
  check(/exceeded/.test(refused), `an overspending release: ${refused}`);
  check((await page.locator('[data-testid="releases-table"] tbody tr').count()) === rowsAfter, 'a refused release was listed');
  await shot(page, 'release-from-hub.png');
  summary.release = { id: releaseId, refused_over_budget: true };

  // 4b. Linkage (hub operator): both organisations' encodings, a run, the review queue.
  if (args.linkage) {
    step = 'linkage';
    log(step);
    await clickNav(page, 'linkage');
    for (const { org: name, file } of args.linkage) {
      step = `linkage submission of ${name}`;
      await page.locator('[data-testid="linkage-org"] option', { hasText: name }).first().waitFor({ state: 'attached', timeout: TIMEOUT });
      await page.locator('[data-testid="linkage-org"]').selectOption({ label: name });
      await page.locator('[data-testid="linkage-file"]').setInputFiles(file);
      await page.locator('[data-testid="linkage-submit"]').click();
      await waitText(page.locator('[data-testid="linkage-submissions-table"]'), new RegExp(name), `the submission of ${name} in the list`).catch(async (e) => {
        throw new Deviation(`${e.message}${(await statusError(page, 'linkage-status')) ? ` — ${await statusError(page, 'linkage-status')}` : ''}`);
      });
    }
    step = 'linkage run';
    await page.locator('[data-testid="linkage-match"]').fill('0.95');
    await page.locator('[data-testid="linkage-review-threshold"]').fill('0.5');
    await page.locator('[data-testid="linkage-blocking"]').uncheck();
    await page.locator('[data-testid="linkage-run-button"]').click();
    await page.locator('[data-testid="linkage-facts"]').waitFor({ timeout: TIMEOUT }).catch(async () => {
      throw new Deviation(`no run facts after “Run linkage”${(await statusError(page, 'linkage-status')) ? `: ${await statusError(page, 'linkage-status')}` : ''}`);
    });
    const num = async (id) => Number((((await page.locator(`[data-testid="${id}"]`).textContent()) ?? '').match(/[\d,]+/)?.[0] ?? 'NaN').replace(/,/g, ''));
    const persons = await num('linkage-persons');
    const several = await num('linkage-in-several');
    // maria/maria and olga/olga link; john/jon is uncertain; amina and peter stand alone.
    check(several === 2, `the run shows ${several} persons known to two organisations, expected 2`);
    check(persons === 6, `the run shows ${persons} persons, expected 6 (8 records, 2 linked pairs)`);
    const shared = (await page.locator('[data-testid="linkage-shared-table"] tbody td').allTextContents()).join(' | ').replace(/\s+/g, ' ');
    check(args.linkage.every(({ org: name }) => shared.includes(name)) && /\b2\b/.test(shared), `the overlap table reads “${shared}”`);
    step = 'linkage review';
    const rows = page.locator('[data-testid="linkage-review-table"] tbody tr:not(:has(td.empty))');
    await rows.first().waitFor({ timeout: TIMEOUT });
    const queued = await rows.count();
    const texts = await rows.allTextContents();
    const john = texts.findIndex((t) => /record:2/.test(t) && /P-2/.test(t));
    check(john >= 0, `john/jon (record:2, P-2) is not in the review queue: ${texts.join(' | ')}`);
    check(/uncertain/.test(texts[john]), `john/jon is queued as “${texts[john]}”, expected uncertain`);
    await page.locator('[data-testid="linkage-review"]').scrollIntoViewIfNeeded();
    await shot(page, 'linkage.png');
    await page.locator(`[data-testid="review-accept-${john}"]`).click();
    await waitText(page.locator('[data-testid="linkage-status"]'), /accepted/, 'the status after “Same person”');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="linkage-review-table"] tbody tr:not(:has(td.empty))').length === n - 1, queued, { timeout: TIMEOUT }).catch(() => {
      throw new Deviation('the accepted pair is still in the pending review queue');
    });
    await page.locator('[data-testid="linkage-show-decided"]').check();
    await waitText(page.locator('[data-testid="linkage-review-table"]'), /accept by user:admin/, 'the decided pair with its decision');
    // The next run follows the decision: john/jon become one person.
    step = 'linkage second run';
    await page.locator('[data-testid="linkage-run-button"]').click();
    await page.waitForFunction(() => /^3\b/.test(document.querySelector('[data-testid="linkage-in-several"]')?.textContent ?? ''), null, { timeout: TIMEOUT }).catch(async () => {
      throw new Deviation(`after accepting john/jon the next run shows “${await page.locator('[data-testid="linkage-in-several"]').textContent()}” persons in several organisations, expected 3`);
    });
    summary.linkage = { persons, persons_in_several: several, review_queued: queued, accepted: 'record:2 ~ P-2', next_run_in_several: 3 };
  }

  // A contribution of the other organisation, so the contributor's view can be checked for leaks.
  step = 'other organisation contribution';
  const otherContribution = await page.evaluate(
    async ({ other, csv }) => {
      const s = await (await fetch('/api/session')).json();
      const orgs = await (await fetch('/api/organisations')).json();
      const o = orgs.find((x) => x.name === other);
      const fd = new FormData();
      fd.append('file', new Blob([csv], { type: 'text/csv' }), 'e2e-other.csv');
      const up = await fetch(`/api/uploads?organisation=${o.id}`, { method: 'POST', body: fd, headers: { 'X-CSRF-Token': s.csrf_token } });
      const ub = await up.json();
      if (up.status !== 201) return { error: `upload ${up.status}: ${ub?.error?.message}` };
      const cm = await fetch(`/api/uploads/${ub.id}/commit`, { method: 'POST', headers: { 'X-CSRF-Token': s.csrf_token } });
      const cb = await cm.json();
      return cm.ok ? { upload: ub.id, contribution: cb.contribution_id } : { error: `commit ${cm.status}: ${cb?.error?.message}` };
    },
    { other, csv: csvLines(fs.readFileSync(UPLOAD, 'utf8')).slice(0, 2).join('\n') + `\n` },
  );
  check(!otherContribution.error, `admin upload for ${other} via the API: ${otherContribution.error}`);
  await logout(page);

  // 5. The contributor uploads, reads the report, commits.
  step = 'contributor login';
  log(step);
  await login(page, cuser, cpass);
  await clickNav(page, 'contribute');
  step = 'upload';
  await page.locator('[data-testid="upload-file"]').setInputFiles(UPLOAD);
  await page.locator('[data-testid="upload-submit"]').click();
  const report = page.locator('[data-testid="upload-report"]');
  await report.waitFor({ state: 'visible', timeout: TIMEOUT }).catch(async () => {
    throw new Deviation(`no validation report after the upload${(await statusError(page, 'contribute-status')) ? `: ${await statusError(page, 'contribute-status')}` : ''}`);
  });
  const quarantined = Number(await page.locator('[data-testid="summary-quarantined"] [data-value]').getAttribute('data-value'));
  const errors = Number(await page.locator('[data-testid="summary-errors"] [data-value]').getAttribute('data-value'));
  const issueRows = await page.locator('[data-testid="issues-table"] tbody tr:not(:has(td.empty))').count();
  check(quarantined > 0, `the report summary shows quarantined = ${quarantined}, expected > 0`);
  check(errors > 0, `the report summary shows errors = ${errors}, expected > 0`);
  check(issueRows > 0, 'the issues table has no row');
  const firstIssue = await page.locator('[data-testid="issues-table"] tbody tr').first().locator('td').allTextContents();
  check(firstIssue.length === 6 && /^\d+$/.test(firstIssue[0].trim()), `an issue row is “${firstIssue.join(' | ')}”, expected row, column, value, rule, severity, message`);
  step = 'report csv';
  const rep = await download(page, page.locator('[data-testid="report-csv"]'), 'upload-report.csv');
  const repLines = csvLines(rep.text);
  check(/row/i.test(repLines[0]) && /column/i.test(repLines[0]), `the report CSV header is “${repLines[0]}”`);
  check(repLines.length - 1 >= issueRows, `the report CSV has ${repLines.length - 1} issues, the page ${issueRows}`);
  step = 'commit';
  await page.locator('[data-testid="upload-commit"]').click();
  await waitText(page.locator('[data-testid="upload-status"]'), /committed/, 'upload status after commit').catch(async (e) => {
    throw new Deviation(`${e.message}${(await statusError(page, 'contribute-status')) ? ` — ${await statusError(page, 'contribute-status')}` : ''}`);
  });
  const fileName = path.basename(UPLOAD);
  await waitText(page.locator('[data-testid="contributions-table"]'), new RegExp(fileName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the new contribution in the list');
  await shot(page, 'contribute.png');
  summary.contributor = { user: cuser, organisation: org, quarantined, errors, issues_shown: issueRows, report_csv_issues: repLines.length - 1 };

  // 6. Access from the contributor's session.
  step = 'contributor access';
  log(step);
  const access = await page.evaluate(async () => {
    const st = async (u) => (await fetch(u)).status;
    const c = await fetch('/api/contributions');
    return { users: await st('/api/users'), audit: await st('/api/audit'), contributions: c.status, list: c.ok ? await c.json() : null };
  });
  check(access.users === 403, `GET /api/users as a contributor answered ${access.users}, expected 403`);
  check(access.audit === 403, `GET /api/audit as a contributor answered ${access.audit}, expected 403`);
  check(access.contributions === 200 && Array.isArray(access.list), `GET /api/contributions as a contributor answered ${access.contributions}`);
  const orgOf = (c) => (typeof c.organisation === 'string' ? c.organisation : c.organisation?.name);
  const foreign = access.list.filter((c) => orgOf(c) !== org);
  check(foreign.length === 0, `GET /api/contributions as a contributor of ${org} lists other organisations: ${foreign.map((c) => `${c.id} (${orgOf(c)})`).join(', ')}`);
  check(access.list.some((c) => c.file_name === fileName), `GET /api/contributions does not list the committed ${fileName}`);
  check(!access.list.some((c) => c.id === otherContribution.contribution), `the contributor sees ${other}'s contribution ${otherContribution.contribution}`);
  summary.access = { users: access.users, audit: access.audit, contributions: access.list.length };

  // 7. No page errors anywhere.
  check(pageErrors.length === 0, `page errors: ${pageErrors.join(' | ')}`);
  check(consoleErrors.length === 0, `console errors: ${consoleErrors.join(' | ')}`);
  await context.close();
}

let browser;
let code = 0;
try {
  browser = await chromium.launch({
    executablePath: EXECUTABLE,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  await run(browser);
  summary.ok = true;
  summary.duration_ms = Date.now() - started;
  console.log(JSON.stringify(summary, null, 2));
} catch (e) {
  code = 1;
  const reason = e instanceof Deviation ? e.message : `${e?.name ?? 'Error'}: ${e?.message ?? e}`;
  console.error(`E2E FAILED at step “${step}”: ${reason}`);
  if (pageErrors.length) console.error(`page errors so far: ${pageErrors.join(' | ')}`);
  try {
    if (globalThis.__page) await globalThis.__page.screenshot({ path: path.join(SHOTS, 'failure.png') });
  } catch {
    /* the page may be gone */
  }
} finally {
  await browser?.close().catch(() => {});
}
process.exit(code);
