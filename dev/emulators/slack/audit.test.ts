import { afterEach, describe, expect, it } from 'vitest';

import { auditEntry } from './fixtures';
import { startSlackEmulator, type SlackEmulator, type SlackEmulatorOptions } from './index';

let emulator: SlackEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
  emulator = await startSlackEmulator(options);
  return emulator;
}

interface LogsPage {
  ok?: boolean;
  entries: {
    id: string;
    date_create: number;
    action: string;
    actor: { user: { id: string } };
    entity: Record<string, { id: string }> & { type: string };
  }[];
  response_metadata: { next_cursor: string };
}

/** `token: null` sends no Authorization header. */
async function logs(
  e: SlackEmulator,
  query: Record<string, string>,
  token: string | null = e.tokens.audit,
): Promise<Response> {
  return fetch(`${e.auditUrl}logs?${new URLSearchParams(query).toString()}`, {
    headers: { accept: 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
  });
}

/** Seeds `count` entries one second apart starting at `t0` (some sharing a second to exercise ties). */
function seedTimeline(e: SlackEmulator, count: number, t0 = 1_700_000_000): void {
  const entries = Array.from({ length: count }, (_, i) =>
    auditEntry(e.state.org, { date_create: t0 + Math.floor(i / 2) }),
  );
  // Stored out of order on purpose: the API sorts.
  e.state.addAuditEntries(
    entries.reverse().filter((_, i) => i % 2 === 0),
    entries.filter((_, i) => i % 2 === 1),
  );
}

describe('Slack Audit Logs API emulator', () => {
  it('pages newest first with an opaque cursor and "" on the last page, covering every entry once', async () => {
    const e = await start();
    seedTimeline(e, 25);
    const seen: LogsPage['entries'] = [];
    let cursor = '';
    let pages = 0;
    do {
      const res = await logs(e, { limit: '10', ...(cursor === '' ? {} : { cursor }) });
      expect(res.status).toBe(200);
      const page = (await res.json()) as LogsPage;
      pages += 1;
      expect(page.entries.length).toBeLessThanOrEqual(10);
      seen.push(...page.entries);
      cursor = page.response_metadata.next_cursor;
    } while (cursor !== '');
    expect(pages).toBe(3);
    expect(seen).toHaveLength(25);
    expect(new Set(seen.map((x) => x.id)).size).toBe(25);
    const times = seen.map((x) => x.date_create);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(times[0]).toBe(1_700_000_012);
  });

  it('keeps page boundaries stable when newer entries arrive while a client pages', async () => {
    const e = await start();
    seedTimeline(e, 6);
    const first = (await (await logs(e, { limit: '3' })).json()) as LogsPage;
    e.state.addAuditEntries(auditEntry(e.state.org, { date_create: 1_800_000_000 }));
    const second = (await (
      await logs(e, { limit: '3', cursor: first.response_metadata.next_cursor })
    ).json()) as LogsPage;
    expect(second.response_metadata.next_cursor).toBe('');
    const ids = [...first.entries, ...second.entries].map((x) => x.id);
    expect(new Set(ids).size).toBe(6);
    expect(second.entries.every((x) => x.date_create < 1_800_000_000)).toBe(true);
  });

  it('treats oldest and latest as inclusive Unix seconds', async () => {
    const e = await start();
    const org = e.state.org;
    e.state.addAuditEntries([99, 100, 150, 200, 201].map((t) => auditEntry(org, { date_create: t, action: `a${t}` })));
    const page = (await (await logs(e, { oldest: '100', latest: '200' })).json()) as LogsPage;
    expect(page.entries.map((x) => x.date_create)).toEqual([200, 150, 100]);
    expect((await (await logs(e, { oldest: '201' })).json()) as LogsPage).toMatchObject({
      entries: [{ date_create: 201 }],
    });
  });

  it('ANDs the action (comma list), actor and entity filters', async () => {
    const e = await start();
    const org = e.state.org;
    const file = { type: 'file', file: { id: 'F1', name: 'a.pdf', filetype: 'pdf', title: 'a' } };
    const other = { type: 'file', file: { id: 'F2', name: 'b.pdf', filetype: 'pdf', title: 'b' } };
    const actorOf = (id: string) => ({
      type: 'user',
      user: { id, name: id, email: `${id}@x`, team: org.enterpriseId },
    });
    e.state.addAuditEntries(
      auditEntry(org, { date_create: 10, action: 'file_downloaded', actor: actorOf('W1'), entity: file }),
      auditEntry(org, { date_create: 11, action: 'file_shared', actor: actorOf('W1'), entity: file }),
      auditEntry(org, { date_create: 12, action: 'file_downloaded', actor: actorOf('W2'), entity: file }),
      auditEntry(org, { date_create: 13, action: 'file_downloaded', actor: actorOf('W1'), entity: other }),
      auditEntry(org, { date_create: 14, action: 'user_login', actor: actorOf('W1') }),
    );
    const get = async (q: Record<string, string>) =>
      ((await (await logs(e, q)).json()) as LogsPage).entries.map((x) => x.date_create);
    expect(await get({ action: 'file_downloaded,file_shared' })).toEqual([13, 12, 11, 10]);
    expect(await get({ action: 'file_downloaded,file_shared', actor: 'W1' })).toEqual([13, 11, 10]);
    expect(await get({ action: 'file_downloaded', actor: 'W1', entity: 'F1' })).toEqual([10]);
    expect(await get({ entity: 'F2' })).toEqual([13]);
    const tooMany = await logs(e, { action: Array.from({ length: 31 }, (_, i) => `a${i}`).join(',') });
    expect(tooMany.status).toBe(400);
  });

  it('rejects a limit over 9999 (and non-numbers) the way Slack does, and accepts 9999', async () => {
    const e = await start();
    for (const limit of ['10000', '0', 'abc', '-1']) {
      const res = await logs(e, { limit });
      expect(res.status, limit).toBe(400);
      expect(await res.json()).toMatchObject({ ok: false, error: 'invalid_arguments' });
    }
    expect((await logs(e, { limit: '9999' })).status).toBe(200);
    const bad = await logs(e, { cursor: 'not a cursor!' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ ok: false, error: 'invalid_cursor' });
  });

  it('answers a missing, unknown or non-owner token with 401 and an empty body', async () => {
    const e = await start();
    for (const token of [null, 'xoxp-wrong', e.tokens.bot]) {
      const res = await logs(e, {}, token);
      expect(res.status).toBe(401);
      expect(await res.text()).toBe('');
    }
  });

  it('serves /schemas and /actions without a token', async () => {
    const e = await start();
    const schemas = (await (await fetch(`${e.auditUrl}schemas`)).json()) as { schemas: { type: string }[] };
    expect(schemas.schemas.find((s) => s.type === 'file')).toEqual({
      type: 'file',
      file: { id: 'string', name: 'string', filetype: 'string', title: 'string' },
    });
    const actions = (await (await fetch(`${e.auditUrl}actions`)).json()) as { actions: Record<string, string[]> };
    expect(actions.actions.anomaly).toEqual(['anomaly']);
    expect(actions.actions.file).toContain('file_downloaded');
  });

  it('enforces one org-wide budget across methods with 429 + Retry-After, then recovers', async () => {
    let clock = 1_000_000;
    const e = await start({ now: () => clock, audit: { ratePerWindow: 3, windowMs: 60_000 } });
    expect((await logs(e, {})).status).toBe(200);
    clock += 10_000;
    expect((await fetch(`${e.auditUrl}schemas`)).status).toBe(200);
    expect((await logs(e, {})).status).toBe(200);
    const over = await logs(e, {});
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('50');
    expect(await over.json()).toEqual({ ok: false, error: 'ratelimited' });
    expect((await fetch(`${e.auditUrl}actions`)).status).toBe(429);
    clock += 50_000;
    expect((await logs(e, {})).status).toBe(200);
  });

  it('defaults to about 50 calls a minute', async () => {
    const e = await start({ now: () => 5_000_000 });
    const statuses: number[] = [];
    for (let i = 0; i < 51; i += 1) statuses.push((await fetch(`${e.auditUrl}actions`)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses[50]).toBe(429);
  });

  it('serves schema-breaking entries while an invalidRecords fault is active', async () => {
    const e = await start();
    e.state.addAuditEntries(auditEntry(e.state.org, { date_create: 100 }));
    e.faults.add({ kind: 'invalidRecords', count: 1, params: { variants: ['missingId', 'wrongTypes', 'hugeField'] } });
    const page = (await (await logs(e, {})).json()) as { entries: Record<string, unknown>[] };
    expect(page.entries).toHaveLength(4);
    expect(page.entries.filter((x) => x.id === undefined)).toHaveLength(1);
    expect(page.entries.some((x) => typeof x.date_create === 'string' && typeof x.action === 'number')).toBe(true);
    expect(page.entries.some((x) => JSON.stringify(x).length > 1_000_000)).toBe(true);
    const clean = (await (await logs(e, {})).json()) as { entries: unknown[] };
    expect(clean.entries).toHaveLength(1);
  });

  it('answers 401 with an empty body while a tokenExpiry fault is active', async () => {
    const e = await start();
    e.faults.add({ kind: 'tokenExpiry', count: 1 });
    const res = await logs(e, {});
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('');
    expect((await logs(e, {})).status).toBe(200);
  });

  it('pages a large log in a time window without losing or repeating entries, in either order', async () => {
    for (const order of ['newestFirst', 'oldestFirst'] as const) {
      const e = await start({ audit: { order } });
      const base = auditEntry(e.state.org, { date_create: 0 });
      // 30k entries, 10 per second; the window [1000, 2499] holds 15,000 of them.
      e.state.addAuditEntries(
        Array.from({ length: 30_000 }, (_, i) => ({ ...base, id: `id-${i}`, date_create: Math.floor(i / 10) })),
      );
      const ids = new Set<string>();
      let cursor = '';
      let previous: number | undefined;
      do {
        const page = (await (
          await logs(e, { oldest: '1000', latest: '2499', limit: '9999', ...(cursor === '' ? {} : { cursor }) })
        ).json()) as LogsPage;
        for (const entry of page.entries) {
          ids.add(entry.id);
          if (previous !== undefined)
            expect(order === 'newestFirst' ? entry.date_create <= previous : entry.date_create >= previous).toBe(true);
          previous = entry.date_create;
        }
        cursor = page.response_metadata.next_cursor;
      } while (cursor !== '');
      expect(ids.size).toBe(15_000);
      await e.close();
      emulator = undefined;
    }
  });

  it('can serve oldest first and a page size default when configured so', async () => {
    const e = await start({ audit: { order: 'oldestFirst', defaultLimit: 2 } });
    e.state.addAuditEntries([3, 1, 2].map((t) => auditEntry(e.state.org, { date_create: t })));
    const page = (await (await logs(e, {})).json()) as LogsPage;
    expect(page.entries.map((x) => x.date_create)).toEqual([1, 2]);
    const rest = (await (await logs(e, { cursor: page.response_metadata.next_cursor })).json()) as LogsPage;
    expect(rest.entries.map((x) => x.date_create)).toEqual([3]);
    expect(rest.response_metadata.next_cursor).toBe('');
  });
});
