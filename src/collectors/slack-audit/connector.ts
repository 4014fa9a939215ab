/**
 * The Slack audit log as a connector: windows follow the checkpoint (live) or are the one window a
 * backfill names; a page's records are its audit entries, each parsed just before its transform so
 * its objects die young (see entries.ts). The runner lands them; `commit` then saves the checkpoint
 * the window's last page carried (ETag-guarded). A backfill never touches the checkpoint: rows the
 * live collector already landed land again and the KQL parsers dedupe on EventId.
 */
import { AppError, ErrorCode } from '../../errors';
import { toSlackAuditRow } from '../../transforms/slack-audit';
import type { Connector, RecordKind, RecordRead, RecordSource } from '../runner';
import { page } from '../runner';
import type { SlackAuditClient } from './client';
import type { SlackAuditEntries } from './entries';
import { planSlackAuditWindow, slackAuditPages, type SlackAuditCheckpoint, type TimeWindow } from './pages';

/** Where checkpoints live (state/slack-audit-checkpoint.ts in production). */
export interface SlackAuditCheckpointPort {
  load(org: string): Promise<{ checkpoint: SlackAuditCheckpoint | undefined; etag: string | undefined }>;
  save(org: string, checkpoint: SlackAuditCheckpoint, etag: string | undefined, now: Date): Promise<string>;
}

export interface SlackAuditSettings {
  lagSeconds: number;
  overlapSeconds: number;
  lookbackHours: number;
  windowSeconds: number;
  pageSize: number;
  allowActions: readonly string[];
  denyActions: readonly string[];
}

export const SLACK_AUDIT_COUNTERS = ['fetched', 'duplicates', 'denied', 'rawBytes', 'forgottenIds'] as const;
export type SlackAuditCounter = (typeof SLACK_AUDIT_COUNTERS)[number];

/** What a live run leaves behind, for the activity's summary. */
export interface SlackAuditPosition {
  /** The persisted checkpoint second (live), or null. */
  checkpointAt: number | null;
  /** Seconds before the checkpoint the next window re-reads (live), or null. */
  overlapSeconds: number | null;
}

export interface SlackAuditConnectorOptions {
  org: string;
  client: SlackAuditClient;
  checkpoints: SlackAuditCheckpointPort;
  settings: SlackAuditSettings;
  /** The backfill window; live when absent. */
  window?: TimeWindow;
  /** Unix seconds the live windows end at (minus the lag). */
  nowSeconds: number;
  clock: () => number;
  /** Landed ids a checkpoint keeps (default MAX_LANDED_KEYS; tests lower it). */
  maxLandedKeys?: number;
}

/** An audit entry: one row in the slackAudit stream. */
const auditEntry = (org: string): RecordKind<unknown, 'slackAudit'> => ({
  stream: 'slackAudit',
  toRows: (entry) => toSlackAuditRow(entry, { sourceOrg: org }),
});

/** A page's kept entries as records; an entry that is not JSON is quarantined with its text. */
function entryRecords(entries: SlackAuditEntries): RecordSource<unknown> {
  return {
    length: entries.length,
    read(i): RecordRead<unknown> {
      const read = entries.read(i);
      return read.ok ? read : { ok: false, reason: `invalid Slack audit entry: ${read.reason}`, raw: read.text };
    },
  };
}

export class SlackAuditConnector implements Connector<TimeWindow, SlackAuditCounter> {
  readonly counters = SLACK_AUDIT_COUNTERS;
  readonly position: SlackAuditPosition = { checkpointAt: null, overlapSeconds: null };
  private readonly kind: RecordKind<unknown, 'slackAudit'>;
  private loaded = false;
  private backfillRead = false;
  private checkpoint: SlackAuditCheckpoint | undefined;
  private etag: string | undefined;
  /** The checkpoint the window's last page carried: saved by `commit`. */
  private pending: SlackAuditCheckpoint | undefined;

  constructor(private readonly options: SlackAuditConnectorOptions) {
    this.kind = auditEntry(options.org);
  }

  get live(): boolean {
    return this.options.window === undefined;
  }

  async next(): Promise<TimeWindow | null> {
    const { window, settings, nowSeconds } = this.options;
    if (window !== undefined) {
      if (this.backfillRead) return null;
      this.backfillRead = true;
      return window;
    }
    if (!this.loaded) {
      ({ checkpoint: this.checkpoint, etag: this.etag } = await this.options.checkpoints.load(this.options.org));
      this.position.checkpointAt = this.checkpoint?.at ?? null;
      this.loaded = true;
    }
    return planSlackAuditWindow(this.checkpoint, nowSeconds, {
      lagSeconds: settings.lagSeconds,
      overlapSeconds: settings.overlapSeconds,
      initialLookbackSeconds: settings.lookbackHours * 3600,
      maxWindowSeconds: settings.windowSeconds,
    });
  }

  async *pages(window: TimeWindow) {
    const { settings, client, maxLandedKeys } = this.options;
    this.pending = undefined;
    for await (const fetched of slackAuditPages(client, window, {
      checkpoint: this.live ? this.checkpoint : undefined,
      overlapSeconds: settings.overlapSeconds,
      ...(maxLandedKeys === undefined ? {} : { maxLandedKeys }),
      limit: settings.pageSize,
      allowActions: settings.allowActions,
      denyActions: settings.denyActions,
    })) {
      if (fetched.checkpoint !== undefined) this.pending = fetched.checkpoint;
      yield page<unknown, 'slackAudit', SlackAuditCounter>(this.kind, entryRecords(fetched.entries), {
        fetched: fetched.fetched,
        duplicates: fetched.dropped.duplicate,
        denied: fetched.dropped.denied,
        rawBytes: fetched.rawBytes,
        forgottenIds: this.live ? (fetched.forgotten ?? 0) : 0,
      });
    }
  }

  async commit(window: TimeWindow): Promise<boolean> {
    if (!this.live) return false;
    const next = this.pending;
    if (next === undefined) throw new AppError(ErrorCode.Unknown, 'Slack audit window ended without a checkpoint');
    this.etag = await this.options.checkpoints.save(this.options.org, next, this.etag, new Date(this.options.clock()));
    this.checkpoint = next;
    this.position.checkpointAt = next.at;
    this.position.overlapSeconds = Math.min(this.options.settings.overlapSeconds, next.at - next.since);
    return window.latest < this.options.nowSeconds - this.options.settings.lagSeconds;
  }
}
