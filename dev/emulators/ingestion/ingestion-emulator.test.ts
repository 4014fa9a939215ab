/**
 * The ingestion emulator driven by the real LogsIngestionClient and the real @azure/identity
 * credentials over real HTTPS. In-process, trust comes from `tlsOptions`; the last test runs the
 * SDK unconfigured in a child started with NODE_EXTRA_CA_CERTS, the way the app runs locally.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { ClientSecretCredential, ManagedIdentityCredential } from '@azure/identity';
import {
  isAggregateLogsUploadError,
  LogsIngestionClient,
  type AggregateLogsUploadError,
} from '@azure/monitor-ingestion';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { startEntraEmulator, type EntraEmulator } from '../entra';
import { azureTlsOptions, trustingEnv, type LocalCa } from '../tls/local-ca';
import { testCa } from '../tls/test-ca';
import { startIngestionEmulator, type IngestionEmulator, type IngestionEmulatorOptions } from './ingestion-emulator';
import { loadStreamDeclarations } from './streams';

const STREAMS = loadStreamDeclarations(join(__dirname, 'fixtures', 'streams.json'));
const STREAM = 'Custom-EmuTestAudit';
const TABLE = 'EmuTestAudit_CL';
const SCOPE = 'https://monitor.azure.com/.default';

let ca: LocalCa;
let entra: EntraEmulator;
let dataDir: string;
let emu: IngestionEmulator;
const extra: IngestionEmulator[] = [];
const savedEnv = { IDENTITY_ENDPOINT: process.env.IDENTITY_ENDPOINT, IDENTITY_HEADER: process.env.IDENTITY_HEADER };

beforeAll(async () => {
  ca = await testCa();
  entra = await startEntraEmulator({ tls: ca });
  dataDir = await mkdtemp(join(tmpdir(), 'ingestion-emu-'));
  emu = await startIngestionEmulator({ tls: ca, verifyToken: entra.verifyToken, streams: STREAMS, dataDir });
  // What App Service sets for the app; ManagedIdentityCredential reads them itself.
  Object.assign(process.env, entra.managedIdentityEnv());
});
afterAll(async () => {
  await Promise.all([emu.close(), entra.close(), ...extra.map((e) => e.close())]);
  await rm(dataDir, { recursive: true, force: true });
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) Reflect.deleteProperty(process.env, key);
    else process.env[key] = value;
  }
});
afterEach(() => {
  emu.faults.clear();
  entra.faults.clear();
});

async function another(options: Partial<IngestionEmulatorOptions>): Promise<IngestionEmulator> {
  const started = await startIngestionEmulator({
    tls: ca,
    verifyToken: entra.verifyToken,
    streams: STREAMS,
    ...options,
  });
  extra.push(started);
  return started;
}

const userAssigned = () => entra.managedIdentities.find((m) => m.systemAssigned !== true)?.clientId ?? '';
/** The app's production credential: a user-assigned managed identity chosen by AZURE_CLIENT_ID. */
const managedIdentity = () => new ManagedIdentityCredential({ clientId: userAssigned() });
const clientSecret = () => {
  const app = entra.clients[0];
  return new ClientSecretCredential(entra.tenantId, app?.clientId ?? '', app?.clientSecret ?? '', {
    authorityHost: entra.authorityHost,
    disableInstanceDiscovery: true,
    tlsOptions: azureTlsOptions(ca),
  });
};
const client = (target: IngestionEmulator = emu, credential: TokenCredential = managedIdentity()) =>
  new LogsIngestionClient(target.url, credential, { tlsOptions: azureTlsOptions(ca) });

let seq = 0;
function row(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  seq += 1;
  return {
    // Recent: Log Analytics (and the emulator) restamps a TimeGenerated over two days old.
    TimeGenerated: new Date(Date.now() - 3_600_000 + seq).toISOString(),
    EventId: `evt-${seq}`,
    SourceOrg: 'E0123',
    Action: 'file_downloaded',
    Attempts: 1,
    Bytes: 1024,
    Score: 0.25,
    Allowed: true,
    Details: { ua: 'Slack/4.41', ip: '203.0.113.9' },
    ...overrides,
  };
}

async function uploadError(promise: Promise<void>): Promise<AggregateLogsUploadError> {
  try {
    await promise;
  } catch (error) {
    if (isAggregateLogsUploadError(error)) return error;
    throw error;
  }
  throw new Error('upload succeeded');
}
const causeOf = (error: AggregateLogsUploadError, index = 0) =>
  error.errors[index]?.cause as { statusCode?: number; code?: string; message: string };

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<RawResponse> {
  return new Promise((resolvePromise, reject) => {
    const req = httpsRequest(url, { method: init.method ?? 'GET', headers: init.headers, ca: ca.caPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolvePromise({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
async function post(
  target: IngestionEmulator,
  body: Buffer | string,
  headers: Record<string, string> = {},
  stream = STREAM,
  dcr = target.defaultDcrId,
) {
  const token = (await managedIdentity().getToken(SCOPE)).token;
  return send(`${target.url}/dataCollectionRules/${dcr}/streams/${stream}?api-version=2023-01-01`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body,
  });
}

describe('accepted uploads', () => {
  it('lands rows sent by LogsIngestionClient with ManagedIdentityCredential (gzip) and persists them per table', async () => {
    const rows = [row(), row({ Action: 'user_login' }), row()];
    await client().upload(emu.defaultDcrId, STREAM, rows);

    const last = emu.uploads.at(-1);
    expect(last).toMatchObject({ status: 204, rows: 3, gzip: true, appId: userAssigned(), stream: STREAM });
    expect(last?.wireBytes).toBeLessThan(last?.rawBytes ?? 0);
    for (const r of rows) expect(emu.query(TABLE, { filter: { EventId: r.EventId } })).toMatchObject([r]);
    expect(emu.count(TABLE, { Action: 'user_login' })).toBeGreaterThanOrEqual(1);
    const onDisk = (await readFile(join(dataDir, 'ingestion', `${TABLE}.ndjson`), 'utf8')).trim().split('\n');
    expect(onDisk.map((l) => (JSON.parse(l) as { EventId: string }).EventId)).toEqual(
      expect.arrayContaining(rows.map((r) => r.EventId)),
    );
    // The SDK sends the query key percent-encoded; the emulator must still have seen a valid api-version.
    expect(emu.requests.at(-1)?.query).toMatch(/api%2Dversion=2023-01-01|api-version=2023-01-01/);
  });

  it('lands rows sent with ClientSecretCredential and tracks billing sizes per table', async () => {
    const before = emu.tables().find((t) => t.table === TABLE);
    const rows = Array.from({ length: 50 }, () => row({ Action: 'secret_path' }));
    await client(emu, clientSecret()).upload(emu.defaultDcrId, STREAM, rows);
    expect(emu.uploads.at(-1)).toMatchObject({ status: 204, appId: entra.clients[0]?.clientId });
    expect(emu.count(TABLE, { Action: 'secret_path' })).toBe(50);
    const after = emu.tables().find((t) => t.table === TABLE);
    const upload = emu.uploads.at(-1);
    expect(after?.rows).toBe((before?.rows ?? 0) + 50);
    expect(after?.requests).toBe((before?.requests ?? 0) + 1);
    expect(after?.rawBytes).toBe((before?.rawBytes ?? 0) + (upload?.rawBytes ?? NaN));
    expect(after?.wireBytes).toBe((before?.wireBytes ?? 0) + (upload?.wireBytes ?? NaN));
    expect(after?.storedBytes).toBeGreaterThan(before?.storedBytes ?? 0);
    expect(after?.columns.map((c) => c.name)).toContain('TimeGenerated');
  });

  it('accepts plain JSON and gzip bodies sent by hand', async () => {
    const plain = [row({ Action: 'plain' })];
    expect((await post(emu, JSON.stringify(plain))).status).toBe(204);
    expect(emu.uploads.at(-1)).toMatchObject({ gzip: false, rows: 1 });
    const zipped = [row({ Action: 'zipped' })];
    const response = await post(emu, gzipSync(JSON.stringify(zipped)), { 'content-encoding': 'gzip' });
    expect(response.status).toBe(204);
    expect(response.body).toBe('');
    expect(emu.query(TABLE, { filter: { Action: 'zipped' } })).toMatchObject(zipped);
    const broken = await post(emu, Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' });
    expect(broken.status).toBe(400);
    expect(JSON.parse(broken.body)).toEqual({
      error: { code: 'InvalidPayload', message: expect.stringMatching(/gzip/) as string },
    });
  });

  it('counts stored bytes as the rows’ compact JSON however the body was written (in memory too)', async () => {
    const memory = await startIngestionEmulator({ tls: ca, verifyToken: entra.verifyToken, streams: STREAMS });
    extra.push(memory);
    const stored = () => memory.tables().find((t) => t.table === TABLE)?.storedBytes ?? 0;
    const compactBytes = (rows: Record<string, unknown>[]) =>
      rows.reduce((sum, r) => sum + Buffer.byteLength(JSON.stringify(r)), 0);
    const rows = [row({ Action: 'é 漢字 😀 "q" \\' }), row({ Details: { n: [1, null] } })];
    const cases: { body: Buffer; landed: Record<string, unknown>[] }[] = [
      { body: Buffer.from(JSON.stringify(rows)), landed: rows },
      { body: Buffer.from(JSON.stringify(rows, null, 2)), landed: rows },
      // Escapes JSON.stringify would not write: \u0041 is "A", \/ is "/".
      { body: Buffer.from(JSON.stringify([row({ Action: 'x' })]).replace('"x"', '"\\u0041\\/"')), landed: [] },
      // Invalid UTF-8 inside a string is decoded as U+FFFD (3 bytes), not counted as the 1 byte sent.
      {
        body: (() => {
          const [before = '', after = ''] = JSON.stringify([row({ Action: 'bad' })]).split('"bad"');
          return Buffer.concat([Buffer.from(`${before}"b`), Buffer.from([0xff]), Buffer.from(`d"${after}`)]);
        })(),
        landed: [],
      },
    ];
    for (const c of cases) {
      const before = stored();
      expect((await post(memory, c.body)).status).toBe(204);
      const landed = memory.query(TABLE, { order: 'desc', limit: c.landed.length || 1 }).reverse();
      const expected = compactBytes(landed.map(({ _TimeReceived: _r, ...columns }) => columns));
      expect(stored() - before).toBe(expected);
      if (c.landed.length > 0) expect(landed.map((r) => r.EventId)).toEqual(c.landed.map((r) => r.EventId));
    }
    const [escaped, invalid] = memory.query(TABLE, { order: 'desc', limit: 2 }).reverse();
    expect(escaped?.Action).toBe('A/');
    expect(invalid?.Action).toBe('b\uFFFDd');
  });

  it('replaces a TimeGenerated over two days old with the time received', async () => {
    const stale = row({ EventId: 'stale', TimeGenerated: new Date(Date.now() - 10 * 86_400_000).toISOString() });
    await client().upload(emu.defaultDcrId, STREAM, [stale]);
    const [stored] = emu.query(TABLE, { filter: { EventId: 'stale' } });
    expect(stored?.TimeGenerated).toBe(stored?._TimeReceived);
    expect(emu.tolerated.at(-1)).toMatchObject({ column: 'TimeGenerated', problem: 'restamped' });
  });

  it('answers /_tables and /_query for tests and local pages', async () => {
    await client().upload(emu.defaultDcrId, STREAM, [
      row({ Action: 'queried', SourceOrg: 'E999' }),
      row({ Action: 'queried' }),
    ]);
    const tables = JSON.parse((await send(`${emu.url}/_tables`)).body) as { tables: { table: string; rows: number }[] };
    expect(tables.tables.map((t) => t.table)).toEqual(['EmuTestAudit_CL', 'EmuTestFinding_CL']);
    const byColumn = JSON.parse((await send(`${emu.url}/_query/${TABLE}?Action=queried&SourceOrg=E999`)).body) as {
      count: number;
      rows: { Action: string }[];
    };
    expect(byColumn.count).toBe(1);
    const byFilter = JSON.parse(
      (await send(`${emu.url}/_query/${TABLE}?filter=${encodeURIComponent('{"Action":"queried"}')}&order=desc&limit=1`))
        .body,
    ) as {
      rows: { SourceOrg: string }[];
    };
    expect(byFilter.rows).toMatchObject([{ SourceOrg: 'E0123' }]);
    expect((await send(`${emu.url}/_query/${TABLE}?since=yesterday`)).status).toBe(400);
  });

  it('keeps rows and billing totals across a restart on the same data folder', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'ingestion-restart-'));
    try {
      const first = await startIngestionEmulator({
        tls: ca,
        verifyToken: entra.verifyToken,
        streams: STREAMS,
        dataDir: folder,
      });
      await client(first).upload(first.defaultDcrId, STREAM, [row({ Action: 'kept' }), row({ Action: 'kept' })]);
      const stats = first.tables();
      await first.close();
      const second = await startIngestionEmulator({
        tls: ca,
        verifyToken: entra.verifyToken,
        streams: STREAMS,
        dataDir: folder,
      });
      expect(second.count(TABLE, { Action: 'kept' })).toBe(2);
      expect(second.tables()).toEqual(stats);
      await second.close();
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('refused uploads', () => {
  it('413 for a single record over 1 MB uncompressed, even though it gzips small', async () => {
    const huge = row({ Details: { blob: 'x'.repeat(1_100_000) } });
    const error = await uploadError(client().upload(emu.defaultDcrId, STREAM, [row(), huge]));
    expect(error.errors).toHaveLength(1);
    expect(causeOf(error)).toMatchObject({ statusCode: 413, code: 'ContentLengthLimitExceeded' });
    expect(causeOf(error).message).toMatch(/Maximum allowed content length: 1048576 bytes/);
    expect(error.errors[0]?.failedLogs).toEqual([huge]);
    const upload = emu.uploads.at(-1);
    expect(upload?.wireBytes).toBeLessThan(1_048_576);
  });

  it('413 when the bytes on the wire exceed 1 MB', async () => {
    const noise = randomBytes(1_200_000).toString('base64'); // 1.6 MB that gzips to ~1.2 MB
    const error = await uploadError(client().upload(emu.defaultDcrId, STREAM, [row({ Details: noise })]));
    expect(causeOf(error)).toMatchObject({ statusCode: 413 });
    expect(emu.uploads.at(-1)?.wireBytes).toBeGreaterThan(1_048_576);
    const byHand = await post(emu, JSON.stringify([row({ Details: 'y'.repeat(1_100_000) })]));
    expect(byHand.status).toBe(413);
    expect(JSON.parse(byHand.body)).toMatchObject({ error: { code: 'ContentLengthLimitExceeded' } });
  });

  it('400 for rows that do not match the declared columns and types, landing nothing', async () => {
    const before = emu.count(TABLE);
    const bad = [row(), row({ Attempts: '3' }), row({ Colour: 'blue' })];
    const error = await uploadError(client().upload(emu.defaultDcrId, STREAM, bad));
    expect(causeOf(error)).toMatchObject({ statusCode: 400, code: 'InvalidPayload' });
    expect(causeOf(error).message).toMatch(/row 1: Attempts \(int\)/);
    expect(causeOf(error).message).toMatch(/row 2: Colour is not declared/);
    expect(error.errors[0]?.failedLogs).toHaveLength(3);
    expect(emu.count(TABLE)).toBe(before);
    expect((await post(emu, JSON.stringify({ not: 'an array' }))).status).toBe(400);
  });

  it('with the azure policy, accepts the same rows silently as Azure does', async () => {
    const lenient = await another({ schema: 'azure' });
    const bad = [row({ Attempts: '3', Colour: 'blue', EventId: 'lenient-1' })];
    await client(lenient).upload(lenient.defaultDcrId, STREAM, bad);
    const [stored] = lenient.query(TABLE, { filter: { EventId: 'lenient-1' } });
    expect(stored).toMatchObject({ Attempts: null });
    expect(stored).not.toHaveProperty('Colour');
    expect(lenient.tolerated.map((i) => i.problem).sort()).toEqual(['extra_column', 'type_mismatch']);
    expect((await post(lenient, JSON.stringify(row()))).status).toBe(204); // an object, not an array: 204 and nothing lands
    expect(lenient.count(TABLE)).toBe(1);
  });

  it('401 for a forged token, an expired token and a token for another audience', async () => {
    const forger = await startEntraEmulator({ tls: ca });
    try {
      const forged = await forger.issueToken({ audience: 'https://monitor.azure.com' });
      const staticCredential = (token: string): TokenCredential => ({
        getToken: (): Promise<AccessToken> => Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
      });
      const forgedError = await uploadError(
        client(emu, staticCredential(forged)).upload(emu.defaultDcrId, STREAM, [row()]),
      );
      expect(causeOf(forgedError)).toMatchObject({ statusCode: 401, code: 'InvalidAuthenticationToken' });

      const management = await entra.issueToken({ audience: 'https://management.azure.com' });
      const audienceError = await uploadError(
        client(emu, staticCredential(management)).upload(emu.defaultDcrId, STREAM, [row()]),
      );
      expect(causeOf(audienceError)).toMatchObject({ statusCode: 401, code: 'InvalidAuthenticationTokenAudience' });
    } finally {
      await forger.close();
    }
    // A fresh ClientSecretCredential has its own token cache, so the fault's token is the one it uses.
    entra.faults.add({ kind: 'tokenExpiry', count: 1 });
    const expiredError = await uploadError(client(emu, clientSecret()).upload(emu.defaultDcrId, STREAM, [row()]));
    expect(entra.issued.at(-1)).toMatchObject({ via: 'client_credentials', expired: true });
    expect(causeOf(expiredError)).toMatchObject({ statusCode: 401, code: 'ExpiredAuthenticationToken' });
    const missing = await send(
      `${emu.url}/dataCollectionRules/${emu.defaultDcrId}/streams/${STREAM}?api-version=2023-01-01`,
      { method: 'POST', body: '[]' },
    );
    expect(missing.status).toBe(401);
  });

  it('403 OperationFailed when the caller holds no role on the DCR', async () => {
    const restricted = await another({
      dcrs: [{ immutableId: 'dcr-restricted', allowedPrincipals: [entra.clients[0]?.objectId ?? ''] }],
    });
    const error = await uploadError(client(restricted).upload('dcr-restricted', STREAM, [row()]));
    expect(causeOf(error)).toMatchObject({ statusCode: 403, code: 'OperationFailed' });
    await client(restricted, clientSecret()).upload('dcr-restricted', STREAM, [row({ EventId: 'allowed' })]);
    expect(restricted.count(TABLE, { EventId: 'allowed' })).toBe(1);
  });

  it('404 for an unknown DCR and for a stream the DCR does not have', async () => {
    const scoped = await another({ dcrs: [{ immutableId: 'dcr-audit-only', streams: [STREAM] }] });
    expect(causeOf(await uploadError(client(scoped).upload('dcr-unknown', STREAM, [row()])))).toMatchObject({
      statusCode: 404,
      code: 'NotFound',
    });
    const otherStream = await uploadError(client(scoped).upload('dcr-audit-only', 'Custom-EmuTestFinding', [row()]));
    expect(causeOf(otherStream)).toMatchObject({ statusCode: 404, code: 'InvalidStream' });
    expect((await post(scoped, '[]', {}, 'Custom-Nope', 'dcr-audit-only')).status).toBe(404);
  });

  it('400 for a missing or unsupported api-version', async () => {
    const token = (await managedIdentity().getToken(SCOPE)).token;
    const url = `${emu.url}/dataCollectionRules/${emu.defaultDcrId}/streams/${STREAM}`;
    const headers = { authorization: `Bearer ${token}` };
    expect(JSON.parse((await send(url, { method: 'POST', headers, body: '[]' })).body)).toMatchObject({
      error: { code: 'MissingApiVersionParameter' },
    });
    expect((await send(`${url}?api-version=2019-01-01`, { method: 'POST', headers, body: '[]' })).status).toBe(400);
  });
});

describe('throttling and failures', () => {
  it('429 + Retry-After under the DCR budget, honoured by the SDK retry policy', async () => {
    const throttled = await another({ budget: { requestsPerWindow: 1, windowMs: 1_000 } });
    const ingest = client(throttled);
    await ingest.upload(throttled.defaultDcrId, STREAM, [row()]);
    const started = Date.now();
    await ingest.upload(throttled.defaultDcrId, STREAM, [row({ EventId: 'after-throttle' })]);
    const elapsed = Date.now() - started;
    expect(throttled.uploads.map((u) => u.status)).toEqual([204, 429, 204]);
    const refusal = throttled.requests.find((r) => r.status === 429);
    expect(refusal).toBeDefined();
    expect(elapsed).toBeGreaterThanOrEqual(900); // waited the announced second before retrying
    expect(throttled.count(TABLE, { EventId: 'after-throttle' })).toBe(1);
    const direct = await post(throttled, JSON.stringify([row()]));
    const again = await post(throttled, JSON.stringify([row()]));
    expect([direct.status, again.status]).toContain(429);
    const limited = direct.status === 429 ? direct : again;
    expect(limited.headers['retry-after']).toBe('1');
    expect(JSON.parse(limited.body)).toMatchObject({ error: { code: 'TooManyRequests' } });
  });

  it('AggregateLogsUploadError once the SDK’s retries are used up', async () => {
    const path = `/dataCollectionRules/${emu.defaultDcrId}/streams/${STREAM}`;
    emu.faults.add({
      kind: 'status',
      status: 429,
      retryAfterSec: 0,
      match: { path },
      body: '{"error":{"code":"TooManyRequests","message":"injected"}}',
    });
    const before = emu.requests.length;
    const rows = [row(), row()];
    const error = await uploadError(client().upload(emu.defaultDcrId, STREAM, rows));
    expect(error.name).toBe('AggregateLogsUploadError');
    expect(causeOf(error)).toMatchObject({ statusCode: 429 });
    expect(error.errors[0]?.failedLogs).toEqual(rows);
    expect(emu.requests.length - before).toBe(4); // the first attempt and the pipeline's 3 retries
  });

  it('reject fault: one chunk of a multi-chunk upload fails, the others land (partial failure)', async () => {
    // ~600 KB rows: the SDK puts each in its own chunk (it splits before 1,000,000 bytes).
    const big = (id: string) => row({ EventId: id, Details: { pad: 'p'.repeat(600_000) } });
    const rows = [big('chunk-a'), big('chunk-b'), big('chunk-c')];
    emu.faults.add({ kind: 'reject', count: 1, params: { where: { EventId: 'chunk-b' } } });
    const failed: unknown[] = [];
    const error = await uploadError(
      client().upload(emu.defaultDcrId, STREAM, rows, {
        onError: ({ failedLogs }) => {
          failedLogs.forEach((l) => failed.push(l));
        },
      }),
    );
    expect(error.errors).toHaveLength(1);
    expect(causeOf(error)).toMatchObject({ statusCode: 400, code: 'InjectedRejection' });
    expect(error.errors[0]?.failedLogs).toEqual([rows[1]]);
    expect(failed).toEqual([rows[1]]);
    expect(emu.count(TABLE, (r) => typeof r.EventId === 'string' && r.EventId.startsWith('chunk-'))).toBe(2);
    expect(emu.count(TABLE, { EventId: 'chunk-b' })).toBe(0);
  });
});

describe('the app’s way of running', () => {
  it('works unconfigured in a process started with NODE_EXTRA_CA_CERTS and the managed-identity settings', async () => {
    const script = `
      const { LogsIngestionClient } = require('@azure/monitor-ingestion');
      const { ManagedIdentityCredential } = require('@azure/identity');
      const client = new LogsIngestionClient(process.env.SENTRY_INGESTION_ENDPOINT, new ManagedIdentityCredential({ clientId: process.env.AZURE_CLIENT_ID }));
      client.upload(process.env.SENTRY_DCR_IMMUTABLE_ID, ${JSON.stringify(STREAM)}, [${JSON.stringify(row({ EventId: 'from-child' }))}])
        .then(() => console.log('uploaded'), (e) => { console.error(e.errors ? e.errors.map((x) => x.cause.message).join() : e.message); process.exit(1); });`;
    const env = trustingEnv(ca, { PATH: process.env.PATH, ...entra.managedIdentityEnv(userAssigned()), ...emu.env() });
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(
        process.execPath,
        ['-e', script],
        { cwd: resolve(__dirname, '../../..'), env, timeout: 25_000 },
        (error, stdout, stderr) => {
          done({ code: error === null ? 0 : 1, stdout, stderr });
        },
      );
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('uploaded');
    expect(emu.count(TABLE, { EventId: 'from-child' })).toBe(1);
  });
});
