/**
 * The detections configuration document (`SENTRY_DETECTIONS_CONFIG`): a JSON object keyed by
 * detection id, each value holding overrides of that detection's fields, e.g.
 *
 *   { "slack.audit.mass-download": { "threshold": 40, "ignoreIps": ["203.0.113.7"] },
 *     "slack.audit.unknown-user-agent": { "enabled": false },
 *     "*": { "enabled": true } }
 *
 * `"*"` may set `enabled` (and `severity`) for every detection not listed. The setting holds the
 * JSON itself or the path of a file containing it. Every problem is reported at once, each naming
 * the detection, the field and the fix.
 */
import { readFileSync } from 'node:fs';

import { z } from 'zod';

import { SEVERITIES } from '../domain/severity';

import { ConfigError } from '../errors';
import type { ConfiguredDetection, Detection } from './define';
import { DETECTIONS } from './registry';

const SETTING = 'SENTRY_DETECTIONS_CONFIG';

const WildcardSchema = z.strictObject({
  enabled: z.boolean().optional(),
  severity: z.enum(SEVERITIES).optional(),
});

function readDocument(value: string | undefined, problems: string[]): Record<string, unknown> {
  if (value === undefined || value.trim() === '') return {};
  let text = value.trim();
  if (!text.startsWith('{') && !text.startsWith('[')) {
    try {
      text = readFileSync(text, 'utf8');
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'unreadable';
      problems.push(
        `${SETTING} is neither a JSON object nor a readable file (${code} for ${JSON.stringify(text)}): set it to the JSON document itself or to the path of a file holding it.`,
      );
      return {};
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    problems.push(
      `${SETTING} is not valid JSON (${(error as Error).message}): fix the syntax; it must be an object keyed by detection id.`,
    );
    return {};
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push(
      `${SETTING} must be a JSON object keyed by detection id, e.g. {"slack.audit.mass-download": {"threshold": 40}}.`,
    );
    return {};
  }
  return parsed as Record<string, unknown>;
}

function fixFor(issue: z.core.$ZodIssue, schema: z.ZodObject): string {
  switch (issue.code) {
    case 'invalid_type':
      return `use a ${issue.expected} value`;
    case 'too_small':
      return `use a value of at least ${String(issue.minimum)}${issue.origin === 'array' ? ' entries' : ''}`;
    case 'too_big':
      return `use a value of at most ${String(issue.maximum)}${issue.origin === 'array' ? ' entries' : ''}`;
    case 'unrecognized_keys':
      return `remove ${issue.keys.join(', ')}; known fields: ${Object.keys(schema.shape).join(', ')}`;
    case 'invalid_value':
      return `use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return `use a valid ${issue.format}`;
    default:
      return 'correct the value or remove the field to use its default';
  }
}

function pathOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return issue.keys.join(', ');
  return issue.path.length === 0 ? '(the detection object)' : issue.path.map(String).join('.');
}

function closest(id: string, ids: readonly string[]): string | undefined {
  const tail = id.split('.').pop() ?? id;
  return ids.find((candidate) => candidate.endsWith(`.${tail}`)) ?? ids.find((candidate) => candidate.includes(tail));
}

/**
 * Validates the document and configures every registered detection (disabled ones included, with
 * `enabled: false`). Throws ConfigError listing every problem.
 */
export function parseDetectionsConfig(
  value: string | undefined,
  registry: readonly Detection[] = DETECTIONS,
): ConfiguredDetection[] {
  const problems: string[] = [];
  const document = readDocument(value, problems);
  const ids = registry.map((d) => d.id);
  for (const key of Object.keys(document)) {
    if (key === '*' || key === '$schema' || ids.includes(key)) continue;
    const near = closest(key, ids);
    problems.push(
      `${SETTING}: unknown detection ${JSON.stringify(key)}: use a registered id${near === undefined ? '' : ` (did you mean ${near}?)`} or remove it.`,
    );
  }
  const wildcard = WildcardSchema.safeParse(document['*'] ?? {});
  if (!wildcard.success) {
    for (const issue of wildcard.error.issues) {
      problems.push(
        `${SETTING}: "*", field ${pathOf(issue)}: ${issue.message}; fix: ${fixFor(issue, WildcardSchema)}.`,
      );
    }
  }
  const configured: ConfiguredDetection[] = [];
  for (const detection of registry) {
    const own = document[detection.id];
    if (own !== undefined && (own === null || typeof own !== 'object' || Array.isArray(own))) {
      problems.push(`${SETTING}: detection ${detection.id} must be an object of overrides, e.g. {"enabled": false}.`);
      continue;
    }
    const overrides = { ...(wildcard.success ? wildcard.data : {}), ...(own as Record<string, unknown> | undefined) };
    const parsed = detection.configSchema.safeParse(overrides);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push(
          `${SETTING}: detection ${detection.id}, field ${pathOf(issue)}: ${issue.message}; fix: ${fixFor(issue, detection.configSchema)}.`,
        );
      }
      continue;
    }
    configured.push(detection.configure(overrides));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return configured;
}

let cache: { value: string | undefined; detections: readonly ConfiguredDetection[] } | undefined;

/** The configured detections for a setting value, parsed once per value. */
export function configuredDetections(value: string | undefined): readonly ConfiguredDetection[] {
  if (cache !== undefined && cache.value === value) return cache.detections;
  const detections = Object.freeze(parseDetectionsConfig(value));
  cache = { value, detections };
  return detections;
}
