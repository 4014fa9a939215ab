/**
 * End to end on the local stack (dev/stack): after the app collected the scenario's Slack audit
 * history, every user-agent key a landed row references has its value in SentryDimension_CL, landed
 * in the same UTC day as the row, and the value is the entry's user agent (the parser's lookup,
 * done here over the ingestion emulator's `/_query`). Rows never carry a long user agent themselves.
 */
import { request } from 'node:https';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Stack } from '../../dev/stack';
import { DIMENSION_COLUMNS, dimensionKey, utcDay } from '../../src/transforms/dimensions';
import { streams } from '../../src/transforms/streams';
import { startTestStack, type TestStack } from '../helpers/test-stack';

const LAG_SECONDS = 3;
const LOOKBACK_HOURS = 40;
let e2e: TestStack;
let stack: Stack;
const startedAt = Date.now();

beforeAll(async () => {
  e2e = await startTestStack('dimensions', {
    live: false,
    pollIntervalSeconds: 15,
    hostStartTimeoutMs: 60_000,
    opsPage: false,
    appSettings: {
      SENTRY_SOURCES: 'slackAudit',
      SENTRY_SLACK_AUDIT_LAG_SECONDS: String(LAG_SECONDS),
      // Under two days: Log Analytics (and the emulator) restamps a TimeGenerated over two days old
      // with the time received, which would move rows and values out of their UTC day.
      SENTRY_SLACK_AUDIT_LOOKBACK_HOURS: String(LOOKBACK_HOURS),
      SENTRY_SLACK_AUDIT_WINDOW_SECONDS: '86400',
      SENTRY_MIN_CYCLE_GAP_SECONDS: '1',
    },
  });
  stack = e2e.stack;
}, 90_000);

afterAll(async () => {
  await e2e.stop();
});

type Row = Record<string, unknown>;

interface Entry {
  id: string;
  date_create: number;
  context?: { ua?: string };
}

/** `GET /_query/{table}` on the ingestion emulator, over HTTPS with the stack's local CA. */
function query(table: string): Promise<Row[]> {
  const url = new URL(`${stack.urls.ingestion}/_query/${table}?limit=1000000`);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', ca: stack.ca.caPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`/_query/${table}: ${String(res.statusCode)} ${text}`));
        else resolve((JSON.parse(text) as { rows: Row[] }).rows);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('user agents through the dimension stream, on the local stack', () => {
  it('every key a landed Slack audit row references resolves, in its UTC day, to the entry user agent', async () => {
    const historyEnd = Math.floor(stack.scenario.meta.now / 1000) - LAG_SECONDS - 60;
    const lookbackStart = Math.floor(startedAt / 1000) - LOOKBACK_HOURS * 3600 + 60;
    const expected = (stack.scenario.slack.auditEntries as unknown as Entry[]).filter(
      (e) => e.date_create >= lookbackStart && e.date_create <= historyEnd,
    );
    expect(expected.length).toBeGreaterThan(100);

    const audit = await e2e.waitFor(
      'the scenario history in SentrySlackAudit_CL',
      async () => {
        const rows = await query(streams.slackAudit.table);
        const ids = new Set(rows.map((r) => String(r.EventId)));
        return expected.every((e) => ids.has(e.id)) ? rows : undefined;
      },
      90_000,
    );
    const dimensions = await query(streams.dimension.table);

    const [userAgent] = DIMENSION_COLUMNS.slackAudit ?? [];
    if (userAgent === undefined) throw new Error('no user-agent dimension declared');
    const values = new Map<string, string>();
    const perDayKey = new Map<string, number>();
    for (const d of dimensions) {
      expect(d.Kind).toBe(userAgent.kind);
      expect(dimensionKey(String(d.Value))).toBe(d.EventId);
      const id = `${utcDay(String(d.TimeGenerated))} ${String(d.EventId)}`;
      values.set(id, String(d.Value));
      perDayKey.set(id, (perDayKey.get(id) ?? 0) + 1);
    }

    const byId = new Map(expected.map((e) => [e.id, e]));
    let keyed = 0;
    const referenced = new Set<string>();
    for (const row of audit) {
      if (typeof row.UserAgentKey === 'string')
        referenced.add(`${utcDay(String(row.TimeGenerated))} ${row.UserAgentKey}`);
      const entry = byId.get(String(row.EventId));
      if (entry === undefined) continue;
      const ua = entry.context?.ua ?? '';
      if (ua.length >= userAgent.minLength) {
        expect(row.UserAgent, String(row.EventId)).toBeUndefined();
        const id = `${utcDay(String(row.TimeGenerated))} ${String(row.UserAgentKey)}`;
        expect(values.get(id), `${String(row.EventId)}: no dimension row for ${id}`).toBe(ua);
        keyed += 1;
      } else {
        expect(row.UserAgentKey).toBeUndefined();
        expect(row.UserAgent).toBe(ua === '' ? undefined : ua);
      }
    }
    expect(keyed).toBeGreaterThan(100);
    // One process collected it all with no failed flush: each value landed once per key and day, and
    // only values some landed row references.
    expect([...perDayKey.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(perDayKey.keys())).toEqual(referenced);
  }, 150_000);
});
