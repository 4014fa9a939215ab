import { afterEach, describe, expect, it } from 'vitest';

import { ErrorCode } from '../../errors';
import { resetSharedBudgets } from '../budget';
import { fakeClock, jsonResponse, loadExchange, scriptedFetch, type SentRequest } from '../testkit';
import { SlackAuditClient } from './client';
import {
  actionBatches,
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
  return pages.flatMap((page) => page.entries.map((entry) => (entry as { id: string }).id));
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
    // No entry sits at the latest second (1700000600): nothing to remember.
    expect(page.checkpoint).toEqual({ at: WINDOW.latest, seenIds: [] });
  });

  it('follows the cursor and only the last page carries the checkpoint, with the ids at its second', async () => {
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
    expect(pages[1]?.checkpoint).toEqual({
      at: 1_700_000_600,
      seenIds: ['7a1d2e3f-0000-4000-8000-000000000003', '7a1d2e3f-0000-4000-8000-000000000004'],
    });
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
    const previous: SlackAuditCheckpoint = { at: WINDOW.latest, seenIds: ['a', 'b'] };
    const window = { oldest: WINDOW.latest, latest: WINDOW.latest };
    const pages = await collect(slackAuditPages(client, window, { checkpoint: previous }));
    expect(pages).toHaveLength(1);
    expect(pages[0]?.entries).toEqual([]);
    expect(pages[0]?.checkpoint).toEqual({ at: WINDOW.latest, seenIds: ['a', 'b'] });
  });

  it('never lands an entry twice when the next window re-reads the inclusive boundary second', async () => {
    const { client } = clientFor([
      loadExchange('slack-audit-pages', '002-multi-page-1'),
      loadExchange('slack-audit-pages', '003-multi-page-2'),
      loadExchange('slack-audit-pages', '009-boundary-reread'),
    ]);
    const firstWindow = await collect(slackAuditPages(client, WINDOW, { limit: 2 }));
    const checkpoint = firstWindow.at(-1)?.checkpoint;
    expect(checkpoint).toBeDefined();

    const next = planSlackAuditWindow(checkpoint, 1_700_001_260, { lagSeconds: 60 });
    expect(next).toEqual({ oldest: 1_700_000_600, latest: 1_700_001_200 });
    if (next === null) throw new Error('expected a window');
    const secondWindow = await collect(slackAuditPages(client, next, { checkpoint }));

    expect(secondWindow[0]?.fetched).toBe(4);
    expect(secondWindow[0]?.dropped.duplicate).toBe(2);
    expect(ids(secondWindow)).toEqual(['8b2e3f40-0000-4000-8000-000000000009', '7a1d2e3f-0000-4000-8000-000000000005']);
    const landed = [...ids(firstWindow), ...ids(secondWindow)];
    expect(new Set(landed).size).toBe(landed.length);
    expect(landed).toHaveLength(6);
    expect(secondWindow[0]?.checkpoint).toEqual({ at: 1_700_001_200, seenIds: [] });
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
    expect(pages[1]?.checkpoint).toEqual({ at: WINDOW.latest, seenIds: ['x1'] });
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
    expect(pages[0]?.entries).toEqual([{ action: 'user_login' }, 'not an object']);
  });

  it('filters a deny list client-side without sending an action filter', async () => {
    const { client, script } = clientFor([loadExchange('slack-audit-pages', '001-single-page')]);
    const pages = await collect(slackAuditPages(client, WINDOW, { denyActions: ['user_login'] }));
    expect(pages[0]?.entries.map((e) => (e as { action: string }).action)).toEqual([
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
    expect(pages.at(-1)?.checkpoint?.seenIds).toEqual([
      'action_00-first',
      'action_00-more',
      'action_31-first',
      'action_61-first',
    ]);
  });

  it('asks nothing when every allowed action is denied, and still completes the window', async () => {
    const { client, script } = clientFor([]);
    const pages = await collect(slackAuditPages(client, WINDOW, { allowActions: ['a'], denyActions: ['a'] }));
    expect(script.requests).toHaveLength(0);
    expect(pages).toEqual([
      expect.objectContaining({ entries: [], last: true, checkpoint: { at: WINDOW.latest, seenIds: [] } }),
    ]);
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
      collect(slackAuditPages(client, WINDOW, { checkpoint: { at: WINDOW.latest + 1, seenIds: [] } })),
    ).rejects.toMatchObject({ code: ErrorCode.InputInvalid });
  });
});

describe('nextCheckpoint', () => {
  it('is the latest second with the ids landed at it, sorted and unique', () => {
    expect(nextCheckpoint(WINDOW, ['b', 'a', 'b'])).toEqual({ at: WINDOW.latest, seenIds: ['a', 'b'] });
  });

  it('keeps the previous ids when the window ends at the same second', () => {
    const previous = { at: WINDOW.latest, seenIds: ['a'] };
    expect(nextCheckpoint(WINDOW, ['c'], previous)).toEqual({ at: WINDOW.latest, seenIds: ['a', 'c'] });
  });

  it('forgets ids of an older second', () => {
    const previous = { at: WINDOW.oldest, seenIds: ['a'] };
    expect(nextCheckpoint(WINDOW, [], previous)).toEqual({ at: WINDOW.latest, seenIds: [] });
  });

  it('never moves backwards', () => {
    expect(() => nextCheckpoint(WINDOW, [], { at: WINDOW.latest + 5, seenIds: [] })).toThrow(/backwards/);
  });
});

describe('planSlackAuditWindow', () => {
  it('starts a first run at the lookback and ends lagSeconds before now', () => {
    expect(planSlackAuditWindow(undefined, 1_000_000, { lagSeconds: 30, initialLookbackSeconds: 600 })).toEqual({
      oldest: 1_000_000 - 30 - 600,
      latest: 1_000_000 - 30,
    });
  });

  it('starts at the checkpoint second and caps a backlog at maxWindowSeconds', () => {
    const checkpoint = { at: 500_000, seenIds: [] };
    expect(planSlackAuditWindow(checkpoint, 1_000_000, { lagSeconds: 60, maxWindowSeconds: 3600 })).toEqual({
      oldest: 500_000,
      latest: 503_600,
    });
  });

  it('returns null while now − lag is still before the checkpoint', () => {
    expect(planSlackAuditWindow({ at: 1_000, seenIds: [] }, 1_050, { lagSeconds: 60 })).toBeNull();
    expect(planSlackAuditWindow({ at: 1_000, seenIds: [] }, 1_060, { lagSeconds: 60 })).toEqual({
      oldest: 1_000,
      latest: 1_000,
    });
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
