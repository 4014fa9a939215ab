/**
 * The Slack audit checkpoint of one enterprise (`checkpoints`, partition `slackAudit`, row = org):
 * `{ at, since, landed }` as `slackAuditPages`/`nextCheckpoint` define it, validated on the way in
 * and out, saved in one ETag-guarded write so the landed keys can never disagree with `at`.
 *
 * Size rules (Table Storage: a string property ≤ 64 KiB = 32 K UTF-16 characters, an entity ≤ 1 MiB):
 * - `Value` stays small, `{ at, since, keys }`, so the ops status and anything else reading `at`
 *   never parse the key set;
 * - the landed keys are serialized as `<second − since>:<key><key>…` groups joined by `,` (keys are
 *   11 base64url characters, so no separator is needed between them) and split over string
 *   properties `Landed00`, `Landed01`, … of at most LANDED_CHUNK_CHARS characters each;
 * - the set is capped at MAX_LANDED_KEYS by `nextCheckpoint` (the oldest seconds are forgotten and
 *   `since` moves up); `save` applies the same cap again, so no caller can write an oversized entity.
 *
 * A checkpoint written before the overlap existed (`{ at, seenIds }`: the ids landed at `at`) loads
 * as `since = at` with those ids' keys, which is exactly what it promised.
 */
import { z } from 'zod';

import {
  LANDED_KEY_PATTERN,
  landedCount,
  landedKey,
  MAX_LANDED_KEYS,
  nextCheckpoint,
  type SlackAuditCheckpoint,
} from '../collectors/slack-audit/pages';
import { AppError, ErrorCode } from '../errors';
import type { CheckpointStore } from './checkpoints';

export const SLACK_AUDIT_SOURCE = 'slackAudit';

/** Characters per `Landed..` property: 60,000 bytes of UTF-16, under the 64 KiB property limit. */
export const LANDED_CHUNK_CHARS = 30_000;
const LANDED_PROPERTY = /^Landed(\d{2})$/;

const second = z.number().int().nonnegative();

const CheckpointValueSchema = z.strictObject({ at: second, since: second, keys: z.number().int().nonnegative() });
const LegacyValueSchema = z.strictObject({ at: second, seenIds: z.array(z.string().min(1).max(256)).max(500) });
const StoredValueSchema = z.union([CheckpointValueSchema, LegacyValueSchema]);

export interface StoredSlackCheckpoint {
  checkpoint: SlackAuditCheckpoint | undefined;
  /** Undefined when none was saved yet (the first save then creates it). */
  etag: string | undefined;
}

/** The checkpoint to persist: unchanged within MAX_LANDED_KEYS, else with its oldest seconds forgotten. */
export function capCheckpoint(
  checkpoint: SlackAuditCheckpoint,
  maxKeys: number = MAX_LANDED_KEYS,
): SlackAuditCheckpoint {
  if (landedCount(checkpoint) <= maxKeys) return checkpoint;
  const window = { oldest: checkpoint.since, latest: checkpoint.at };
  const landed = Object.entries(checkpoint.landed).flatMap(([s, keys]) => keys.map((key) => [Number(s), key] as const));
  return nextCheckpoint(window, landed, undefined, {
    overlapSeconds: checkpoint.at - checkpoint.since,
    maxLandedKeys: maxKeys,
  }).checkpoint;
}

/** `Landed..` properties holding the checkpoint's keys (none when it holds none). */
export function serializeLanded(checkpoint: SlackAuditCheckpoint): Record<string, string> {
  const groups: string[] = [];
  const seconds = Object.keys(checkpoint.landed)
    .map(Number)
    .sort((x, y) => x - y);
  for (const s of seconds) {
    const keys = checkpoint.landed[String(s)] ?? [];
    if (keys.length > 0) groups.push(`${s - checkpoint.since}:${keys.join('')}`);
  }
  const text = groups.join(',');
  const properties: Record<string, string> = {};
  for (let i = 0, n = 0; i < text.length; i += LANDED_CHUNK_CHARS, n += 1) {
    properties[`Landed${String(n).padStart(2, '0')}`] = text.slice(i, i + LANDED_CHUNK_CHARS);
  }
  return properties;
}

/** The keys by second from `Landed..` properties; throws (as a message) when they are malformed. */
export function parseLanded(
  properties: Readonly<Record<string, string>>,
  since: number,
  at: number,
): Record<string, string[]> {
  const chunks = Object.keys(properties)
    .map((name) => LANDED_PROPERTY.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .sort((x, y) => Number(x[1]) - Number(y[1]));
  chunks.forEach((match, i) => {
    if (Number(match[1]) !== i) throw new Error(`property Landed${String(i).padStart(2, '0')} is missing`);
  });
  const text = chunks.map((match) => properties[match[0]] ?? '').join('');
  const landed: Record<string, string[]> = {};
  if (text === '') return landed;
  for (const group of text.split(',')) {
    const parsed = /^(\d+):((?:[A-Za-z0-9_-]{11})+)$/.exec(group);
    if (parsed === null) throw new Error(`landed group "${group.slice(0, 40)}" is not <offset>:<keys>`);
    const s = since + Number(parsed[1]);
    if (s > at) throw new Error(`landed second ${s} is after the checkpoint ${at}`);
    const keys = (parsed[2] ?? '').match(/.{11}/g) ?? [];
    landed[String(s)] = [...new Set([...(landed[String(s)] ?? []), ...keys])].sort();
  }
  return landed;
}

export class SlackAuditCheckpoints {
  constructor(private readonly store: CheckpointStore) {}

  async load(org: string): Promise<StoredSlackCheckpoint> {
    const record = await this.store.get<unknown>(SLACK_AUDIT_SOURCE, org);
    if (record === undefined) return { checkpoint: undefined, etag: undefined };
    const corrupted = (why: string) =>
      // A hand-edited or corrupted checkpoint must stop collection loudly, not restart from scratch.
      new AppError(
        ErrorCode.StateUnavailable,
        `The Slack audit checkpoint of ${org} is invalid: ${why}; fix or delete the checkpoints entity slackAudit/${org}`,
        { retriable: false },
      );
    const parsed = StoredValueSchema.safeParse(record.value);
    if (!parsed.success) throw corrupted(`its Value is not { at, since, keys }: ${z.prettifyError(parsed.error)}`);
    const value = parsed.data;
    if ('seenIds' in value) {
      const keys = [...new Set(value.seenIds.map(landedKey))].sort();
      const checkpoint = {
        at: value.at,
        since: value.at,
        landed: keys.length === 0 ? {} : { [String(value.at)]: keys },
      };
      return { checkpoint, etag: record.etag };
    }
    if (value.since > value.at + 1) throw corrupted(`since ${value.since} is after at + 1 (${value.at + 1})`);
    let landed: Record<string, string[]>;
    try {
      landed = parseLanded(record.extra ?? {}, value.since, value.at);
    } catch (error) {
      throw corrupted((error as Error).message);
    }
    const checkpoint: SlackAuditCheckpoint = { at: value.at, since: value.since, landed };
    const count = landedCount(checkpoint);
    if (count !== value.keys) throw corrupted(`it holds ${count} landed keys where its Value says ${value.keys}`);
    return { checkpoint, etag: record.etag };
  }

  /** ETag-guarded save (create when `etag` is undefined); returns the new ETag. */
  async save(org: string, checkpoint: SlackAuditCheckpoint, etag: string | undefined, now: Date): Promise<string> {
    validate(checkpoint);
    const capped = capCheckpoint(checkpoint);
    const value = { at: capped.at, since: capped.since, keys: landedCount(capped) };
    return this.store.save(SLACK_AUDIT_SOURCE, org, value, etag, now, serializeLanded(capped));
  }
}

function validate(checkpoint: SlackAuditCheckpoint): void {
  const problem = (() => {
    if (!Number.isInteger(checkpoint.at) || checkpoint.at < 0) return `at ${checkpoint.at} is not a Unix second`;
    if (!Number.isInteger(checkpoint.since) || checkpoint.since < 0 || checkpoint.since > checkpoint.at + 1) {
      return `since ${checkpoint.since} is not a second in [0, at + 1]`;
    }
    for (const [s, keys] of Object.entries(checkpoint.landed)) {
      const n = Number(s);
      if (!Number.isInteger(n) || n < checkpoint.since || n > checkpoint.at)
        return `landed second ${s} is outside [since, at]`;
      if (!keys.every((key) => LANDED_KEY_PATTERN.test(key))) return `a landed key at ${s} is not a landedKey()`;
    }
    return undefined;
  })();
  if (problem !== undefined) {
    throw new AppError(ErrorCode.InputInvalid, `Refusing to save a malformed Slack audit checkpoint: ${problem}`, {
      retriable: false,
    });
  }
}
