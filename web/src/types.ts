// Shapes of the cthub HTTP API (docs/API.md).

export type Role = 'admin' | 'contributor' | 'analyst' | 'investigator';

export interface OrgRef {
  id: number;
  name: string;
}

export interface User {
  id: number;
  username: string;
  role: Role;
  organisation: OrgRef | null;
  disabled: boolean;
  created_at: string;
}

export interface SessionInfo {
  user: User | null;
  csrf_token: string | null;
}

export interface Source {
  id: string;
  kind: 'store' | 'aggregates' | 'synthetic' | 'kanon';
  label: string;
  dp: boolean;
  published: boolean;
  records: number | null;
  /** Synthetic releases: whether their flows are reliable, and the share of synthetic flow
   * records on pairs absent from the data, in bands ("under 1%", "1–5%", ...). */
  flows?: { reliable: boolean; fabricated: string } | null;
}

export interface FilterOption {
  key: string;
  label: string;
}

export interface Filters {
  year: { min: number; max: number } | null;
  sex: FilterOption[];
  age_band: FilterOption[];
  exploitation: FilterOption[];
  citizenship: FilterOption[];
  country: FilterOption[];
  data_source: FilterOption[];
}

export interface Row {
  key: string;
  label: string;
  key2: string | null;
  label2: string | null;
  count: number;
  share: number | null;
  lower: number | null;
  upper: number | null;
}

export interface Indicator {
  id: string;
  title: string;
  kind: 'series' | 'categories' | 'matrix' | 'flows';
  source: string;
  dp: boolean;
  filters: Record<string, unknown>;
  population: number;
  denominator: number | null;
  denominator_rule: string | null;
  rows: Row[];
  notes: string[];
}

export interface Country {
  alpha2: string;
  numeric: string;
  name: string;
}

export interface ReleaseFile {
  name: string;
  bytes: number;
  media_type: string;
}

export interface Release {
  id: number | string;
  kind: string;
  title: string;
  created_at: string;
  created_by: string;
  published: boolean;
  epsilon: number | null;
  delta: number | null;
  k: number | null;
  records: number | null;
  files: ReleaseFile[];
}

/** The answer to `POST /api/releases`. */
export interface NewReleaseResult {
  release: Release;
  ledger: { dataset: string; budget_rho: number; spent_rho: number; remaining_rho: number; charges: number };
  message: string;
}

export interface Charge {
  id: number;
  at: string;
  rho: number;
  purpose: string;
  /** The release's own ε and δ (null for charges made before they were recorded). */
  epsilon: number | null;
  delta: number | null;
  /** The account for admins; "hub operator" for everyone else. */
  actor: string;
}

export interface Account {
  dataset: string;
  description: string;
  budget_rho: number;
  spent_rho: number;
  epsilon: { delta: number; budget: number; spent: number } | null;
  charges: Charge[];
}

export interface Contribution {
  id: number;
  organisation: string | OrgRef;
  file_name: string;
  imported_at: string;
  imported_by: string;
  rows: number;
  accepted: number;
  quarantined: number;
  sha256: string;
}

export interface Issue {
  row: number;
  column: string;
  value: string;
  rule: string;
  severity: string;
  message: string;
}

export interface Upload {
  id: number;
  organisation: OrgRef;
  file_name: string;
  bytes: number;
  uploaded_by: string;
  uploaded_at: string;
  status: 'validated' | 'committed' | 'discarded';
  summary: { rows: number; accepted: number; quarantined: number; errors: number; warnings: number };
  issues?: Issue[];
  issues_total: number;
  contribution_id: number | null;
}

export interface Organisation {
  id: number;
  name: string;
  created_at?: string;
}

export interface Token {
  id: number;
  name: string;
  created_at?: string;
  last_used_at?: string | null;
  /** After this time the token no longer works (tokens live 90 days unless asked otherwise). */
  expires_at?: string;
  revoked?: boolean;
  token?: string;
  [extra: string]: unknown;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  detail: unknown;
}

export interface ApiErrorBody {
  error: { code: string; message: string; request_id?: string };
}

export interface LinkageSubmission {
  id: number;
  organisation: Organisation;
  submitted_by: string;
  submitted_at: string;
  file_name: string;
  sha256: string;
  fingerprint: string;
  records: number;
}

export interface LinkagePartySummary {
  organisation_id: number;
  organisation: string;
  submission_id: number;
  records: number;
  linked_records: number;
  case_records_matched: number;
  case_references_ambiguous: number;
}

export interface LinkageSummary {
  parties: LinkagePartySummary[];
  persons: number;
  persons_in_several: number;
  persons_by_organisations: number[];
  shared: { organisation_a: string; organisation_b: string; persons: number }[];
  candidate_pairs: number;
  match_edges: number;
  review_pairs: number;
  review_conflicts: number;
  decisions_accepted_applied: number;
  decisions_rejected_applied: number;
  decisions_unmatched: number;
}

export interface LinkageRun {
  id: number;
  created_at: string;
  created_by: string;
  fingerprint: string;
  match_threshold: number;
  review_threshold: number;
  submissions: number[];
  summary: LinkageSummary;
}

export interface LinkSide {
  organisation_id: number;
  record_ref: string;
}

export interface ReviewItem {
  a: LinkSide;
  b: LinkSide;
  similarity: number;
  reason: 'uncertain' | 'conflict';
  organisation_a: string;
  organisation_b: string;
  decision: 'accept' | 'reject' | null;
  decided_by: string | null;
  decided_at: string | null;
}
