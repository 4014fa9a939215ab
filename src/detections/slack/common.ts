/**
 * Shared pieces of the Slack audit detections: who the subject is, the context shown to a
 * responder, file names and extensions, and the shape of single-event rules (Panther/Scanner style:
 * any matching event raises a finding; repeats for the same subject inside the window merge).
 */
import type { SlackAuditRow } from '../../transforms/streams';
import { slackAuditEntity } from '../../transforms/slack-audit';
import {
  type Detection,
  type DetectionConfig,
  defineDetection,
  fields,
  type MatchInput,
  type Observation,
  type Severity,
  type Subject,
} from '../define';
import type { EntityDeclaration } from '../entities';
import { smallFacts } from '../evidence';
import { maxSeverity } from '../../domain/severity';

export function actorSubject(row: SlackAuditRow): Subject | undefined {
  const id = row.ActorUserId;
  if (id === undefined) return undefined;
  const name = row.ActorUserName ?? row.ActorEmail;
  return name === undefined ? { type: 'user', id } : { type: 'user', id, name };
}

/** The target of the action when it is a user (or app); self-actions resolve to the actor. */
export function entitySubject(row: SlackAuditRow): Subject | undefined {
  const entity = slackAuditEntity(row);
  if (entity.id === undefined) return undefined;
  const type = entity.type === 'app' ? 'app' : entity.type === 'user' ? 'user' : 'workspace';
  const name = entity.name ?? entity.email;
  return name === undefined ? { type, id: entity.id } : { type, id: entity.id, name };
}

/** Actor context a responder needs (email, IP, user agent, action), cut to small sizes. */
export function actorFacts(row: SlackAuditRow, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const facts = smallFacts({
    action: row.Action,
    actorId: row.ActorUserId,
    actorName: row.ActorUserName,
    actorEmail: row.ActorEmail,
    ip: row.SrcIpAddr,
    userAgent: row.UserAgent,
    sessionId: row.SessionId,
    workspace: row.LocationName ?? row.LocationId,
  });
  // An extra without a value leaves the row's fact in place.
  return Object.assign(facts, smallFacts(extra));
}

export function fileName(row: SlackAuditRow): string | undefined {
  return row.EntityType === 'file' ? (row.EntityName ?? undefined) : undefined;
}

/** Lowercase extension without the dot ('' when none): `report.tar.gz` → `gz`. */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 || dot === name.length - 1 ? '' : name.slice(dot + 1).toLowerCase();
}

/** A file name as lowercase words: separators, punctuation, camelCase and letter-digit boundaries split words. */
export function wordsOf(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Za-z])([0-9])|([0-9])([A-Za-z])/g, '$1$3 $2$4')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

const compiledPatterns = new Map<string, (words: string, text: string) => boolean>();

/**
 * How a keyword pattern matches a name: `/…/` is a case-insensitive regular expression over the
 * whole name; `.ext` is the name's last extension; anything else is a sequence of whole words
 * (`key` matches `ssh-key.pem` and `api key.txt`, never `Keynote.pdf`; `id_rsa` matches `id_rsa.pub`).
 */
function patternOf(pattern: string): (words: string, text: string) => boolean {
  let compiled = compiledPatterns.get(pattern);
  if (compiled !== undefined) return compiled;
  if (pattern.length > 2 && pattern.startsWith('/') && pattern.endsWith('/')) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(pattern.slice(1, -1), 'i');
    } catch {
      re = undefined;
    }
    compiled = (_words, text) => re?.test(text) === true;
  } else if (/^\.[a-z0-9]+$/i.test(pattern)) {
    const ext = pattern.slice(1).toLowerCase();
    compiled = (_words, text) => extensionOf(text) === ext || text.toLowerCase() === pattern.toLowerCase();
  } else {
    const needle = ` ${wordsOf(pattern).join(' ')} `;
    compiled = needle.trim() === '' ? () => false : (words) => words.includes(needle);
  }
  if (compiledPatterns.size > 10_000) compiledPatterns.clear();
  compiledPatterns.set(pattern, compiled);
  return compiled;
}

/** The first pattern that matches the name as words, an extension or a regular expression (see patternOf). */
export function matchesPattern(text: string, patterns: readonly string[]): string | undefined {
  if (patterns.length === 0) return undefined;
  const words = ` ${wordsOf(text).join(' ')} `;
  return patterns.find((p) => patternOf(p)(words, text));
}

export function detailsOf(row: SlackAuditRow): Record<string, unknown> {
  const d = row.Details;
  return d !== null && typeof d === 'object' && !Array.isArray(d) ? d : {};
}

export function entityAttributes(row: SlackAuditRow): Record<string, unknown> {
  const e = row.Entity;
  return e !== null && typeof e === 'object' && !Array.isArray(e) ? e : {};
}

export function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string')
    return value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  return [];
}

/** Observation of one audit entry about a subject (the entry id is the counted item). */
export function eventObservation(
  row: SlackAuditRow,
  dedupeKey: string,
  subject: Subject,
  label?: string,
  extraFacts?: Record<string, string | undefined>,
): Observation {
  const o: Observation = {
    dedupeKey,
    subject,
    item: row.EventId,
    t: row.DateCreate,
    facts: actorFacts(row, extraFacts),
  };
  if (label !== undefined) o.label = label;
  return o;
}

/** IPv4 CIDR or exact-address allowlist test (IPv6 entries match exactly). */
export function ipAllowed(ip: string, allow: readonly string[]): boolean {
  for (const entry of allow) {
    if (entry === ip) return true;
    const slash = entry.indexOf('/');
    if (slash > 0) {
      const base = ipv4(entry.slice(0, slash));
      const bits = Number(entry.slice(slash + 1));
      const addr = ipv4(ip);
      if (base === undefined || addr === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) continue;
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      if ((base & mask) >>> 0 === (addr & mask) >>> 0) return true;
    }
  }
  return false;
}

function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (!/^\d{1,3}$/.test(p) || v > 255) return undefined;
    n = n * 256 + v;
  }
  return n >>> 0;
}

export interface SingleEventRuleSpec {
  id: string;
  title: string;
  description: string;
  severity: Severity;
  mitre: readonly string[];
  /** Roles its findings are about and their stance (see entities.ts). */
  entities: EntityDeclaration;
  /** Matched actions, each with its own severity when it differs from the rule's, and a label. */
  actions: Readonly<Record<string, { severity?: Severity; label: string }>>;
  /** Whom the finding is about: the acting user, or the target of the action. */
  subject: 'actor' | 'entity';
  /** Extra check on a matched row (e.g. only when scopes were added). */
  accept?: (row: SlackAuditRow) => boolean;
}

const singleEventConfig = {
  /** Repeats for the same subject inside this window merge into one finding. */
  windowMinutes: fields.minutes(60),
  ignoreActorIds: fields.list(),
};

/** A rule where any one matching audit entry is a finding (threshold 0, merged per subject). */
export function singleEventRule(spec: SingleEventRuleSpec): Detection {
  const actions = Object.keys(spec.actions);
  return defineDetection({
    id: spec.id,
    title: spec.title,
    description: spec.description,
    severity: spec.severity,
    mitre: spec.mitre,
    entities: spec.entities,
    streams: ['slackAudit'],
    actions,
    config: singleEventConfig,
    match(input: MatchInput, config: DetectionConfig<typeof singleEventConfig>) {
      if (input.stream !== 'slackAudit') return null;
      const row = input.row;
      const rule = spec.actions[row.Action];
      if (rule === undefined || (spec.accept !== undefined && !spec.accept(row))) return null;
      if (row.ActorUserId !== undefined && config.ignoreActorIds.includes(row.ActorUserId)) return null;
      const subject = spec.subject === 'actor' ? actorSubject(row) : (entitySubject(row) ?? actorSubject(row));
      if (subject === undefined) return null;
      return eventObservation(row, `${subject.type}:${subject.id}`, subject, row.Action, {
        target: spec.subject === 'entity' ? undefined : (row.EntityName ?? row.EntityId),
      });
    },
    window: { kind: 'count', threshold: () => 0, windowSeconds: (c) => c.windowMinutes * 60 },
    present(crossing, window) {
      const labels = [...new Set(crossing.items.map((i) => i.label ?? ''))].filter((l) => l !== '');
      const severities = labels.map((l) => spec.actions[l]?.severity ?? spec.severity);
      const names = labels.map((l) => spec.actions[l]?.label ?? l);
      return {
        severity: maxSeverity(severities, spec.severity),
        title: `${names.join(', ') || spec.title}: ${window.subject.name ?? window.subject.id}`,
        evidence: { actions: labels },
      };
    },
  });
}
