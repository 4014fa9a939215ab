import { randomUUID } from 'node:crypto';

import { afterEach, describe, expect, it } from 'vitest';

import { type SlackEmulator, startSlackEmulator } from '../../dev/emulators/slack';
import { FakeIngestion, auditEntry, httpError, recordingObservers } from '../../test/helpers/pipeline';
import { BASE_TEST_ENV, useTestAzurite } from '../../test/helpers/state';
import { SlackAuditClient } from '../collectors/slack-audit/client';
import { landedKey, type SlackAuditCheckpoint } from '../collectors/slack-audit/pages';
import type { Config } from '../config';
import { AppError, ErrorCode } from '../errors';
import { CheckpointStore } from '../state/checkpoints';
import { SlackAuditCheckpoints } from '../state/slack-audit-checkpoint';
import { DimensionLedger } from '../transforms/dimensions';
import { streams } from '../transforms/streams';
import { collectSlackAudit, type CollectSlackAuditDeps } from './collect-slack-audit';

const T = 1_800_000_000;
const NOW = new Date((T + 3600) * 1000).toISOString();
const AUDIT = streams.slackAudit.stream;
const QUARANTINE = streams.quarantine.stream;

let slack: SlackEmulator | undefined;
const t = useTestAzurite();
afterEach(async () => {
  await slack?.close();
  slack = undefined;
});

interface Setup {
  config: Config;
  org: string;
  slack: SlackEmulator;
  ingestion: FakeIngestion;
  observers: ReturnType<typeof recordingObservers>;
  events: string[];
  deps: (overrides?: Partial<CollectSlackAuditDeps>) => CollectSlackAuditDeps;
  checkpoints: SlackAuditCheckpoints;
  /** One entry per coming checkpoint save: true = the run dies instead of saving. */
  crashBeforeSave: boolean[];
}

async function setup(settings: Record<string, string> = {}, entries: Record<string, unknown>[] = []): Promise<Setup> {
  slack = await startSlackEmulator({ tokens: { audit: BASE_TEST_ENV.SENTRY_SLACK_AUDIT_TOKEN ?? '' } });
  slack.state.addAuditEntries(entries);
  const org = `E${randomUUID().slice(0, 8)}`;
  const config = t.configWith({
    SENTRY_SLACK_AUDIT_ORG: org,
    SENTRY_SLACK_AUDIT_API_URL: slack.auditUrl,
    SENTRY_SLACK_AUDIT_LAG_SECONDS: '0',
    SENTRY_SLACK_AUDIT_LOOKBACK_HOURS: '1',
    ...settings,
  });
  const ingestion = new FakeIngestion();
  const events: string[] = [];
  ingestion.onUpload = (stream, rows) => events.push(`upload ${stream} ${rows}`);
  const observers = recordingObservers(events);
  const dimensions = new DimensionLedger();
  const crashBeforeSave: boolean[] = [];
  const store = new CheckpointStore(config);
  const checkpoints = new SlackAuditCheckpoints(store);
  const recorded = {
    load: (key: string) => checkpoints.load(key),
    save: async (key: string, cp: SlackAuditCheckpoint, etag: string | undefined, now: Date) => {
      events.push(`checkpoint.save ${cp.at}`);
      const crash = crashBeforeSave.shift();
      // A crash after the window's upload, before its checkpoint is written.
      if (crash === true) throw new AppError(ErrorCode.StateUnavailable, 'host died', { retriable: true });
      return checkpoints.save(key, cp, etag, now);
    },
  } as unknown as SlackAuditCheckpoints;
  const server = slack;
  return {
    config,
    org,
    slack: server,
    ingestion,
    observers,
    events,
    checkpoints,
    crashBeforeSave,
    deps: (overrides = {}) => ({
      config,
      client: new SlackAuditClient({
        baseUrl: server.auditUrl,
        token: BASE_TEST_ENV.SENTRY_SLACK_AUDIT_TOKEN ?? '',
        budget: { org, perMinute: 6000, burst: 100 },
        backoffBaseMs: 1,
        backoffMaxMs: 5,
        maxRetries: 2,
      }),
      ingestion,
      checkpoints: recorded,
      createObserver: observers.factory,
      sleep: () => Promise.resolve(),
      dimensions,
      ...overrides,
    }),
  };
}

/** Event ids landed in the audit stream, sorted (repeats kept, so a duplicate shows). */
function landedIds(s: Setup): unknown[] {
  return s.ingestion
    .rows(AUDIT)
    .map((r) => r.EventId)
    .sort();
}

describe('collectSlackAudit', () => {
  it('lands every entry of the window once, observes it, and advances the checkpoint only after upload and flush', async () => {
    const entries = [
      auditEntry({ date_create: T + 10 }),
      auditEntry({ date_create: T + 20, action: 'a_brand_new_action_slack_added' }),
      auditEntry({ date_create: T + 3600 }),
      auditEntry({ date_create: T - 5 }),
    ];
    // A desktop client's user agent: long enough to land once as a dimension row.
    (entries[0]?.context as Record<string, unknown>).ua =
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Slack/4.41.105';
    const s = await setup({}, entries);
    const result = await collectSlackAudit({ cycleId: 'c1', now: NOW }, s.deps());

    expect(result).toMatchObject({
      source: 'slackAudit',
      org: s.org,
      mode: 'live',
      windows: 1,
      caughtUp: true,
      rows: 3,
      quarantined: 0,
    });
    expect(result.checkpointAt).toBe(T + 3600);
    expect(result.apiCalls).toBe(1);
    const landed = s.ingestion.rows(AUDIT);
    expect(landed.map((r) => r.EventId).sort()).toEqual([entries[0], entries[1], entries[2]].map((e) => e?.id).sort());
    // Unknown actions land as they are.
    expect(landed.find((r) => r.Action === 'a_brand_new_action_slack_added')).toBeDefined();
    expect(s.observers.record.observed.map((o) => o.row.EventId).sort()).toEqual(landed.map((r) => r.EventId).sort());
    expect(s.observers.record.contexts[0]).toEqual({ source: 'slackAudit', org: s.org, cycleId: 'c1' });
    // The user agent lands once in the dimension stream, in the same flush, before the checkpoint moves.
    expect(s.events).toEqual([
      `upload ${streams.dimension.stream} 1`,
      `upload ${AUDIT} 3`,
      'observer.flush',
      `checkpoint.save ${T + 3600}`,
    ]);
    // The ids landed in the last 120 s (the default overlap) are kept for the next window's re-read.
    expect((await s.checkpoints.load(s.org)).checkpoint).toEqual({
      at: T + 3600,
      since: T + 3480,
      landed: { [String(T + 3600)]: [landedKey(String(entries[2]?.id))] },
    });
    expect(result).toMatchObject({ overlapSeconds: 120, forgottenIds: 0 });
    // JSON-serializable summary.
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('does not land twice what it already landed at the inclusive boundary second, and picks up late arrivals', async () => {
    const first = auditEntry({ date_create: T + 3600 });
    const s = await setup({}, [first]);
    await collectSlackAudit({ cycleId: 'c1', now: NOW }, s.deps());
    const lateSameSecond = auditEntry({ date_create: T + 3600 });
    const later = auditEntry({ date_create: T + 3650 });
    s.slack.state.addAuditEntries([lateSameSecond, later] as never);
    const result = await collectSlackAudit({ cycleId: 'c2', now: new Date((T + 3700) * 1000).toISOString() }, s.deps());
    expect(result).toMatchObject({ rows: 2, duplicates: 1, checkpointAt: T + 3700 });
    const ids = s.ingestion.rows(AUDIT).map((r) => r.EventId);
    expect(ids.sort()).toEqual([first.id, lateSameSecond.id, later.id].sort());
  });

  it('lands an entry Slack shows late (date_create inside the overlap) exactly once, and nothing of the overlap twice', async () => {
    const onTime = auditEntry({ date_create: T + 3590 });
    const s = await setup({}, [onTime]);
    const at = (second: number) => new Date(second * 1000).toISOString();
    await collectSlackAudit({ cycleId: 'c1', now: at(T + 3600) }, s.deps());
    // Visible only now, after c1 read its second: 50 s before the checkpoint, inside the 120 s overlap.
    const late = auditEntry({ date_create: T + 3550 });
    const next = auditEntry({ date_create: T + 3610 });
    s.slack.state.addAuditEntries([late, next] as never);
    const second = await collectSlackAudit({ cycleId: 'c2', now: at(T + 3615) }, s.deps());
    expect(second).toMatchObject({ rows: 2, duplicates: 1, checkpointAt: T + 3615, overlapSeconds: 120 });
    const third = await collectSlackAudit({ cycleId: 'c3', now: at(T + 3630) }, s.deps());
    expect(third).toMatchObject({ rows: 0, duplicates: 3 });
    const ids = s.ingestion.rows(AUDIT).map((r) => r.EventId);
    expect(ids.sort()).toEqual([onTime.id, late.id, next.id].sort());
  });

  it('without an overlap (SENTRY_SLACK_AUDIT_OVERLAP_SECONDS=0) the same late entry is never read', async () => {
    const s = await setup({ SENTRY_SLACK_AUDIT_OVERLAP_SECONDS: '0' }, [auditEntry({ date_create: T + 3590 })]);
    await collectSlackAudit({ cycleId: 'c1', now: new Date((T + 3600) * 1000).toISOString() }, s.deps());
    const late = auditEntry({ date_create: T + 3550 });
    s.slack.state.addAuditEntries([late] as never);
    await collectSlackAudit({ cycleId: 'c2', now: new Date((T + 3615) * 1000).toISOString() }, s.deps());
    expect(s.ingestion.rows(AUDIT).map((r) => r.EventId)).not.toContain(late.id);
  });

  it('over many 15 s cycles with entries arriving up to 100 s late, lands each exactly once', async () => {
    const s = await setup({ SENTRY_SLACK_AUDIT_LAG_SECONDS: '5' });
    const added: Record<string, unknown>[] = [];
    let now = T + 3600;
    await collectSlackAudit({ cycleId: 'c0', now: new Date(now * 1000).toISOString() }, s.deps());
    for (let cycle = 1; cycle <= 20; cycle += 1) {
      const batch = [
        // On time: created in the 15 s since the last cycle.
        ...Array.from({ length: 4 }, (_, i) => auditEntry({ date_create: now - 14 + i * 4 })),
        // Late: created 20..100 s ago, visible only now.
        auditEntry({ date_create: now - 20 - ((cycle * 37) % 80) }),
        auditEntry({ date_create: now - 6 }),
      ];
      s.slack.state.addAuditEntries(batch);
      added.push(...batch);
      now += 15;
      const result = await collectSlackAudit(
        { cycleId: `c${cycle}`, now: new Date(now * 1000).toISOString() },
        s.deps(),
      );
      expect(result.checkpointAt).toBe(now - 5);
    }
    const counts = new Map<unknown, number>();
    for (const row of s.ingestion.rows(AUDIT)) counts.set(row.EventId, (counts.get(row.EventId) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
    expect([...counts.keys()].sort()).toEqual(added.map((e) => e.id).sort());
  });

  it('a crash between upload and checkpoint re-lands only that window once more, and loses nothing', async () => {
    const entries = Array.from({ length: 36 }, (_, k) => auditEntry({ date_create: T + 100 * (k + 1) }));
    const s = await setup({ SENTRY_SLACK_AUDIT_WINDOW_SECONDS: '600' }, entries);
    // Windows 1 and 2 are checkpointed; the host dies after uploading window 3.
    s.crashBeforeSave.push(false, false, true);
    await expect(collectSlackAudit({ cycleId: 'c1', now: NOW }, s.deps())).rejects.toMatchObject({
      code: ErrorCode.StateUnavailable,
    });
    expect((await s.checkpoints.load(s.org)).checkpoint?.at).toBe(T + 1200);
    const retried = await collectSlackAudit({ cycleId: 'c1', now: NOW }, s.deps());
    expect(retried).toMatchObject({ caughtUp: true, checkpointAt: T + 3600 });

    const counts = new Map<unknown, number>();
    for (const row of s.ingestion.rows(AUDIT)) counts.set(row.EventId, (counts.get(row.EventId) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(entries.map((e) => e.id).sort());
    // Window 3 re-read [T+1080, T+1800]: what it landed new, (T+1200, T+1800], lands once more; nothing else does.
    const interrupted = entries.filter((e) => Number(e.date_create) > T + 1200 && Number(e.date_create) <= T + 1800);
    expect([...counts].filter(([, n]) => n > 1).map(([id]) => id)).toEqual(
      expect.arrayContaining(interrupted.map((e) => e.id)),
    );
    expect([...counts].filter(([, n]) => n > 1)).toHaveLength(interrupted.length);
    expect(Math.max(...counts.values())).toBe(2);
  });

  it('past the landed-id cap shrinks the overlap, says so, and still lands nothing twice', async () => {
    const entries = Array.from({ length: 10 }, (_, k) => auditEntry({ date_create: T + 3600 - 10 * k }));
    const s = await setup({}, entries);
    const logs: string[] = [];
    const deps = s.deps({ maxLandedKeys: 4, log: (m) => logs.push(m) });
    const first = await collectSlackAudit({ cycleId: 'c1', now: NOW }, deps);
    expect(first).toMatchObject({ rows: 10, forgottenIds: 6, overlapSeconds: 39 });
    expect(logs.some((m) => /forgot the 6 oldest.*re-reads only 39 s before the checkpoint/.test(m))).toBe(true);
    s.slack.state.addAuditEntries([auditEntry({ date_create: T + 3605 })] as never);
    const second = await collectSlackAudit({ cycleId: 'c2', now: new Date((T + 3615) * 1000).toISOString() }, deps);
    expect(second.rows).toBe(1);
    const ids = s.ingestion.rows(AUDIT).map((r) => r.EventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(11);
  });

  it('quarantines invalid entries with their reason and keeps landing the valid ones around them', async () => {
    const good = [auditEntry({ date_create: T + 1 }), auditEntry({ date_create: T + 3 })];
    const noId = { ...auditEntry({ date_create: T + 2 }), id: undefined };
    const badActor = { ...auditEntry({ date_create: T + 2 }), actor: 'not-an-object' };
    const s = await setup({}, [good[0] ?? {}, noId, badActor, good[1] ?? {}]);
    const result = await collectSlackAudit({ cycleId: 'c1', now: NOW }, s.deps());
    expect(result).toMatchObject({ rows: 2, quarantined: 2 });
    const quarantined = s.ingestion.rows(QUARANTINE);
    expect(quarantined).toHaveLength(2);
    for (const row of quarantined) {
      expect(row.Source).toBe('slackAudit');
      expect(row.SourceOrg).toBe(s.org);
      expect(String(row.Reason)).toMatch(/id|actor/);
      expect(typeof row.Raw).toBe('string');
    }
    expect(landedIds(s)).toEqual(good.map((g) => g.id).sort());
    // Quarantined records are not fed to detections.
    expect(s.observers.record.observed).toHaveLength(2);
  });

  it('quarantines an entry whose JSON is broken, with its text, and lands the rest of its page', async () => {
    const s = await setup();
    const good = [auditEntry({ date_create: T + 1 }), auditEntry({ date_create: T + 3 })];
    // A stray comma before the closing brace: the page as a whole is not JSON.
    const broken = `{"id":"broken-1","date_create":${T + 2},"action":"user_login","actor":{"type":"user"},}`;
    const body = `{"ok":true,"entries":[${JSON.stringify(good[0])},${broken},${JSON.stringify(good[1])}],"response_metadata":{"next_cursor":""}}`;
    const client = new SlackAuditClient({
      baseUrl: 'https://api.slack.com/audit/v1/',
      token: BASE_TEST_ENV.SENTRY_SLACK_AUDIT_TOKEN ?? '',
      fetch: () =>
        Promise.resolve(new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })),
      budget: { org: s.org, perMinute: 6000, burst: 100 },
      maxRetries: 0,
    });
    const result = await collectSlackAudit({ cycleId: 'c1', now: NOW }, s.deps({ client }));
    expect(result).toMatchObject({ rows: 2, quarantined: 1, checkpointAt: T + 3600 });
    const [quarantined, ...more] = s.ingestion.rows(QUARANTINE);
    expect(more).toHaveLength(0);
    expect(quarantined?.Source).toBe('slackAudit');
    expect(String(quarantined?.Reason)).toMatch(/^invalid Slack audit entry: not valid JSON/);
    expect(JSON.parse(String(quarantined?.Raw))).toBe(broken);
    expect(landedIds(s)).toEqual(good.map((g) => g.id).sort());
  });

  it('keeps at most SENTRY_INGESTION_CONCURRENCY uploads in flight, and waits for room instead of dropping', async () => {
    const entries = Array.from({ length: 9000 }, (_, i) =>
      auditEntry({ date_create: T + 1 + (i % 3000), userId: `W${String(i).padStart(8, '0')}` }),
    );
    const s = await setup({ SENTRY_INGESTION_CONCURRENCY: '2', SENTRY_SLACK_AUDIT_PAGE_SIZE: '9999' }, entries);
    let inFlight = 0;
    let most = 0;
    const upload = s.ingestion.upload.bind(s.ingestion);
    s.ingestion.upload = async (...args) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      // Slow enough that the run outpaces the uploads and has to wait for the window.
      await new Promise((resolve) => setTimeout(resolve, 30));
      inFlight -= 1;
      return upload(...args);
    };
    const result = await collectSlackAudit({ cycleId: 'c1', now: NOW }, s.deps());
    expect(result.uploadRequests).toBeGreaterThan(3);
    expect(most).toBe(2);
    expect(s.ingestion.rows(AUDIT)).toHaveLength(9000);
  });

  it('applies the deny list client-side and the allow list as action= batches', async () => {
    const s = await setup(
      { SENTRY_SLACK_AUDIT_ACTIONS: 'file_downloaded,user_login', SENTRY_SLACK_AUDIT_DENY_ACTIONS: 'user_login' },
      [
        auditEntry({ date_create: T + 1 }),
        auditEntry({ date_create: T + 2, action: 'user_login' }),
        auditEntry({ date_create: T + 3, action: 'user_logout' }),
      ],
    );
    const result = await collectSlackAudit({ cycleId: 'c1', now: NOW }, s.deps());
    expect(result.rows).toBe(1);
    expect(s.ingestion.rows(AUDIT).map((r) => r.Action)).toEqual(['file_downloaded']);
    const logsCall = s.slack.requests.find((r) => r.path.startsWith('/audit/v1/logs'));
    expect(new URLSearchParams(logsCall?.query ?? '').get('action')).toBe('file_downloaded');
  });

  it('never advances the checkpoint when the upload fails, and the retry lands everything', async () => {
    const entries = [auditEntry({ date_create: T + 5 }), auditEntry({ date_create: T + 6 })];
    const s = await setup({}, entries);
    s.ingestion.failWith = () => httpError(503);
    const error = await collectSlackAudit({ cycleId: 'c1', now: NOW }, s.deps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: ErrorCode.IngestionFailed, retriable: true });
    expect((await s.checkpoints.load(s.org)).checkpoint).toBeUndefined();
    expect(s.events.some((e) => e.startsWith('checkpoint.save'))).toBe(false);

    s.ingestion.failWith = undefined;
    const retried = await collectSlackAudit({ cycleId: 'c1', now: NOW }, s.deps());
    expect(retried.rows).toBe(2);
    expect(landedIds(s)).toEqual(entries.map((e) => e.id).sort());
    expect((await s.checkpoints.load(s.org)).checkpoint?.at).toBe(T + 3600);
  });

  it('never advances the checkpoint when the observations cannot be persisted', async () => {
    const s = await setup({}, [auditEntry({ date_create: T + 5 })]);
    s.observers.failFlush.value = new AppError(ErrorCode.StateUnavailable, 'windows table down', { retriable: true });
    await expect(collectSlackAudit({ cycleId: 'c1', now: NOW }, s.deps())).rejects.toMatchObject({
      code: ErrorCode.StateUnavailable,
    });
    expect((await s.checkpoints.load(s.org)).checkpoint).toBeUndefined();
  });

  it('loses a checkpoint race with a retriable conflict instead of overwriting', async () => {
    const s = await setup({}, [auditEntry({ date_create: T + 5 })]);
    const rival = new SlackAuditCheckpoints(new CheckpointStore(s.config));
    const { factory } = recordingObservers();
    const deps = s.deps({
      createObserver: (ctx) => {
        const inner = factory(ctx);
        return {
          observe: inner.observe.bind(inner),
          async flush() {
            // Another run of the same org saves first, between our read and our write.
            await rival.save(s.org, { at: T + 100, since: T + 100, landed: {} }, undefined, new Date());
            return inner.flush();
          },
        };
      },
    });
    await expect(collectSlackAudit({ cycleId: 'c1', now: NOW }, deps)).rejects.toMatchObject({
      code: ErrorCode.StateConflict,
      retriable: true,
    });
    expect((await s.checkpoints.load(s.org)).checkpoint?.at).toBe(T + 100);
  });

  it('reads a backlog window by window until the run budget is spent, checkpointing each', async () => {
    const entries = [
      auditEntry({ date_create: T + 100 }),
      auditEntry({ date_create: T + 1000 }),
      auditEntry({ date_create: T + 3000 }),
    ];
    const s = await setup({ SENTRY_SLACK_AUDIT_WINDOW_SECONDS: '600', SENTRY_SLACK_AUDIT_RUN_SECONDS: '10' }, entries);
    let clock = 0;
    const deps = s.deps({
      clock: () => {
        clock += 4_000;
        return clock;
      },
    });
    const first = await collectSlackAudit({ cycleId: 'c1', now: NOW }, deps);
    expect(first.caughtUp).toBe(false);
    expect(first.windows).toBeGreaterThanOrEqual(1);
    expect(first.windows).toBeLessThan(7);
    const saves = s.events.filter((e) => e.startsWith('checkpoint.save'));
    expect(saves).toHaveLength(first.windows);
    let last = first;
    for (let i = 0; i < 10 && !last.caughtUp; i += 1)
      last = await collectSlackAudit({ cycleId: `c${i + 2}`, now: NOW }, s.deps());
    expect(last.caughtUp).toBe(true);
    expect(last.checkpointAt).toBe(T + 3600);
    expect(landedIds(s)).toEqual(entries.map((e) => e.id).sort());
  });

  it('backfills exactly the given window without touching the checkpoint', async () => {
    const inside = auditEntry({ date_create: T - 86_400 + 10 });
    const s = await setup({}, [inside, auditEntry({ date_create: T - 10 })]);
    const result = await collectSlackAudit(
      { cycleId: 'backfill:x', window: { oldest: T - 86_400, latest: T - 86_400 + 3599 } },
      s.deps(),
    );
    expect(result).toMatchObject({ mode: 'backfill', windows: 1, rows: 1, checkpointAt: null });
    expect(s.ingestion.rows(AUDIT).map((r) => r.EventId)).toEqual([inside.id]);
    expect((await s.checkpoints.load(s.org)).checkpoint).toBeUndefined();
  });

  it('rejects bad input with a clear, non-retriable error and calls nothing', async () => {
    const s = await setup();
    for (const input of [
      undefined,
      {},
      { cycleId: '' },
      { cycleId: 'c', rows: [] },
      { cycleId: 'c', window: { oldest: 10, latest: 5 } },
    ]) {
      const error = await collectSlackAudit(input, s.deps()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: ErrorCode.InputInvalid, retriable: false });
      expect((error as Error).message).toContain('collectSlackAudit input is invalid');
    }
    await expect(collectSlackAudit({ cycleId: 'c', org: 'Eother' }, s.deps())).rejects.toMatchObject({
      code: ErrorCode.InputInvalid,
    });
    expect(s.slack.requests.filter((r) => r.path.startsWith('/audit'))).toHaveLength(0);
  });

  it('rethrows a Slack outage as a retriable coded error without moving the checkpoint', async () => {
    const s = await setup({}, [auditEntry({ date_create: T + 5 })]);
    s.slack.faults.add({ kind: 'status', status: 503, match: { path: '/audit/v1/logs' } });
    await expect(collectSlackAudit({ cycleId: 'c1', now: NOW }, s.deps())).rejects.toMatchObject({
      code: ErrorCode.CollectorHttpError,
      retriable: true,
    });
    expect((await s.checkpoints.load(s.org)).checkpoint).toBeUndefined();
    expect(s.ingestion.calls).toBe(0);
  });
});
