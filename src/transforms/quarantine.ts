/**
 * Quarantine rows: a record that fails validation is landed raw with the reason instead of being
 * dropped, so nothing is lost silently. Building one never throws, whatever the record holds.
 */
import { FIELD_LIMIT_BYTES, utf8Length } from './columns';
import { serializeAny, stableHash, truncateUtf8 } from './safe-json';
import type { QuarantineRow, StreamKey } from './streams';

export interface QuarantineOptions {
  sourceOrg: string;
  /** ISO-8601 time the record was quarantined (the caller's clock; transforms stay pure). */
  at: string;
}

/** Keys never written to a log line, at any depth (Meraki webhooks carry `sharedSecret` in the body). */
export const REDACTED_KEYS: ReadonlySet<string> = new Set([
  'sharedSecret',
  'secret',
  'token',
  'access_token',
  'password',
  'authorization',
  'Authorization',
]);

/** `"key": "value"` of a redacted key in JSON text (a record that did not parse is kept as its text). */
const REDACTED_PAIR = new RegExp(
  `"(${[...REDACTED_KEYS].map((key) => key.replace(/[^A-Za-z0-9_]/g, '')).join('|')})"(\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`,
  'g',
);

/** Redacts the string values of `REDACTED_KEYS` in JSON text, best effort: the text may be broken JSON. */
export function redactJsonText(text: string): string {
  return text.replace(REDACTED_PAIR, '"$1"$2"[redacted]"');
}

const REASON_MAX_BYTES = 4096;
const ID_MAX_BYTES = 256;

function sourceId(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  for (const key of ['id', 'alertId']) {
    try {
      if (!Object.hasOwn(raw, key)) continue;
      const v = (raw as Record<string, unknown>)[key];
      if (typeof v === 'string' && v !== '' && v.length <= ID_MAX_BYTES && !/^0+$/.test(v)) return v;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Serializes `raw` (secrets redacted) into a quarantine row; the text is cut to the 64 KB field limit. */
export function toQuarantineRow(
  source: StreamKey,
  raw: unknown,
  reason: string,
  options: QuarantineOptions,
): QuarantineRow {
  try {
    // One character more than fits tells "cut" apart from "exactly at the limit".
    // A record kept as text (it was not valid JSON) gets its secrets redacted in the text itself.
    const value = typeof raw === 'string' ? redactJsonText(raw) : raw;
    const serialized = serializeAny(value, { budget: FIELD_LIMIT_BYTES + 1, redactKeys: REDACTED_KEYS });
    const text = truncateUtf8(serialized.text, FIELD_LIMIT_BYTES);
    const truncated = serialized.cut || text.length < serialized.text.length;
    const row: QuarantineRow = {
      TimeGenerated: options.at,
      EventId: sourceId(raw) ?? stableHash([source, serialized.text]),
      SourceOrg: options.sourceOrg,
      Source: source,
      Reason: truncateUtf8(reason === '' ? 'unspecified' : reason, REASON_MAX_BYTES),
      Raw: text,
      RawBytes: serialized.cut ? -1 : utf8Length(serialized.text),
    };
    if (truncated) row.RawTruncated = true;
    return row;
  } catch (error) {
    // Last resort (e.g. a reason that is not a string from untyped callers): still a valid row.
    return {
      TimeGenerated: options.at,
      EventId: stableHash([source, 'unserializable', options.at]),
      SourceOrg: options.sourceOrg,
      Source: source,
      Reason: `unserializable record (${error instanceof Error ? error.name : 'unknown'})`,
      Raw: '',
      RawBytes: -1,
      RawTruncated: true,
    };
  }
}
