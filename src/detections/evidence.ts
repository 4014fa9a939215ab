/**
 * A finding's evidence as labelled facts a responder reads at a glance ("Accounts: alice, bob, +4
 * more"), not JSON. The detection's evidence record stays as it is in `SentryFinding_CL` (Context),
 * where a query wants structure; the alert shows these lines. Pure.
 */
import type { JsonValue } from '../transforms/columns';

/** Longest value an observation's fact keeps (outside strings: a user agent, an IDS message). */
export const MAX_FACT = 256;

/**
 * An observation's small facts: the entries that have a value, each cut to MAX_FACT characters, so
 * an attacker-chosen string cannot grow the stored window or the alert.
 */
export function smallFacts(
  entries: Readonly<Record<string, string | number | boolean | undefined>>,
): Record<string, string> {
  const facts: Record<string, string> = {};
  for (const [key, raw] of Object.entries(entries)) {
    if (raw === undefined || raw === '') continue;
    const value = String(raw);
    facts[key] = value.length > MAX_FACT ? `${value.slice(0, MAX_FACT - 1)}…` : value;
  }
  return facts;
}

export interface EvidenceFact {
  label: string;
  value: string;
}

/** Keys every finding shows elsewhere (who, the newest context, the count). */
const SHOWN_ELSEWHERE = new Set(['subject', 'latest', 'count']);
const ACRONYMS: Readonly<Record<string, string>> = {
  ip: 'IP',
  ips: 'IPs',
  id: 'ID',
  ids: 'IDs',
  ua: 'UA',
  url: 'URL',
  mfa: 'MFA',
  sso: 'SSO',
  idp: 'IdP',
  dlp: 'DLP',
  ekm: 'EKM',
  mx: 'MX',
};
const LIST_ITEMS = 10;
const VALUE_CHARS = 600;

/** `previousIpAddress` → `Previous IP address`. */
export function labelOf(key: string): string {
  const words = key
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .trim()
    .split(/\s+/)
    .map((w) => ACRONYMS[w.toLowerCase()] ?? w.toLowerCase());
  const first = words[0] ?? '';
  const head = ACRONYMS[first.toLowerCase()] === undefined ? first.charAt(0).toUpperCase() + first.slice(1) : first;
  return [head, ...words.slice(1)].join(' ');
}

function minute(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : iso;
}

function scalar(value: JsonValue): string {
  if (value === null) return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return listText(value);
  return Object.entries(value)
    .map(([k, v]) => `${labelOf(k)}: ${scalar(v)}`)
    .join('; ');
}

function listText(values: readonly JsonValue[]): string {
  const shown = values.slice(0, LIST_ITEMS).map(scalar);
  const more = values.length - shown.length;
  return more > 0 ? `${shown.join(', ')}, +${more} more` : shown.join(', ');
}

/** One sampled item (`{ item, at, label? }` from the default evidence) as "time label". */
function sampleLine(entry: JsonValue): string {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return scalar(entry);
  const at = typeof entry.at === 'string' ? minute(entry.at) : '';
  const what = typeof entry.label === 'string' ? entry.label : typeof entry.item === 'string' ? entry.item : '';
  return `${at} ${what}`.trim();
}

function cut(text: string): string {
  return text.length <= VALUE_CHARS ? text : `${text.slice(0, VALUE_CHARS - 1)}…`;
}

/** The evidence record as labelled facts, in the detection's order, the sample of events last. */
export function evidenceFacts(evidence: Readonly<Record<string, JsonValue>>): EvidenceFact[] {
  const facts: EvidenceFact[] = [];
  for (const [key, value] of Object.entries(evidence)) {
    if (SHOWN_ELSEWHERE.has(key) || key === 'sample' || value === null) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    facts.push({ label: labelOf(key), value: cut(scalar(value)) });
  }
  const sample = evidence.sample;
  if (Array.isArray(sample) && sample.length > 0) {
    const lines = sample.slice(-LIST_ITEMS).map(sampleLine).reverse();
    const more = sample.length - lines.length;
    facts.push({
      label: 'Latest events',
      value: cut(more > 0 ? `${lines.join(' · ')} · +${more} earlier` : lines.join(' · ')),
    });
  }
  return facts;
}
