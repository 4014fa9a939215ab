import { afterEach, describe, expect, it } from 'vitest';

import { ErrorCode } from '../../errors';
import { resetSharedBudgets } from '../budget';
import type { FetchLike } from '../http';
import {
  fakeClock,
  jsonResponse,
  loadExchange,
  scriptedFetch,
  type SentRequest,
} from '../../../test/helpers/collector-testkit';
import { SlackAuditClient } from './client';
import {
  actionBatches,
  landedKey,
  nextCheckpoint,
  planSlackAuditWindow,
  slackAuditPages,
  splitWindow,
  type SlackAuditCheckpoint,
  type SlackAuditPage,
  type TimeWindow,
} from './pages';

const WINDOW: TimeWindow = { oldest: 1_700_000_000, latest: 1_700_000_600 };

function clientFor(steps: Parameters<typeof scriptedFetch>[0]) {
  const clock = fakeClock();
  const script = scriptedFetch(steps);
  const client = new SlackAuditClient({
    baseUrl: 'https://api.slack.com/audit/v1/',
    token: 'xoxp-test-token-000000',
    fetch: script.fetch,
    sleep: clock.sleep,
    now: clock.now,
    maxRetries: 0,
    budget: { org: `E-pages-${Math.random()}`, perMinute: 60_000, burst: 1000 },
  });
  return { client, script };
}

async function collect(pages: AsyncGenerator<SlackAuditPage>): Promise<SlackAuditPage[]> {
  const out: SlackAuditPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

function ids(pages: SlackAuditPage[]): string[] {
  return pages.flatMap((page) => page.entries.toArray().map((entry) => (entry as { id: string }).id));
}

/** A checkpoint whose landed set holds these ids (as keys) by second. */
function cp(at: number, since: number, landed: Record<number, string[]> = {}): SlackAuditCheckpoint {
  return {
    at,
    since,
    landed: Object.fromEntries(Object.entries(landed).map(([second, list]) => [second, list.map(landedKey).sort()])),
  };
}

function entry(id: string, second: number, action = 'user_login') {
  return { id, date_create: second, action, actor: { type: 'user', user: { id: 'W1' } } };
}

afterEach(() => {
  resetSharedBudgets();
});

describe('slackAuditPages', () => {
  it('reads a one-page window and returns the checkpoint on that (last) page', async () => {
    const { client } = clientFor([loadExchange('slack-audit-pages', '001-single-page')]);
    const pages = await collect(slackAuditPages(client, WINDOW));
    expect(pages).toHaveLength(1);
    const [page] = pages as [SlackAuditPage];
    expect(page.entries).toHaveLength(3);
    expect(page.last).toBe(true);
    expect(page.fetched).toBe(3);
    // Only the entry in the last 120 s (the default overlap) is remembered for the next re-read.
    expect(page.checkpoint).toEqual(
      cp(WINDOW.latest, WINDOW.latest - 120, { 1_700_000_590: ['6f0b1c2a-1d2e-4c3b-9a55-000000000003'] }),
    );
    expect(page.forgotten).toBe(0);
  });

  it('follows the cursor and only the last page carries the checkpoint, with the ids of the overlap', async () => {
    const { client, script } = clientFor([
      loadExchange('slack-audit-pages', '002-multi-page-1'),
      loadExchange('slack-audit-pages', '003-multi-page-2'),
    ]);
    const pages = await collect(slackAuditPages(client, WINDOW, { limit: 2 }));
    expect(pages.map((page) => [page.index, page.last, page.checkpoint !== undefined])).toEqual([
      [0, false, false],
      [1, true, true],
    ]);
    expect(ids(pages)).toHaveLength(4);
    expect(pages[1]?.checkpoint).toEqual(
      cp(1_700_000_600, 1_700_000_480, {
        1_700_000_600: ['7a1d2e3f-0000-4000-8000-000000000003', '7a1d2e3f-0000-4000-8000-000000000004'],
      }),
    );
    const [first, second] = script.requests as [SentRequest, SentRequest];
    expect(second.url.searchParams.get('cursor')).toBe('dXNlcjpXMEFBQUEwMDE6MTcwMDAwMDYwMA==');
    for (const name of ['oldest', 'latest', 'limit']) {
      expect(second.url.searchParams.get(name)).toBe(first.url.searchParams.get(name));
    }
    expect(first.url.searchParams.get('limit')).toBe('2');
  });

  it('requests the next page while the caller still holds the current one, and nothing past the last', async () => {
    const { client, script } = clientFor([
      loadExchange('slack-audit-pages', '002-multi-page-1'),
      loadExchange('slack-audit-pages', '003-multi-page-2'),
    ]);
    const pages = slackAuditPages(client, WINDOW, { limit: 2 });
    const first = await pages.next();
    expect(first.value).toMatchObject({ index: 0, last: false });
    // Page 2 is already on its way before the caller asks for it.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(script.requests).toHaveLength(2);
    const second = await pages.next();
    expect(second.value).toMatchObject({ index: 1, last: true });
    expect((await pages.next()).done).toBe(true);
    expect(script.requests).toHaveLength(2);
  });

  it('yields an empty final page for an empty window, keeping ids already seen at the same second', async () => {
    const { client } = clientFor([loadExchange('slack-audit-pages', '004-empty-page')]);
    const previous = cp(WINDOW.latest, WINDOW.latest, { [WINDOW.latest]: ['a', 'b'] });
    const window = { oldest: WINDOW.latest, latest: WINDOW.latest };
    const pages = await collect(slackAuditPages(client, window, { checkpoint: previous }));
    expect(pages).toHaveLength(1);
    expect(pages[0]?.entries.toArray()).toEqual([]);
    expect(pages[0]?.checkpoint).toEqual(previous);
  });

  it('never lands an entry twice when the next window re-reads the overlap before the checkpoint', async () => {
    const { client } = clientFor([
      loadExchange('slack-audit-pages', '002-multi-page-1'),
      loadExchange('slack-audit-pages', '003-multi-page-2'),
      loadExchange('slack-audit-pages', '009-boundary-reread'),
    ]);
    const firstWindow = await collect(slackAuditPages(client, WINDOW, { limit: 2 }));
    const checkpoint = firstWindow.at(-1)?.checkpoint;
    expect(checkpoint).toBeDefined();

    const next = planSlackAuditWindow(checkpoint, 1_700_001_260, { lagSeconds: 60 });
    expect(next).toEqual({ oldest: 1_700_000_480, latest: 1_700_001_200 });
    if (next === null) throw new Error('expected a window');
    const secondWindow = await collect(slackAuditPages(client, next, { checkpoint }));

    expect(secondWindow[0]?.fetched).toBe(4);
    expect(secondWindow[0]?.dropped.duplicate).toBe(2);
    expect(ids(secondWindow)).toEqual(['8b2e3f40-0000-4000-8000-000000000009', '7a1d2e3f-0000-4000-8000-000000000005']);
    const landed = [...ids(firstWindow), ...ids(secondWindow)];
    expect(new Set(landed).size).toBe(landed.length);
    expect(landed).toHaveLength(6);
    expect(secondWindow[0]?.checkpoint).toEqual(
      cp(1_700_001_200, 1_700_001_080, { 1_700_001_100: ['8b2e3f40-0000-4000-8000-000000000009'] }),
    );
  });

  it('drops repeats across pages of one window and entries outside the window', async () => {
    const { client } = clientFor([
      () =>
        jsonResponse(200, {
          entries: [entry('x1', 1_700_000_600), entry('x2', 1_700_000_500)],
          response_metadata: { next_cursor: 'c2' },
        }),
      () =>
        jsonResponse(200, {
          entries: [
            entry('x2', 1_700_000_500),
            entry('late', 1_700_000_601),
            entry('early', 1_699_999_999),
            entry('x3', 1_700_000_000),
          ],
          response_metadata: { next_cursor: '' },
        }),
    ]);
    const pages = await collect(slackAuditPages(client, WINDOW));
    expect(ids(pages)).toEqual(['x1', 'x2', 'x3']);
    expect(pages[1]?.dropped).toEqual({ duplicate: 1, denied: 0, outsideWindow: 2 });
    expect(pages[1]?.checkpoint).toEqual(
      cp(WINDOW.latest, WINDOW.latest - 120, { [WINDOW.latest]: ['x1'], 1_700_000_500: ['x2'] }),
    );
  });

  it('passes entries without a readable id or time through for the transform to quarantine', async () => {
    const { client } = clientFor([
      () =>
        jsonResponse(200, {
          entries: [{ action: 'user_login' }, 'not an object'],
          response_metadata: { next_cursor: '' },
        }),
    ]);
    const pages = await collect(slackAuditPages(client, WINDOW));
    expect(pages[0]?.entries.toArray()).toEqual([{ action: 'user_login' }, 'not an object']);
  });

  it('filters a deny list client-side without sending an action filter', async () => {
    const { client, script } = clientFor([loadExchange('slack-audit-pages', '001-single-page')]);
    const pages = await collect(slackAuditPages(client, WINDOW, { denyActions: ['user_login'] }));
    expect(pages[0]?.entries.toArray().map((e) => (e as { action: string }).action)).toEqual([
      'file_downloaded',
      'user_channel_join',
    ]);
    expect(pages[0]?.dropped.denied).toBe(1);
    expect(script.requests[0]?.url.searchParams.has('action')).toBe(false);
  });

  it('sends an allow list as action batches of at most 30, minus denied actions, each followed to its last page', async () => {
    const allow = Array.from({ length: 65 }, (_, i) => `action_${String(i).padStart(2, '0')}`);
    const answer = (request: SentRequest) => {
      const actions = (request.url.searchParams.get('action') ?? '').split(',');
      const cursor = request.url.searchParams.get('cursor');
      // The first batch has two pages; every page returns one entry per call at the latest second.
      const nextCursor = actions[0] === 'action_00' && cursor === null ? 'more' : '';
      return jsonResponse(200, {
        entries: [entry(`${actions[0] ?? ''}-${cursor ?? 'first'}`, WINDOW.latest, actions[0])],
        response_metadata: { next_cursor: nextCursor },
      });
    };
    const { client, script } = clientFor(Array.from({ length: 4 }, () => answer));
    const pages = await collect(
      slackAuditPages(client, WINDOW, { allowActions: [...allow, 'action_03'], denyActions: ['action_10'] }),
    );

    const sent = script.requests.map((request) => (request.url.searchParams.get('action') ?? '').split(','));
    expect(script.requests.map((r) => r.url.searchParams.get('cursor'))).toEqual([null, 'more', null, null]);
    expect(sent.map((batch) => batch.length)).toEqual([30, 30, 30, 4]);
    expect(sent.every((batch) => batch.length <= 30)).toBe(true);
    const distinct = [...new Set(sent.flat())].sort();
    expect(distinct).toEqual(allow.filter((action) => action !== 'action_10'));
    expect(pages.map((page) => [page.actionBatch, page.last])).toEqual([
      [0, false],
      [0, false],
      [1, false],
      [2, true],
    ]);
    expect(pages.at(-1)?.checkpoint?.landed[String(WINDOW.latest)]).toEqual(
      ['action_00-first', 'action_00-more', 'action_31-first', 'action_61-first'].map(landedKey).sort(),
    );
  });

  it('asks nothing when every allowed action is denied, and still completes the window', async () => {
    const { client, script } = clientFor([]);
    const pages = await collect(slackAuditPages(client, WINDOW, { allowActions: ['a'], denyActions: ['a'] }));
    expect(script.requests).toHaveLength(0);
    expect(pages).toEqual([
      expect.objectContaining({ last: true, checkpoint: cp(WINDOW.latest, WINDOW.latest - 120) }),
    ]);
    expect(pages[0]?.entries.length).toBe(0);
  });

  it('yields no checkpoint when a later page fails: the window is re-read next time', async () => {
    const { client } = clientFor([
      loadExchange('slack-audit-pages', '002-multi-page-1'),
      loadExchange('slack-audit-pages', '007-invalid-auth'),
    ]);
    const seen: SlackAuditPage[] = [];
    await expect(async () => {
      for await (const page of slackAuditPages(client, WINDOW, { limit: 2 })) seen.push(page);
    }).rejects.toMatchObject({ code: ErrorCode.CollectorAuth, retriable: false });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.checkpoint).toBeUndefined();
    expect(seen[0]?.last).toBe(false);
  });

  it('accepts page sizes up to 9999 and rejects larger ones', async () => {
    const { client, script } = clientFor([loadExchange('slack-audit-pages', '004-empty-page')]);
    await collect(slackAuditPages(client, WINDOW, { limit: 9999 }));
    expect(script.requests[0]?.url.searchParams.get('limit')).toBe('9999');
    await expect(collect(slackAuditPages(client, WINDOW, { limit: 10_000 }))).rejects.toMatchObject({
      code: ErrorCode.InputInvalid,
    });
  });

  it('refuses a window that ends before the checkpoint', async () => {
    const { client } = clientFor([]);
    await expect(
      collect(slackAuditPages(client, WINDOW, { checkpoint: cp(WINDOW.latest + 1, WINDOW.latest + 1) })),
    ).rejects.toMatchObject({ code: ErrorCode.InputInvalid });
  });
});

describe('nextCheckpoint', () => {
  const at = (second: number, ...list: string[]) => list.map((id) => [second, landedKey(id)] as const);

  it('keeps the keys landed in the last overlapSeconds of the window, by second, sorted and unique', () => {
    const { checkpoint, forgotten } = nextCheckpoint(
      WINDOW,
      [...at(WINDOW.latest, 'b', 'a', 'b'), ...at(WINDOW.latest - 30, 'c'), ...at(WINDOW.latest - 31, 'old')],
      undefined,
      { overlapSeconds: 30 },
    );
    expect(checkpoint).toEqual(
      cp(WINDOW.latest, WINDOW.latest - 30, { [WINDOW.latest]: ['a', 'b'], [WINDOW.latest - 30]: ['c'] }),
    );
    expect(forgotten).toBe(0);
  });

  it('merges the previous keys still inside the overlap and forgets older ones', () => {
    const previous = cp(WINDOW.latest - 10, WINDOW.latest - 60, {
      [WINDOW.latest - 50]: ['p1'],
      [WINDOW.latest - 20]: ['p2'],
    });
    const window = { oldest: WINDOW.latest - 60, latest: WINDOW.latest };
    expect(nextCheckpoint(window, at(WINDOW.latest - 20, 'n1'), previous, { overlapSeconds: 40 }).checkpoint).toEqual(
      cp(WINDOW.latest, WINDOW.latest - 40, { [WINDOW.latest - 20]: ['n1', 'p2'] }),
    );
  });

  it('never covers more than what was read: a first window shorter than the overlap starts at its oldest', () => {
    const window = { oldest: WINDOW.latest - 10, latest: WINDOW.latest };
    expect(nextCheckpoint(window, [], undefined, { overlapSeconds: 120 }).checkpoint.since).toBe(WINDOW.latest - 10);
  });

  it('past the cap forgets the oldest whole seconds and moves since past them', () => {
    const landed = [...at(100, 'a', 'b'), ...at(110, 'c', 'd'), ...at(120, 'e')];
    const window = { oldest: 0, latest: 120 };
    const capped = nextCheckpoint(window, landed, undefined, { overlapSeconds: 120, maxLandedKeys: 4 });
    expect(capped.checkpoint).toEqual(cp(120, 101, { 110: ['c', 'd'], 120: ['e'] }));
    expect(capped.forgotten).toBe(2);
    // The next window starts at since: the forgotten second 100 is not re-read, so it cannot land twice.
    expect(planSlackAuditWindow(capped.checkpoint, 200, { lagSeconds: 0, overlapSeconds: 120 })?.oldest).toBe(101);
    // The newest second alone over the cap: nothing kept, the next window starts after the checkpoint.
    const closed = nextCheckpoint(window, landed, undefined, { overlapSeconds: 120, maxLandedKeys: 0 });
    expect(closed).toEqual({ checkpoint: cp(120, 121), forgotten: 5 });
  });

  it('never moves backwards', () => {
    expect(() => nextCheckpoint(WINDOW, [], cp(WINDOW.latest + 5, WINDOW.latest))).toThrow(/backwards/);
  });
});

describe('planSlackAuditWindow', () => {
  it('starts a first run at the lookback and ends lagSeconds before now', () => {
    expect(planSlackAuditWindow(undefined, 1_000_000, { lagSeconds: 30, initialLookbackSeconds: 600 })).toEqual({
      oldest: 1_000_000 - 30 - 600,
      latest: 1_000_000 - 30,
    });
  });

  it('starts overlapSeconds before the checkpoint and caps a backlog at maxWindowSeconds past it', () => {
    const checkpoint = cp(500_000, 400_000);
    expect(
      planSlackAuditWindow(checkpoint, 1_000_000, { lagSeconds: 60, overlapSeconds: 120, maxWindowSeconds: 3600 }),
    ).toEqual({ oldest: 499_880, latest: 503_600 });
    // With the defaults: a 120 s overlap and a 5 s lag.
    expect(planSlackAuditWindow(cp(999_000, 0), 1_000_000)).toEqual({ oldest: 998_880, latest: 999_995 });
  });

  it('never starts before since: only seconds whose landed ids are known are re-read', () => {
    expect(planSlackAuditWindow(cp(1_000, 950), 2_000, { lagSeconds: 0, overlapSeconds: 120 })).toEqual({
      oldest: 950,
      latest: 2_000,
    });
  });

  it('returns null while now − lag is still before the checkpoint', () => {
    const checkpoint = cp(1_000, 900);
    expect(planSlackAuditWindow(checkpoint, 1_050, { lagSeconds: 60 })).toBeNull();
    expect(planSlackAuditWindow(checkpoint, 1_060, { lagSeconds: 60 })).toEqual({ oldest: 900, latest: 1_000 });
    // A closed second (since = at + 1) is not re-read at all.
    expect(planSlackAuditWindow(cp(1_000, 1_001), 1_000, { lagSeconds: 0 })).toBeNull();
    expect(planSlackAuditWindow(cp(1_000, 1_001), 1_001, { lagSeconds: 0 })).toEqual({ oldest: 1_001, latest: 1_001 });
  });
});

describe('splitWindow', () => {
  it('covers every second exactly once, oldest first', () => {
    const windows = splitWindow(100, 349, 100);
    expect(windows).toEqual([
      { oldest: 100, latest: 199 },
      { oldest: 200, latest: 299 },
      { oldest: 300, latest: 349 },
    ]);
    for (let i = 1; i < windows.length; i += 1) expect(windows[i]?.oldest).toBe((windows[i - 1]?.latest ?? 0) + 1);
  });

  it('handles a one-second window and rejects bad input', () => {
    expect(splitWindow(5, 5, 60)).toEqual([{ oldest: 5, latest: 5 }]);
    expect(() => splitWindow(10, 5, 60)).toThrow(/invalid window/);
    expect(() => splitWindow(0, 5, 0)).toThrow(/positive integer/);
  });
});

describe('actionBatches', () => {
  it('dedupes, removes denied actions and caps batches at 30', () => {
    expect(actionBatches(['a', 'b', 'a', 'c'], ['b'], 1)).toEqual([['a'], ['c']]);
    expect(() => actionBatches(['a'], [], 31)).toThrow(/1\.\.30/);
  });
});

/**
 * An in-memory Audit Logs API whose index shows each entry `visibleAfter` seconds after its
 * `date_create` (Slack's late entries), paged newest first with inclusive bounds.
 */
function lateIndex() {
  const log: { id: string; date_create: number; visibleAt: number }[] = [];
  let nowSec = 0;
  let calls = 0;
  const fetch: FetchLike = (url) => {
    calls += 1;
    const q = new URL(url).searchParams;
    const oldest = Number(q.get('oldest'));
    const latest = Number(q.get('latest'));
    const limit = Number(q.get('limit'));
    const offset = Number(q.get('cursor') ?? '0');
    const visible = log
      .filter((e) => e.visibleAt <= nowSec && e.date_create >= oldest && e.date_create <= latest)
      .sort((x, y) => y.date_create - x.date_create || (y.id < x.id ? -1 : 1));
    const page = visible.slice(offset, offset + limit);
    const more = offset + limit < visible.length;
    return Promise.resolve(
      jsonResponse(200, {
        ok: true,
        entries: page.map(({ id, date_create }) => entry(id, date_create)),
        response_metadata: { next_cursor: more ? String(offset + limit) : '' },
      }),
    );
  };
  const client = new SlackAuditClient({
    baseUrl: 'https://api.slack.com/audit/v1/',
    token: 'xoxp-test-token-000000',
    fetch,
    maxRetries: 0,
    budget: { org: `E-late-${Math.random()}`, perMinute: 6_000_000, burst: 100_000 },
  });
  return {
    client,
    log,
    calls: () => calls,
    setNow: (sec: number) => {
      nowSec = sec;
    },
  };
}

/** A seeded generator, so a failing run can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

interface CycleRun {
  landed: Map<string, number>;
  crashes: number;
  /** Rows landed by windows whose checkpoint was never saved. */
  uncheckpointed: Map<string, number>;
  forgotten: number;
}

/** Cycles every `poll` seconds from `start` to `end`, landing pages and saving checkpoints like the activity. */
async function runCycles(
  index: ReturnType<typeof lateIndex>,
  options: {
    start: number;
    end: number;
    poll: number;
    lag: number;
    overlap: number;
    crash?: () => boolean;
    maxLandedKeys?: number;
    limit?: number;
  },
): Promise<CycleRun> {
  const run: CycleRun = { landed: new Map(), crashes: 0, uncheckpointed: new Map(), forgotten: 0 };
  let checkpoint: SlackAuditCheckpoint | undefined;
  for (let now = options.start; now <= options.end; now += options.poll) {
    index.setNow(now);
    const window = planSlackAuditWindow(checkpoint, now, {
      lagSeconds: options.lag,
      overlapSeconds: options.overlap,
      initialLookbackSeconds: 60,
    });
    if (window === null) continue;
    const rows: string[] = [];
    let next: SlackAuditCheckpoint | undefined;
    for await (const page of slackAuditPages(index.client, window, {
      checkpoint,
      overlapSeconds: options.overlap,
      limit: options.limit ?? 50,
      ...(options.maxLandedKeys === undefined ? {} : { maxLandedKeys: options.maxLandedKeys }),
    })) {
      // "Uploaded" page by page, as the row sink does.
      for (const e of page.entries.toArray()) rows.push((e as { id: string }).id);
      for (const id of page.entries.toArray().map((e) => (e as { id: string }).id))
        run.landed.set(id, (run.landed.get(id) ?? 0) + 1);
      if (page.checkpoint !== undefined) next = page.checkpoint;
      run.forgotten += page.forgotten ?? 0;
    }
    if (options.crash?.() === true) {
      // Crash after the upload, before the checkpoint save: the next cycle starts from the old one.
      run.crashes += 1;
      for (const id of rows) run.uncheckpointed.set(id, (run.uncheckpointed.get(id) ?? 0) + 1);
      continue;
    }
    checkpoint = next;
  }
  return run;
}

describe('late entries across cycles (overlap re-read)', () => {
  const T0 = 1_800_000_000;

  it('lands an entry that appears late inside the overlap exactly once', async () => {
    const index = lateIndex();
    index.log.push({ id: 'on-time', date_create: T0 + 50, visibleAt: T0 + 50 });
    // date_create 10 s before the first window's end, but only visible 40 s later, after that window ran.
    index.log.push({ id: 'late', date_create: T0 + 55, visibleAt: T0 + 100 });
    const run = await runCycles(index, { start: T0 + 60, end: T0 + 300, poll: 15, lag: 5, overlap: 120 });
    expect(Object.fromEntries(run.landed)).toEqual({ 'on-time': 1, late: 1 });
  });

  it('with the old behaviour (no overlap) the same late entry is lost', async () => {
    const index = lateIndex();
    index.log.push({ id: 'late', date_create: T0 + 55, visibleAt: T0 + 100 });
    const run = await runCycles(index, { start: T0 + 60, end: T0 + 300, poll: 15, lag: 5, overlap: 0 });
    expect(run.landed.has('late')).toBe(false);
  });

  it('over many cycles lands every entry visible within overlap + lag exactly once', async () => {
    const random = prng(7);
    const index = lateIndex();
    const end = T0 + 1800;
    for (let i = 0; i < 3000; i += 1) {
      const created = T0 + Math.floor(random() * 1700);
      // Mostly on time, some up to 110 s late (inside the 120 s overlap + 5 s lag).
      const delay = random() < 0.8 ? Math.floor(random() * 3) : Math.floor(random() * 110);
      index.log.push({ id: `e${i}`, date_create: created, visibleAt: created + delay });
    }
    const run = await runCycles(index, { start: T0 + 60, end, poll: 15, lag: 5, overlap: 120 });
    const expected = index.log.filter((e) => e.date_create <= end - 5 - 120 || e.visibleAt <= end);
    const missing = expected.filter((e) => !run.landed.has(e.id));
    const repeated = [...run.landed].filter(([, count]) => count > 1);
    expect(missing).toEqual([]);
    expect(repeated).toEqual([]);
    expect(run.landed.size).toBeGreaterThan(2800);
  });

  it('misses only entries later than overlap + lag, and still lands nothing twice', async () => {
    const index = lateIndex();
    index.log.push({ id: 'too-late', date_create: T0 + 55, visibleAt: T0 + 55 + 200 });
    index.log.push({ id: 'just-in-time', date_create: T0 + 56, visibleAt: T0 + 56 + 115 });
    const run = await runCycles(index, { start: T0 + 60, end: T0 + 600, poll: 15, lag: 5, overlap: 120 });
    expect(Object.fromEntries(run.landed)).toEqual({ 'just-in-time': 1 });
  });

  it('a crash between upload and checkpoint re-lands only that window, at most once more, and loses nothing', async () => {
    const random = prng(11);
    const index = lateIndex();
    const end = T0 + 1200;
    for (let i = 0; i < 1500; i += 1) {
      const created = T0 + Math.floor(random() * 1100);
      const delay = random() < 0.85 ? 0 : Math.floor(random() * 100);
      index.log.push({ id: `e${i}`, date_create: created, visibleAt: created + delay });
    }
    // Crash every third cycle, never twice in a row (a retry follows each crash).
    let cycle = 0;
    const run = await runCycles(index, {
      start: T0 + 60,
      end,
      poll: 15,
      lag: 5,
      overlap: 120,
      crash: () => (cycle += 1) % 3 === 0,
    });
    expect(run.crashes).toBeGreaterThan(10);
    const expected = index.log.filter((e) => e.visibleAt <= end - 15 * 2 || e.date_create <= end - 5 - 120);
    expect(expected.filter((e) => !run.landed.has(e.id))).toEqual([]);
    for (const [id, count] of run.landed) {
      // Landed once, plus once per crashed window that had uploaded it.
      expect(count, id).toBeLessThanOrEqual(1 + (run.uncheckpointed.get(id) ?? 0));
      expect(count, id).toBeLessThanOrEqual(2);
    }
    expect([...run.landed.values()].some((count) => count === 2)).toBe(true);
  });

  it('past the key cap forgets the oldest seconds: a shorter overlap, never a duplicate', async () => {
    const random = prng(3);
    const index = lateIndex();
    for (let i = 0; i < 2000; i += 1) {
      const created = T0 + Math.floor(random() * 600);
      index.log.push({ id: `e${i}`, date_create: created, visibleAt: created });
    }
    const run = await runCycles(index, {
      start: T0 + 60,
      end: T0 + 900,
      poll: 15,
      lag: 5,
      overlap: 120,
      maxLandedKeys: 100,
      limit: 200,
    });
    expect(run.forgotten).toBeGreaterThan(0);
    expect([...run.landed].filter(([, count]) => count > 1)).toEqual([]);
    // All entries were visible on time, so none is lost either.
    expect(run.landed.size).toBe(2000);
  });
});
