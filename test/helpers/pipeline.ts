/**
 * Fakes for the pipeline's far side: an ingestion client that records what it receives (and fails
 * on demand, the way the SDK reports HTTP failures), an observer that records what it saw, and a
 * Slack audit entry builder with realistic defaults.
 */
import { randomUUID } from 'node:crypto';

import type { ObserverContext, RowObserver } from '../../src/detections/observer';
import type { IngestionClientLike } from '../../src/ingestion/uploader';
import type { StreamKey } from '../../src/transforms/streams';

type Row = Record<string, unknown>;

/** An error shaped like the SDK's RestError. */
export function httpError(statusCode: number, code = `Http${statusCode}`): Error {
  return Object.assign(new Error(`Service answered ${statusCode}`), { statusCode, code });
}

export class FakeIngestion implements IngestionClientLike {
  readonly received = new Map<string, Row[]>();
  calls = 0;
  /** Return an error to fail this upload call (rows are then not recorded). */
  failWith: ((stream: string, logs: Row[]) => Error | undefined) | undefined;
  /** Called with every event in order (for ordering assertions). */
  onUpload: ((stream: string, rows: number) => void) | undefined;

  upload(_rule: string, stream: string, logs: Row[]): Promise<void> {
    this.calls += 1;
    const error = this.failWith?.(stream, logs);
    if (error !== undefined) return Promise.reject(error);
    const list = this.received.get(stream) ?? [];
    list.push(...logs.map((row) => structuredClone(row)));
    this.received.set(stream, list);
    this.onUpload?.(stream, logs.length);
    return Promise.resolve();
  }

  /** Rows landed in a DCR stream (`Custom-SentrySlackAudit` …). */
  rows(stream: string): Row[] {
    return this.received.get(stream) ?? [];
  }
}

export interface RecordingObserver extends RowObserver {
  observed: { stream: StreamKey; row: Row }[];
  flushes: number;
  contexts: ObserverContext[];
}

/** An observer factory whose observers share one record; `failFlush` makes flush throw. */
export function recordingObservers(events: string[] = []): {
  factory: (ctx: ObserverContext) => RowObserver;
  record: { observed: { stream: StreamKey; row: Row }[]; flushes: number; contexts: ObserverContext[] };
  failFlush: { value: Error | undefined };
} {
  const record = { observed: [] as { stream: StreamKey; row: Row }[], flushes: 0, contexts: [] as ObserverContext[] };
  const failFlush = { value: undefined as Error | undefined };
  const factory = (ctx: ObserverContext): RowObserver => {
    record.contexts.push(ctx);
    return {
      observe(stream, row) {
        record.observed.push({ stream, row: row });
      },
      flush() {
        events.push('observer.flush');
        if (failFlush.value !== undefined) return Promise.reject(failFlush.value);
        record.flushes += 1;
        return Promise.resolve({ updates: 0 });
      },
    };
  };
  return { factory, record, failFlush };
}

export interface AuditEntryOptions {
  id?: string;
  date_create?: number;
  action?: string;
  userId?: string;
}

/** A valid Slack audit entry (file_downloaded by a user) with the given overrides. */
export function auditEntry(options: AuditEntryOptions = {}): Record<string, unknown> {
  const userId = options.userId ?? 'W0000AAAA';
  return {
    id: options.id ?? randomUUID(),
    date_create: options.date_create ?? 1_800_000_000,
    action: options.action ?? 'file_downloaded',
    actor: { type: 'user', user: { id: userId, name: 'ada', email: 'ada@example.com', team: 'E0000AAAA' } },
    entity: { type: 'file', file: { id: 'F0000AAAA', name: 'plan.pdf', filetype: 'pdf', title: 'plan.pdf' } },
    context: {
      location: { type: 'enterprise', id: 'E0000AAAA', name: 'Acme', domain: 'acme' },
      ua: 'Mozilla/5.0',
      ip_address: '203.0.113.7',
      session_id: 1656410836837,
    },
  };
}
