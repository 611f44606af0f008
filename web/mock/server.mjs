#!/usr/bin/env node
// A mock of the cthub HTTP API (docs/API.md) with fixture data generated in code, and a static
// server for web/dist. No dependencies. Usage: node web/mock/server.mjs [--port 8787] [--dist DIR]
// Logins: admin/admin. Everything lives in memory and is lost on exit.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt;
};
const PORT = Number(arg('port', process.env.PORT ?? 8787));
const HOST = arg('host', '127.0.0.1');
const DIST = path.resolve(arg('dist', path.join(here, '..', 'dist')));
// Category labels carrying HTML, for the browser test that tooltips escape what they show.
const HOSTILE = argv.includes('--hostile-labels');

// ------------------------------------------------------------------------------------------
// Fixture population (seeded, deterministic)

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = mulberry32(2002);
const pick = (items) => {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let x = rnd() * total;
  for (const [v, w] of items) {
    x -= w;
    if (x < 0) return v;
  }
  return items[items.length - 1][0];
};

const COUNTRIES = [
  ['UA', '804', 'Ukraine'], ['MD', '498', 'Moldova'], ['RO', '642', 'Romania'], ['PH', '608', 'Philippines'],
  ['KH', '116', 'Cambodia'], ['NG', '566', 'Nigeria'], ['ID', '360', 'Indonesia'], ['NA', '516', 'Namibia'],
  ['BR', '076', 'Brazil'], ['US', '840', 'United States of America'], ['GB', '826', 'United Kingdom'],
  ['IT', '380', 'Italy'], ['DE', '276', 'Germany'], ['RU', '643', 'Russian Federation'],
  ['AE', '784', 'United Arab Emirates'], ['MY', '458', 'Malaysia'], ['TH', '764', 'Thailand'],
  ['PL', '616', 'Poland'], ['VN', '704', 'Viet Nam'], ['GH', '288', 'Ghana'],
].map(([alpha2, numeric, name]) => ({ alpha2, numeric, name }));
const countryName = (a2) => (a2 === '00' ? 'Unknown' : COUNTRIES.find((c) => c.alpha2 === a2)?.name ?? a2);

const ORIGINS = [['UA', 14], ['MD', 8], ['RO', 7], ['PH', 12], ['KH', 6], ['NG', 9], ['ID', 8], ['NA', 2], ['BR', 4], ['VN', 5], ['GH', 3], ['00', 3]];
const DESTS = {
  UA: [['RU', 5], ['PL', 4], ['DE', 2], ['UA', 3]], MD: [['RU', 4], ['RO', 2], ['IT', 2], ['MD', 1]],
  RO: [['GB', 4], ['IT', 4], ['DE', 3], ['RO', 2]], PH: [['AE', 5], ['MY', 3], ['US', 2], ['PH', 3]],
  KH: [['TH', 6], ['MY', 3], ['KH', 2]], NG: [['IT', 5], ['GB', 2], ['GH', 1], ['NG', 3]],
  ID: [['MY', 6], ['AE', 2], ['ID', 3]], NA: [['NA', 3], ['DE', 1]], BR: [['US', 3], ['IT', 1], ['BR', 3]],
  VN: [['GB', 3], ['RU', 1], ['VN', 2]], GH: [['GH', 2], ['AE', 1], ['GB', 1]], '00': [['US', 2], ['GB', 1], ['00', 1]],
};
for (const c of COUNTRIES) if (!DESTS[c.alpha2]) DESTS[c.alpha2] = [[c.alpha2, 1]];

const SEXES = [['Female', 'Female'], ['Male', 'Male'], ['Transgender', 'Transgender / non-conforming']];
const BANDS = ['0--8', '9--17', '18--20', '21--23', '24--26', '27--29', '30--38', '39--47', '48+'];
const HOSTILE_PREFIX = '<img src=x onerror="window.__xss=(window.__xss||0)+1">';
const GROUPS = {
  exploitation_type: {
    title: 'Type of exploitation', what: 'type of exploitation', filterable: true,
    cats: [['sexual', 'Sexual exploitation'], ['forced_labour', 'Forced labour'], ['forced_marriage', 'Forced marriage'], ['slavery', 'Slavery and similar practices'], ['other', 'Other exploitation']],
  },
  labour_sector: {
    title: 'Sector of forced labour', what: 'sector of forced labour',
    cats: [['agriculture', 'Agriculture'], ['construction', 'Construction'], ['domestic_work', 'Domestic work'], ['manufacturing', 'Manufacturing'], ['fishing', 'Fishing'], ['hospitality', 'Hospitality']],
  },
  sex_exploitation_type: {
    title: 'Type of sexual exploitation', what: 'type of sexual exploitation',
    cats: [['prostitution', 'Prostitution'], ['pornography', 'Pornography'], ['remote_interactive', 'Remote interactive services'], ['private', 'Private sexual services']],
  },
  means_of_control: {
    title: 'Means of control', what: 'means of control',
    cats: [['debt_bondage', 'Debt bondage'], ['takes_earnings', 'Takes earnings'], ['threats', 'Threats'], ['physical_abuse', 'Physical abuse'], ['sexual_abuse', 'Sexual abuse'], ['restricts_movement', 'Restricts movement'], ['false_promises', 'False promises'], ['psychoactive', 'Psychoactive substances'], ['withholds_documents', 'Withholds documents']],
  },
  recruiter_relation: {
    title: 'Relation to the recruiter', what: 'relation to the recruiter',
    cats: [['intimate_partner', 'Intimate partner'], ['friend', 'Friend'], ['family', 'Family member'], ['other', 'Other']],
  },
};
if (HOSTILE) for (const g of Object.values(GROUPS)) for (const c of g.cats) c[1] = HOSTILE_PREFIX + c[1];
const DATA_SOURCES = [['case_management', 'Case management'], ['hotline', 'Hotline']];

const PERSONS = [];
for (let i = 0; i < 6000; i++) {
  const year = 2015 + Math.floor(Math.pow(rnd(), 0.8) * 9);
  const sex = pick([['Female', 68], ['Male', 30], ['Transgender', 1], [null, 1]]);
  const band = rnd() < 0.08 ? null : pick(BANDS.map((b, j) => [b, [3, 14, 12, 14, 13, 11, 17, 9, 6][j]]));
  const citizenship = pick(ORIGINS);
  const country = pick(DESTS[citizenship]);
  const flags = {};
  const sexual = rnd() < (sex === 'Female' ? 0.6 : 0.12);
  const labour = !sexual || rnd() < 0.12;
  const expl = [];
  if (sexual) expl.push('sexual');
  if (labour) expl.push('forced_labour');
  if (rnd() < 0.04) expl.push('forced_marriage');
  if (rnd() < 0.02) expl.push('slavery');
  if (rnd() < 0.03) expl.push('other');
  flags.exploitation_type = rnd() < 0.05 ? [] : expl;
  flags.labour_sector = labour && rnd() < 0.8 ? [pick(GROUPS.labour_sector.cats.map(([k], j) => [k, [5, 4, 6, 3, 2, 2][j]]))] : [];
  flags.sex_exploitation_type = sexual && rnd() < 0.85 ? [pick(GROUPS.sex_exploitation_type.cats.map(([k], j) => [k, [8, 1, 1, 2][j]]))] : [];
  flags.means_of_control = rnd() < 0.3 ? [] : GROUPS.means_of_control.cats.map(([k]) => k).filter((_, j) => rnd() < [0.2, 0.35, 0.4, 0.3, 0.15, 0.35, 0.3, 0.1, 0.2][j]);
  flags.recruiter_relation = rnd() < 0.55 ? [] : [pick(GROUPS.recruiter_relation.cats.map(([k], j) => [k, [3, 4, 2, 3][j]]))];
  const data_source = rnd() < 0.7 ? 'case_management' : 'hotline';
  PERSONS.push({ id: i, year, sex, band, citizenship, country, flags, data_source });
}

// ------------------------------------------------------------------------------------------
// In-memory state

const now = () => new Date().toISOString();
const T0 = '2026-01-15T10:00:00Z';
const db = {
  orgs: [{ id: 1, name: 'Shelter A', created_at: T0 }],
  users: [
    { id: 1, username: 'admin', password: 'admin', role: 'admin', organisation_id: null, disabled: false, created_at: T0 },
    { id: 2, username: 'analyst', password: 'analyst-pass', role: 'analyst', organisation_id: null, disabled: false, created_at: T0 },
  ],
  sessions: new Map(), // sid -> {userId, csrf}
  tokens: [], // {id, userId, name, hash, created_at, last_used_at}
  failures: new Map(), // user|ip -> [times]
  audit: [],
  uploads: [],
  contributions: [
    { id: 1, organisation_id: 1, file_name: 'demo-cases.csv', imported_at: T0, imported_by: 'admin', rows: 6000, accepted: 6000, quarantined: 0, sha256: crypto.createHash('sha256').update('demo').digest('hex') },
  ],
  releases: [
    { id: 1, kind: 'aggregates', title: 'DP aggregates, ε = 1', created_at: '2026-02-01T09:00:00Z', created_by: 'admin', published: true, epsilon: 1, delta: 1e-6, k: null, records: null },
    { id: 2, kind: 'kanon', title: 'k-anonymous case table, k = 11', created_at: '2026-02-03T09:00:00Z', created_by: 'admin', published: true, epsilon: null, delta: null, k: 11, records: 5806 },
    { id: 3, kind: 'synthetic', title: 'DP synthetic records, ε = 2', created_at: '2026-03-01T09:00:00Z', created_by: 'admin', published: false, epsilon: 2, delta: 1e-6, k: null, records: 6000 },
  ],
  charges: [
    { id: 1, at: '2026-02-01T09:00:00Z', rho: 0.0195, purpose: 'release 1: DP aggregates', actor: 'admin' },
    { id: 2, at: '2026-03-01T09:00:00Z', rho: 0.0766, purpose: 'release 3: DP synthetic records', actor: 'admin' },
  ],
  next: { org: 2, user: 3, token: 1, audit: 1, upload: 1, contribution: 2 },
};
function audit(actor, action, detail) {
  db.audit.push({ id: db.next.audit++, at: now(), actor, action, detail });
}
audit('admin', 'store.init', { store: 'sqlite' });
audit('admin', 'contribution.import', { contribution: 1, rows: 6000 });

const publicUser = (u) => {
  const o = db.orgs.find((x) => x.id === u.organisation_id);
  return { id: u.id, username: u.username, role: u.role, organisation: o ? { id: o.id, name: o.name } : null, disabled: u.disabled, created_at: u.created_at };
};

// ------------------------------------------------------------------------------------------
// Sources and indicators

function sourcesFor(user) {
  const all = [
    { id: 'store', kind: 'store', label: 'Store (all contributions)', dp: false, published: false, records: PERSONS.length },
    ...db.releases.map((r) => ({ id: `release-${r.id}`, kind: r.kind, label: `Release ${r.id}: ${r.title}`, dp: r.epsilon !== null, published: r.published, records: r.records })),
  ];
  const role = user?.role;
  return all.filter((s) => {
    if (s.kind === 'store') return role === 'admin' || role === 'analyst';
    if (s.published) return true;
    return role === 'admin' || role === 'analyst';
  });
}

function hashNoise(str) {
  // Deterministic pseudo-Gaussian noise from a string (sum of uniforms).
  const h = crypto.createHash('sha256').update(str).digest();
  let s = 0;
  for (let i = 0; i < 6; i++) s += h.readUInt16LE(i * 2) / 65535;
  return (s - 3) * Math.sqrt(2);
}

function filterPersons(src, q) {
  const ints = (k) => (q.get(k) === null || q.get(k) === '' ? null : Number(q.get(k)));
  const yf = ints('year_from');
  const yt = ints('year_to');
  for (const [k, v] of [['year_from', yf], ['year_to', yt]]) {
    if (v !== null && !Number.isInteger(v)) throw httpError(400, 'bad_request', `${k} must be a year, got “${q.get(k)}”`);
  }
  const eq = (k) => q.get(k) || null;
  const sex = eq('sex'), band = eq('age_band'), expl = eq('exploitation'), cit = eq('citizenship'), ctry = eq('country'), ds = eq('data_source');
  let base = PERSONS;
  if (src.kind === 'kanon') base = PERSONS.filter((p) => p.id % 31 !== 0); // suppressed records
  return base.filter(
    (p) =>
      (yf === null || p.year >= yf) && (yt === null || p.year <= yt) && (!sex || p.sex === sex) && (!band || p.band === band) &&
      (!expl || p.flags.exploitation_type.includes(expl)) && (!cit || p.citizenship === cit) && (!ctry || p.country === ctry) && (!ds || p.data_source === ds),
  );
}

function indicator(id, src, q) {
  const persons = filterPersons(src, q);
  const appliedFilters = {};
  for (const k of ['year_from', 'year_to', 'sex', 'age_band', 'exploitation', 'citizenship', 'country', 'data_source']) if (q.get(k)) appliedFilters[k] = q.get(k);
  const dp = src.dp;
  const sigma = src.kind === 'synthetic' ? 6 : 9;
  const noisy = (n, salt) => (dp ? Math.max(0, Math.round(n + sigma * hashNoise(`${src.id}|${id}|${q.toString()}|${salt}`))) : n);
  const row = (key, label, count, key2 = null, label2 = null, denom = null) => {
    const c = noisy(count, `${key}|${key2}`);
    const hw = Math.round(1.96 * sigma);
    return { key, label, key2, label2, count: c, share: denom ? c / denom : null, lower: dp ? Math.max(0, c - hw) : null, upper: dp ? c + hw : null };
  };
  const population = noisy(persons.length, 'population');
  let kind;
  let rows = [];
  let denominator = null;
  let rule = null;
  let title;
  const count = (fn) => {
    const m = new Map();
    for (const p of persons) for (const k of [].concat(fn(p))) if (k !== null && k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
    return m;
  };
  if (id === 'by_year') {
    kind = 'series';
    title = 'Victims by year of registration';
    const m = count((p) => p.year);
    const yf = Number(q.get('year_from') || 2015), yt = Number(q.get('year_to') || 2023);
    for (let y = Math.max(2015, yf); y <= Math.min(2023, yt); y++) rows.push(row(String(y), String(y), m.get(y) ?? 0));
  } else if (id === 'sex_age') {
    kind = 'matrix';
    title = 'Victims by sex and age band';
    const m = count((p) => `${p.sex ?? 'Unknown'}|${p.band ?? 'unknown'}`);
    for (const [sk, sl] of [...SEXES, ['Unknown', 'Unknown']]) {
      for (const b of [...BANDS, 'unknown']) {
        const n = m.get(`${sk}|${b}`) ?? 0;
        if (!dp && n === 0) continue;
        if (sk === 'Unknown' && b === 'unknown' && n === 0) continue;
        rows.push(row(sk, sl, n, b, b === 'unknown' ? 'Unknown' : b.replace('--', '–')));
      }
    }
  } else if (GROUPS[id]) {
    kind = 'categories';
    const g = GROUPS[id];
    title = g.title;
    const withAny = persons.filter((p) => p.flags[id].length > 0);
    denominator = noisy(withAny.length, 'denominator');
    rule = `share of persons with any recorded ${g.what}`;
    const m = count((p) => p.flags[id]);
    rows = g.cats.map(([k, l]) => row(k, l, m.get(k) ?? 0, null, null, denominator || 1));
  } else if (id === 'by_country' || id === 'by_citizenship') {
    kind = 'categories';
    title = id === 'by_country' ? 'Victims by country of exploitation' : 'Victims by citizenship';
    const m = count((p) => (id === 'by_country' ? p.country : p.citizenship));
    rows = [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => row(k, countryName(k), n));
  } else if (id === 'flows') {
    kind = 'flows';
    title = 'Flows: citizenship → country of exploitation';
    const m = count((p) => `${p.citizenship}|${p.country}`);
    rows = [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => {
      const [a, b] = k.split('|');
      return row(a, countryName(a), n, b, countryName(b));
    });
  } else {
    throw httpError(404, 'not_found', `no indicator “${id}”`);
  }
  const notes = [];
  if (dp) notes.push(`Noise: discrete Gaussian, σ ≈ ${sigma}; intervals are 95%.`);
  if (src.kind === 'kanon') notes.push('k-anonymous table (k = 11): 194 records were suppressed.');
  return { id, title, kind, source: src.id, dp, filters: appliedFilters, population, denominator, denominator_rule: rule, rows, notes };
}

const INDICATORS = [
  ['by_year', 'Victims by year of registration', 'series'], ['sex_age', 'Victims by sex and age band', 'matrix'],
  ...Object.entries(GROUPS).map(([k, g]) => [k, g.title, 'categories']),
  ['by_citizenship', 'Victims by citizenship', 'categories'], ['by_country', 'Victims by country of exploitation', 'categories'],
  ['flows', 'Flows: citizenship → country of exploitation', 'flows'],
].map(([id, title, kind]) => ({ id, title, kind }));

function filtersFor() {
  const present = (fn) => [...new Set(PERSONS.map(fn))].filter((x) => x !== null).sort();
  return {
    year: { min: 2015, max: 2023 },
    sex: SEXES.map(([key, label]) => ({ key, label })),
    age_band: BANDS.map((b) => ({ key: b, label: b.replace('--', '–') })),
    exploitation: GROUPS.exploitation_type.cats.map(([key, label]) => ({ key, label })),
    citizenship: present((p) => p.citizenship).filter((c) => c !== '00').map((key) => ({ key, label: countryName(key) })),
    country: present((p) => p.country).filter((c) => c !== '00').map((key) => ({ key, label: countryName(key) })),
    data_source: DATA_SOURCES.map(([key, label]) => ({ key, label })),
  };
}

function releaseFiles(r) {
  const base = r.kind === 'aggregates' ? 'aggregates' : r.kind === 'kanon' ? 'kanon' : 'synthetic';
  return [
    { name: `${base}.csv`, media_type: 'text/csv' },
    { name: `${base}.parquet`, media_type: 'application/vnd.apache.parquet' },
    { name: 'report.json', media_type: 'application/json' },
    { name: 'report.html', media_type: 'text/html' },
  ].map((f) => ({ ...f, bytes: fileBody(r, f.name).length }));
}
function fileBody(r, name) {
  if (name.endsWith('.csv')) {
    const ind = indicator('flows', { id: `release-${r.id}`, kind: r.kind, dp: r.epsilon !== null }, new URLSearchParams());
    return Buffer.from(['citizenship,country,count,lower,upper', ...ind.rows.map((x) => `${x.key},${x.key2},${x.count},${x.lower ?? ''},${x.upper ?? ''}`)].join('\n') + '\n');
  }
  if (name.endsWith('.parquet')) return Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64), Buffer.from('PAR1')]);
  if (name === 'report.json') return Buffer.from(JSON.stringify({ release: r.id, kind: r.kind, epsilon: r.epsilon, delta: r.delta, k: r.k }, null, 2));
  if (name === 'report.html') return Buffer.from(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Release ${r.id} report</title></head><body><h1>Release ${r.id}: ${r.title}</h1><p>Mock report.</p></body></html>`);
  return null;
}
const releaseOut = (r) => ({ ...r, files: releaseFiles(r) });

function ledger() {
  const budget = 0.4487; // ε 10 at δ 1e-6
  const spent = db.charges.reduce((s, c) => s + c.rho, 0);
  const eps = (rho) => rho + 2 * Math.sqrt(rho * Math.log(1 / 1e-6));
  return [
    {
      dataset: 'store', description: 'All contributions in the store (person-level)', budget_rho: budget, spent_rho: Number(spent.toFixed(6)),
      epsilon: { delta: 1e-6, budget: Number(eps(budget).toFixed(4)), spent: Number(eps(spent).toFixed(4)) }, charges: db.charges,
    },
    { dataset: 'glotip', description: 'GLOTIP country statistics (public, no DP)', budget_rho: 0, spent_rho: 0, epsilon: null, charges: [] },
  ];
}

// ------------------------------------------------------------------------------------------
// Uploads: a small validator

function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(cell); cell = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); rows.push(row); row = []; cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows.filter((r) => r.some((c) => c.trim() !== ''));
}

function validate(buf) {
  const text = buf.toString('utf8').replace(/^\uFEFF/, '');
  const table = parseCsv(text);
  if (table.length === 0) throw httpError(400, 'bad_request', 'the file is empty');
  const header = table[0].map((h) => h.trim());
  const col = (...names) => header.findIndex((h) => names.includes(h.toLowerCase()));
  const cYear = col('yearofregistration', 'year');
  const cSex = col('gender', 'sex');
  const cAge = col('agebroad', 'age_band');
  const cCit = col('citizenship');
  const cCtry = col('countryofexploitation', 'country');
  if ([cYear, cSex, cAge, cCit, cCtry].every((c) => c < 0)) throw httpError(400, 'bad_request', `unrecognised layout: no known column in the header (${header.slice(0, 6).join(', ')})`);
  const issues = [];
  let quarantined = 0;
  const known = new Set(COUNTRIES.map((c) => c.alpha2).concat(['00']));
  table.slice(1).forEach((r, i) => {
    const rowNo = i + 2;
    let bad = false;
    const err = (c, rule, message, severity = 'error') => {
      issues.push({ row: rowNo, column: header[c], value: r[c] ?? '', rule, severity, message });
      if (severity === 'error') bad = true;
    };
    if (cYear >= 0) {
      const v = (r[cYear] ?? '').trim();
      if (v === '') err(cYear, 'missing', 'year of registration is empty', 'warning');
      else if (!/^\d{4}$/.test(v) || Number(v) < 1990 || Number(v) > 2030) err(cYear, 'year_range', 'year must be between 1990 and 2030');
    }
    if (cSex >= 0) {
      const v = (r[cSex] ?? '').trim();
      if (v && !['female', 'male', 'transgender', 'man', 'woman', 'unknown', '-99'].includes(v.toLowerCase())) err(cSex, 'vocabulary', `“${v}” is not a gender of the standard`);
    }
    if (cAge >= 0) {
      const v = (r[cAge] ?? '').trim();
      if (v && !BANDS.includes(v) && !['-99', 'Unknown'].includes(v)) err(cAge, 'vocabulary', `“${v}” is not a CTDC age band`);
    }
    for (const c of [cCit, cCtry]) {
      if (c < 0) continue;
      const v = (r[c] ?? '').trim();
      if (v && !known.has(v.toUpperCase())) err(c, 'country_code', `“${v}” is not an ISO 3166 alpha-2 code`);
    }
    if (bad) quarantined++;
  });
  const rows = table.length - 1;
  return {
    summary: { rows, accepted: rows - quarantined, quarantined, errors: issues.filter((x) => x.severity === 'error').length, warnings: issues.filter((x) => x.severity !== 'error').length },
    issues,
  };
}

function parseMultipart(buf, contentType) {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  if (!m) throw httpError(400, 'bad_request', 'expected multipart/form-data with a boundary');
  const boundary = Buffer.from(`--${m[1] ?? m[2]}`);
  const parts = [];
  let pos = buf.indexOf(boundary);
  while (pos >= 0) {
    const start = pos + boundary.length;
    if (buf.slice(start, start + 2).toString() === '--') break;
    const headEnd = buf.indexOf('\r\n\r\n', start);
    if (headEnd < 0) break;
    const head = buf.slice(start + 2, headEnd).toString('utf8');
    const next = buf.indexOf(boundary, headEnd + 4);
    if (next < 0) break;
    const body = buf.slice(headEnd + 4, next - 2);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    const filename = /filename="([^"]*)"/i.exec(head)?.[1];
    parts.push({ name, filename, body });
    pos = next;
  }
  return parts;
}

const uploadOut = (u, withIssues = true) => {
  const o = db.orgs.find((x) => x.id === u.organisation_id);
  const out = {
    id: u.id, organisation: { id: o.id, name: o.name }, file_name: u.file_name, bytes: u.bytes, uploaded_by: u.uploaded_by, uploaded_at: u.uploaded_at,
    status: u.status, summary: u.summary, issues_total: u.issues.length, contribution_id: u.contribution_id,
  };
  if (withIssues) out.issues = u.issues.slice(0, 500);
  return out;
};
const contributionOut = (c) => ({ ...c, organisation: db.orgs.find((o) => o.id === c.organisation_id)?.name ?? '?', organisation_id: undefined });

// ------------------------------------------------------------------------------------------
// HTTP

class HttpError extends Error {
  constructor(status, code, message, headers = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}
const httpError = (status, code, message, headers) => new HttpError(status, code, message, headers);

function send(res, status, body, headers = {}) {
  if (body === undefined || status === 204) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const isBuf = Buffer.isBuffer(body) || typeof body === 'string';
  const data = isBuf ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': isBuf ? 'application/octet-stream' : 'application/json', ...headers });
  res.end(data);
}

function readBody(req, limit = 20 * 1024 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (c) => {
      n += c.length;
      if (n > limit) {
        reject(httpError(413, 'payload_too_large', `the body is larger than ${limit} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
async function json(req) {
  const b = await readBody(req);
  try {
    return b.length ? JSON.parse(b.toString('utf8')) : {};
  } catch {
    throw httpError(400, 'bad_request', 'the body is not valid JSON');
  }
}

function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

function authenticate(req) {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) {
    const hash = crypto.createHash('sha256').update(auth.slice(7)).digest('hex');
    const t = db.tokens.find((x) => x.hash === hash);
    const u = t && db.users.find((x) => x.id === t.userId && !x.disabled);
    if (!u) throw httpError(401, 'unauthorized', 'unknown or revoked API token');
    t.last_used_at = now();
    return { user: u, via: 'token' };
  }
  const sid = cookies(req).cthub_session;
  const s = sid && db.sessions.get(sid);
  const u = s && db.users.find((x) => x.id === s.userId && !x.disabled);
  if (!u) return { user: null, via: null, sid: null };
  return { user: u, via: 'cookie', sid, session: s };
}

function requireRole(ctx, ...roles) {
  if (!ctx.user) throw httpError(401, 'unauthorized', 'log in first');
  if (roles.length && !roles.includes(ctx.user.role)) throw httpError(403, 'forbidden', `this needs the role ${roles.join(' or ')}`);
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2' };
function serveStatic(req, res, pathname) {
  let file = path.join(DIST, path.normalize(decodeURIComponent(pathname)).replace(/^(\.\.[/\\])+/, ''));
  if (!file.startsWith(DIST) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(DIST, 'index.html');
  if (!fs.existsSync(file)) return send(res, 503, 'web/dist is not built: run `npm run build` in web/', { 'Content-Type': 'text/plain' });
  const immutable = file.includes(`${path.sep}assets${path.sep}`);
  res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' });
  fs.createReadStream(file).pipe(res);
}

async function handleApi(req, res, url, ctx) {
  const p = url.pathname;
  const m = req.method;
  const seg = p.split('/').filter(Boolean); // ['api', ...]
  const u = ctx.user;
  if (['POST', 'PATCH', 'DELETE'].includes(m) && ctx.via === 'cookie' && !(p === '/api/session' && m === 'POST')) {
    if (req.headers['x-csrf-token'] !== ctx.session.csrf) throw httpError(403, 'csrf', 'missing or wrong X-CSRF-Token header');
  }
  const sourceOf = () => {
    const id = url.searchParams.get('source') || sourcesFor(u)[0]?.id;
    const s = sourcesFor(u).find((x) => x.id === id);
    if (!s) throw httpError(404, 'not_found', `no source “${id}” visible to you`);
    return s;
  };
  const visibleRelease = (id) => {
    const r = db.releases.find((x) => String(x.id) === id);
    if (!r || (!r.published && !['admin', 'analyst'].includes(u?.role))) throw httpError(404, 'not_found', `no release ${id}`);
    return r;
  };
  const ownUpload = (id) => {
    requireRole(ctx, 'admin', 'contributor');
    const up = db.uploads.find((x) => String(x.id) === id);
    if (!up || (u.role !== 'admin' && up.organisation_id !== u.organisation_id)) throw httpError(404, 'not_found', `no upload ${id}`);
    return up;
  };

  if (p === '/api/health' && m === 'GET') return send(res, 200, { status: 'ok' });
  if (p === '/api/ready' && m === 'GET') return send(res, 200, { status: 'ready', store: 'mock' });
  if (p === '/api/openapi.json' && m === 'GET') return send(res, 200, { openapi: '3.0.3', info: { title: 'cthub (mock)', version: '0' }, paths: {} });
  if (p === '/api/session') {
    if (m === 'GET') return send(res, 200, { user: u ? publicUser(u) : null, csrf_token: ctx.via === 'cookie' ? ctx.session.csrf : null });
    if (m === 'POST') {
      const body = await json(req);
      const key = `${body.username}|${req.socket.remoteAddress}`;
      const recent = (db.failures.get(key) ?? []).filter((t) => Date.now() - t < 15 * 60 * 1000);
      if (recent.length >= 5) throw httpError(429, 'too_many_requests', 'too many failed logins: try again later', { 'Retry-After': '900' });
      const user = db.users.find((x) => x.username === body.username && x.password === body.password && !x.disabled);
      if (!user) {
        recent.push(Date.now());
        db.failures.set(key, recent);
        throw httpError(401, 'unauthorized', 'wrong username or password');
      }
      db.failures.delete(key);
      const sid = crypto.randomBytes(24).toString('base64url');
      const csrf = crypto.randomBytes(24).toString('base64url');
      db.sessions.set(sid, { userId: user.id, csrf });
      audit(user.username, 'session.login', {});
      return send(res, 200, { user: publicUser(user), csrf_token: csrf }, { 'Set-Cookie': `cthub_session=${sid}; Path=/; HttpOnly; SameSite=Strict` });
    }
    if (m === 'DELETE') {
      requireRole(ctx);
      if (ctx.sid) db.sessions.delete(ctx.sid);
      audit(u.username, 'session.logout', {});
      return send(res, 204, undefined, { 'Set-Cookie': 'cthub_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0' });
    }
  }
  if (p === '/api/sources' && m === 'GET') return send(res, 200, sourcesFor(u));
  if (p === '/api/filters' && m === 'GET') {
    sourceOf();
    return send(res, 200, filtersFor());
  }
  if (p === '/api/indicators' && m === 'GET') return send(res, 200, INDICATORS);
  if (seg[1] === 'indicators' && seg.length === 3 && m === 'GET') return send(res, 200, indicator(seg[2], sourceOf(), url.searchParams));
  if (p === '/api/countries' && m === 'GET') return send(res, 200, COUNTRIES);
  if (p === '/api/releases' && m === 'GET') {
    return send(res, 200, db.releases.filter((r) => r.published || ['admin', 'analyst'].includes(u?.role)).map(releaseOut));
  }
  if (seg[1] === 'releases' && seg.length === 3 && m === 'GET') return send(res, 200, releaseOut(visibleRelease(seg[2])));
  if (seg[1] === 'releases' && seg[3] === 'files' && seg.length === 5 && m === 'GET') {
    const r = visibleRelease(seg[2]);
    const name = decodeURIComponent(seg[4]);
    const f = releaseFiles(r).find((x) => x.name === name);
    if (!f) throw httpError(404, 'not_found', `release ${r.id} has no file “${name}”`);
    const inline = name === 'report.html';
    return send(res, 200, fileBody(r, name), { 'Content-Type': f.media_type, 'Content-Disposition': `${inline ? 'inline' : 'attachment'}; filename="${name}"` });
  }
  if (seg[1] === 'releases' && seg[3] === 'publish' && m === 'POST') {
    requireRole(ctx, 'admin');
    const r = db.releases.find((x) => String(x.id) === seg[2]);
    if (!r) throw httpError(404, 'not_found', `no release ${seg[2]}`);
    r.published = true;
    audit(u.username, 'release.publish', { release: r.id });
    return send(res, 200, releaseOut(r));
  }
  if (p === '/api/ledger' && m === 'GET') return send(res, 200, ledger());
  if (p === '/api/sql' && m === 'POST') {
    requireRole(ctx, 'analyst', 'admin');
    return send(res, 200, { columns: ['n'], rows: [[PERSONS.length]], truncated: false });
  }
  if (p === '/api/contributions' && m === 'GET') {
    requireRole(ctx, 'admin', 'contributor');
    const list = db.contributions.filter((c) => u.role === 'admin' || c.organisation_id === u.organisation_id);
    return send(res, 200, list.map(contributionOut).reverse());
  }
  if (p === '/api/uploads' && m === 'POST') {
    requireRole(ctx, 'admin', 'contributor');
    let orgId = u.organisation_id;
    if (u.role === 'admin') {
      orgId = Number(url.searchParams.get('organisation'));
      if (!db.orgs.some((o) => o.id === orgId)) throw httpError(400, 'bad_request', 'an admin must choose the organisation: ?organisation=<id>');
    }
    if (!orgId) throw httpError(403, 'forbidden', 'your account belongs to no organisation');
    const parts = parseMultipart(await readBody(req), req.headers['content-type']);
    const file = parts.find((x) => x.name === 'file');
    if (!file) throw httpError(400, 'bad_request', 'no multipart field “file”');
    const { summary, issues } = validate(file.body);
    const up = {
      id: db.next.upload++, organisation_id: orgId, file_name: file.filename || 'upload', bytes: file.body.length, uploaded_by: u.username,
      uploaded_at: now(), status: 'validated', summary, issues, contribution_id: null, sha256: crypto.createHash('sha256').update(file.body).digest('hex'),
    };
    db.uploads.push(up);
    audit(u.username, 'upload.validate', { upload: up.id, rows: summary.rows, quarantined: summary.quarantined });
    return send(res, 201, uploadOut(up));
  }
  if (p === '/api/uploads' && m === 'GET') {
    requireRole(ctx, 'admin', 'contributor');
    return send(res, 200, db.uploads.filter((x) => u.role === 'admin' || x.organisation_id === u.organisation_id).map((x) => uploadOut(x, false)).reverse());
  }
  if (seg[1] === 'uploads' && seg.length === 3 && m === 'GET') return send(res, 200, uploadOut(ownUpload(seg[2])));
  if (seg[1] === 'uploads' && seg[3] === 'report.csv' && m === 'GET') {
    const up = ownUpload(seg[2]);
    const esc = (v) => (/[",\n\r]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
    const lines = ['row,column,value,rule,severity,message', ...up.issues.map((i) => [i.row, i.column, i.value, i.rule, i.severity, i.message].map(esc).join(','))];
    return send(res, 200, lines.join('\r\n') + '\r\n', { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="upload-${up.id}-report.csv"` });
  }
  if (seg[1] === 'uploads' && (seg[3] === 'commit' || seg[3] === 'discard') && m === 'POST') {
    const up = ownUpload(seg[2]);
    if (up.status !== 'validated') throw httpError(409, 'conflict', `upload ${up.id} is already ${up.status}`);
    if (seg[3] === 'commit') {
      const dup = db.contributions.find((c) => c.sha256 === up.sha256 && c.organisation_id === up.organisation_id);
      const c = dup ?? {
        id: db.next.contribution++, organisation_id: up.organisation_id, file_name: up.file_name, imported_at: now(), imported_by: u.username,
        rows: up.summary.rows, accepted: up.summary.accepted, quarantined: up.summary.quarantined, sha256: up.sha256,
      };
      if (!dup) db.contributions.push(c);
      up.status = 'committed';
      up.contribution_id = c.id;
      audit(u.username, 'upload.commit', { upload: up.id, contribution: c.id });
    } else {
      up.status = 'discarded';
      audit(u.username, 'upload.discard', { upload: up.id });
    }
    return send(res, 200, uploadOut(up));
  }
  if (p === '/api/organisations') {
    requireRole(ctx, 'admin');
    if (m === 'GET') return send(res, 200, db.orgs);
    if (m === 'POST') {
      const body = await json(req);
      const name = String(body.name ?? '').trim();
      if (!name) throw httpError(400, 'bad_request', 'the organisation needs a name');
      if (db.orgs.some((o) => o.name === name)) throw httpError(409, 'conflict', `an organisation “${name}” exists already`);
      const o = { id: db.next.org++, name, created_at: now() };
      db.orgs.push(o);
      audit(u.username, 'organisation.create', { id: o.id, name });
      return send(res, 201, o);
    }
  }
  if (p === '/api/users') {
    requireRole(ctx, 'admin');
    if (m === 'GET') return send(res, 200, db.users.map(publicUser));
    if (m === 'POST') {
      const b = await json(req);
      const username = String(b.username ?? '').trim();
      if (!/^[A-Za-z0-9._@-]{2,64}$/.test(username)) throw httpError(400, 'bad_request', 'the username must be 2–64 letters, digits or . _ @ -');
      if (typeof b.password !== 'string' || b.password.length < 8) throw httpError(400, 'bad_request', 'the password must have at least 8 characters');
      if (!['admin', 'contributor', 'analyst', 'investigator'].includes(b.role)) throw httpError(400, 'bad_request', `unknown role “${b.role}”`);
      const orgId = b.organisation_id === null || b.organisation_id === undefined ? null : Number(b.organisation_id);
      if (orgId !== null && !db.orgs.some((o) => o.id === orgId)) throw httpError(400, 'bad_request', `no organisation ${orgId}`);
      if (b.role === 'contributor' && orgId === null) throw httpError(400, 'bad_request', 'a contributor belongs to an organisation');
      if (db.users.some((x) => x.username === username)) throw httpError(409, 'conflict', `the username “${username}” is taken`);
      const nu = { id: db.next.user++, username, password: b.password, role: b.role, organisation_id: orgId, disabled: false, created_at: now() };
      db.users.push(nu);
      audit(u.username, 'user.create', { id: nu.id, username, role: nu.role });
      return send(res, 201, publicUser(nu));
    }
  }
  if (seg[1] === 'users' && seg.length === 3 && m === 'PATCH') {
    requireRole(ctx, 'admin');
    const t = db.users.find((x) => String(x.id) === seg[2]);
    if (!t) throw httpError(404, 'not_found', `no user ${seg[2]}`);
    const b = await json(req);
    if (b.disabled !== undefined) t.disabled = Boolean(b.disabled);
    if (b.password !== undefined) t.password = String(b.password);
    if (b.role !== undefined) t.role = b.role;
    audit(u.username, 'user.update', { id: t.id, disabled: t.disabled });
    return send(res, 200, publicUser(t));
  }
  if (p === '/api/tokens') {
    requireRole(ctx);
    const out = (t) => ({ id: t.id, name: t.name, created_at: t.created_at, last_used_at: t.last_used_at });
    if (m === 'GET') return send(res, 200, db.tokens.filter((t) => t.userId === u.id).map(out));
    if (m === 'POST') {
      const b = await json(req);
      const name = String(b.name ?? '').trim();
      if (!name) throw httpError(400, 'bad_request', 'the token needs a name');
      const token = `cthub_${crypto.randomBytes(24).toString('base64url')}`;
      const t = { id: db.next.token++, userId: u.id, name, hash: crypto.createHash('sha256').update(token).digest('hex'), created_at: now(), last_used_at: null };
      db.tokens.push(t);
      audit(u.username, 'token.create', { id: t.id, name });
      return send(res, 201, { ...out(t), token });
    }
  }
  if (seg[1] === 'tokens' && seg.length === 3 && m === 'DELETE') {
    requireRole(ctx);
    const i = db.tokens.findIndex((t) => String(t.id) === seg[2] && (t.userId === u.id || u.role === 'admin'));
    if (i < 0) throw httpError(404, 'not_found', `no token ${seg[2]}`);
    db.tokens.splice(i, 1);
    audit(u.username, 'token.revoke', { id: Number(seg[2]) });
    return send(res, 204);
  }
  if (p === '/api/audit' && m === 'GET') {
    requireRole(ctx, 'admin');
    const limit = Math.min(1000, Number(url.searchParams.get('limit') ?? 100) || 100);
    return send(res, 200, [...db.audit].reverse().slice(0, limit));
  }
  throw httpError(404, 'not_found', `no route ${m} ${p}`);
}

const server = http.createServer(async (req, res) => {
  const requestId = crypto.randomBytes(8).toString('hex');
  res.setHeader('x-request-id', requestId);
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  if (!url.pathname.startsWith('/api/') && url.pathname !== '/api') return serveStatic(req, res, url.pathname);
  try {
    const ctx = authenticate(req);
    await handleApi(req, res, url, ctx);
  } catch (e) {
    const err = e instanceof HttpError ? e : httpError(500, 'internal', `internal error: ${e?.message ?? e}`);
    if (!(e instanceof HttpError)) console.error(e);
    send(res, err.status, { error: { code: err.code, message: err.message, request_id: requestId } }, err.headers);
  }
});
server.listen(PORT, HOST, () => {
  const a = server.address();
  console.log(`mock cthub listening on http://${HOST}:${a.port} (serving ${DIST})`);
});
