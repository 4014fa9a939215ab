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

async function logsText(e: SlackEmulator, query: Record<string, string>): Promise<{ text: string; type: string }> {
  const res = await fetch(`${e.auditUrl}logs?${new URLSearchParams(query).toString()}`, {
    headers: { authorization: `Bearer ${e.tokens.audit}` },
  });
  expect(res.status).toBe(200);
  return { text: await res.text(), type: res.headers.get('content-type') ?? '' };
}

/** What the route answered before pages were assembled from cached entry JSON. */
function expectedBody(includeOk: boolean, entries: unknown[], nextCursor: string): string {
  return JSON.stringify({
    ...(includeOk ? { ok: true } : {}),
    entries,
    response_metadata: { next_cursor: nextCursor },
  });
}

describe('Slack Audit Logs pages assembled from pre-serialized entries', () => {
  it('are byte for byte JSON.stringify of the answer, non-ASCII included, and follow changes to the log', async () => {
    const e = await start();
    const org = e.state.org;
    const entries = [10, 20, 30].map((t) =>
      auditEntry(org, {
        date_create: 1_700_000_000 + t,
        details: { note: `é ü 漢字 😀 "quoted" \\ back\u0001slash ${t}`, list: [t, null, true] },
      }),
    );
    e.state.addAuditEntries(entries);
    const newestFirst = [...e.state.getAuditEntries()].sort(
      (a, b) => (b.date_create as number) - (a.date_create as number),
    );

    const first = await logsText(e, { limit: '2' });
    expect(first.type).toMatch(/^application\/json/);
    const cursor = (JSON.parse(first.text) as { response_metadata: { next_cursor: string } }).response_metadata
      .next_cursor;
    expect(cursor).not.toBe('');
    expect(first.text).toBe(expectedBody(true, newestFirst.slice(0, 2), cursor));
    // Served again from the cache: the same bytes.
    expect((await logsText(e, { limit: '2' })).text).toBe(first.text);
    expect((await logsText(e, { limit: '2', cursor })).text).toBe(expectedBody(true, newestFirst.slice(2), ''));

    // A new entry changes the log: it is served, and its neighbours' JSON is still right.
    const newer = auditEntry(org, { date_create: 1_700_000_100, action: 'file_downloaded' });
    e.state.addAuditEntries(newer);
    const [added] = e.state.getAuditEntries().slice(-1);
    const again = await logsText(e, { limit: '9999' });
    expect(again.text).toBe(expectedBody(true, [added, ...newestFirst], ''));

    e.state.clearAuditEntries();
    expect((await logsText(e, {})).text).toBe(expectedBody(true, [], ''));
  });

  it('keep the configured envelope (no ok field) and prepend fault-injected invalid entries', async () => {
    const e = await start({ audit: { includeOk: false } });
    e.state.addAuditEntries(auditEntry(e.state.org, { date_create: 1_700_000_000 }));
    const [stored] = e.state.getAuditEntries();
    expect((await logsText(e, {})).text).toBe(expectedBody(false, [stored], ''));

    e.faults.add({ kind: 'invalidRecords', params: { variants: ['missingId'] } });
    const page = JSON.parse((await logsText(e, {})).text) as { entries: Record<string, unknown>[] };
    expect(page.entries).toHaveLength(2);
    expect(page.entries[0]?.id).toBeUndefined();
    expect(page.entries[1]).toEqual(stored);
  });
});
