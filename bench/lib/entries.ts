/**
 * Scenario-like Slack audit entries in any number, cheaply: the generated scenario's own entries
 * (14 days of an org's background plus its incidents) are the templates; copy i takes template
 * i mod n with a fresh id of the same shape and an evenly spread `date_create`. Copies share the
 * template's nested objects (nothing mutates them), so a million entries cost little memory.
 */
import { generateScenario } from '../../dev/scenario';

export type AuditEntry = Record<string, unknown>;

export const BENCH_SEED = 42;
/** A fixed clock for the templates, so every run sees the same events. */
export const TEMPLATE_NOW = Date.parse('2026-11-20T00:00:00Z');

let templates: AuditEntry[] | undefined;

/** The scenario's audit entries (background and incidents), in time order. */
export function scenarioEntries(): AuditEntry[] {
  templates ??= generateScenario({ seed: BENCH_SEED, now: TEMPLATE_NOW, days: 14 }).slack
    .auditEntries as unknown as AuditEntry[];
  return templates;
}

/** Id of copy `i`: a UUID-shaped string (same length as Slack's), unique per i. */
export function copyId(template: string, i: number): string {
  const tail = i.toString(16).padStart(12, '0');
  return template.length >= 36 ? `${template.slice(0, 24)}${tail}` : `bench0000-0000-4000-8000-${tail}`;
}

/** `count` entries with date_create spread evenly over [startSec, startSec + spanSec). */
export function benchEntries(
  count: number,
  startSec: number,
  spanSec: number,
  source: readonly AuditEntry[] = scenarioEntries(),
): AuditEntry[] {
  if (source.length === 0) throw new Error('benchEntries: no templates');
  const out = new Array<AuditEntry>(count);
  for (let i = 0; i < count; i += 1) {
    const template = source[i % source.length] ?? {};
    out[i] = {
      ...template,
      id: copyId(typeof template.id === 'string' ? template.id : '', i),
      date_create: startSec + Math.floor((i * spanSec) / count),
    };
  }
  return out;
}
