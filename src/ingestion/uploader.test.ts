import { AggregateLogsUploadError } from '@azure/monitor-ingestion';
import { describe, expect, it } from 'vitest';

import { AppError } from '../errors';
import { type IngestionClientLike, StreamUploader } from './uploader';

type Row = Record<string, unknown>;

/** A fake with the SDK's error surface: a failed chunk surfaces as AggregateLogsUploadError with a RestError-like cause. */
class FakeClient implements IngestionClientLike {
  readonly calls: Row[][] = [];
  readonly landed: Row[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(
    private readonly decide: (rows: Row[], call: number) => { status: number; code?: string } | undefined = () =>
      undefined,
  ) {}

  async upload(_rule: string, _stream: string, logs: Row[]): Promise<void> {
    this.calls.push(logs);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 1));
    this.inFlight -= 1;
    const failure = this.decide(logs, this.calls.length);
    if (failure !== undefined) {
      const cause = Object.assign(new Error(`HTTP ${failure.status}`), {
        statusCode: failure.status,
        code: failure.code ?? String(failure.status),
      });
      throw new AggregateLogsUploadError([{ failedLogs: logs, cause }], 'upload failed');
    }
    this.landed.push(...logs);
  }
}

const noSleep = () => Promise.resolve();
const rows = (n: number, size = 100): Row[] =>
  Array.from({ length: n }, (_, i) => ({ EventId: `e${i}`, Pad: 'x'.repeat(size) }));
const jsonBytes = (r: Row[]) => r.reduce((sum, row) => sum + Buffer.byteLength(JSON.stringify(row)), 0);

describe('StreamUploader', () => {
  it('packs rows from many pages into chunks just under the SDK split point, in order', async () => {
    const client = new FakeClient();
    const uploader = new StreamUploader({ client, dcrImmutableId: 'dcr-1', stream: 'Custom-T', sleep: noSleep });
    const input = rows(5_000, 600);
    for (let page = 0; page < 10; page += 1) await uploader.addAll(input.slice(page * 500, page * 500 + 500));
    const summary = await uploader.flush();
    expect(summary.rows).toBe(5_000);
    expect(client.landed.map((r) => r.EventId).sort()).toEqual(input.map((r) => r.EventId).sort());
    for (const call of client.calls) expect(jsonBytes(call)).toBeLessThan(1_000_000);
    // ~3.3 MB of rows: four requests, not one per page.
    expect(client.calls).toHaveLength(Math.ceil(jsonBytes(input) / 999_000));
    expect(summary.requests).toBe(client.calls.length);
  });

  it('keeps at most `concurrency` chunks in flight', async () => {
    const client = new FakeClient();
    const uploader = new StreamUploader({
      client,
      dcrImmutableId: 'd',
      stream: 's',
      concurrency: 2,
      maxChunkBytes: 2_000,
      sleep: noSleep,
    });
    await uploader.addAll(rows(300));
    await uploader.flush();
    expect(client.calls.length).toBeGreaterThan(10);
    expect(client.maxInFlight).toBe(2);
  });

  it('splits a chunk refused with 413 or 400 until the bad row stands alone, and hands it over with the reason', async () => {
    const poison = { EventId: 'poison', Pad: 'y' };
    const client = new FakeClient((logs) =>
      logs.some((r) => r.EventId === 'poison') ? { status: 400, code: 'InvalidStream' } : undefined,
    );
    const rejected: { row: Row; reason: string }[] = [];
    const uploader = new StreamUploader({
      client,
      dcrImmutableId: 'd',
      stream: 's',
      sleep: noSleep,
      onRejected: (row, reason) => {
        rejected.push({ row, reason });
      },
    });
    const good = rows(64);
    await uploader.addAll([...good.slice(0, 20), poison, ...good.slice(20)]);
    const summary = await uploader.flush();
    expect(client.landed.map((r) => r.EventId)).toEqual(good.map((r) => r.EventId));
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.row).toBe(poison);
    expect(rejected[0]?.reason).toMatch(/HTTP 400 InvalidStream/);
    expect(summary).toMatchObject({ rows: 64, rejected: 1 });
  });

  it('retries throttling and 5xx, then succeeds without duplicating landed rows', async () => {
    const client = new FakeClient((_logs, call) => (call <= 2 ? { status: call === 1 ? 429 : 503 } : undefined));
    const waits: number[] = [];
    const uploader = new StreamUploader({
      client,
      dcrImmutableId: 'd',
      stream: 's',
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    await uploader.addAll(rows(10));
    const summary = await uploader.flush();
    expect(summary).toMatchObject({ rows: 10, retries: 2 });
    expect(client.landed).toHaveLength(10);
    expect(waits).toEqual([1_000, 2_000]);
  });

  it('fails the flush with a retriable coded error once retries are exhausted', async () => {
    const client = new FakeClient(() => ({ status: 503 }));
    const uploader = new StreamUploader({ client, dcrImmutableId: 'd', stream: 's', maxAttempts: 3, sleep: noSleep });
    await uploader.addAll(rows(3));
    const error = await uploader.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'ingestion_failed', retriable: true });
    expect(client.calls).toHaveLength(3);
  });

  it('fails fast and non-retriably when the credential is refused, naming the role to grant', async () => {
    const client = new FakeClient(() => ({ status: 403, code: 'OperationFailed' }));
    const uploader = new StreamUploader({ client, dcrImmutableId: 'd', stream: 's', sleep: noSleep });
    await uploader.addAll(rows(3));
    await expect(uploader.flush()).rejects.toMatchObject({
      code: 'ingestion_rejected',
      retriable: false,
      message: expect.stringContaining('Monitoring Metrics Publisher') as unknown,
    });
    expect(client.calls).toHaveLength(1);
  });

  it('never reports an aborted upload as success', async () => {
    const controller = new AbortController();
    const client = new FakeClient();
    const uploader = new StreamUploader({
      client,
      dcrImmutableId: 'd',
      stream: 's',
      abortSignal: controller.signal,
      sleep: noSleep,
    });
    await uploader.addAll(rows(5));
    controller.abort();
    await expect(uploader.flush()).rejects.toMatchObject({ code: 'ingestion_failed', retriable: true });
    expect(client.landed).toHaveLength(0);
  });

  it('refuses more rows after a chunk failed for good, so the caller cannot advance past it', async () => {
    const client = new FakeClient(() => ({ status: 500 }));
    const uploader = new StreamUploader({
      client,
      dcrImmutableId: 'd',
      stream: 's',
      maxAttempts: 1,
      maxChunkBytes: 500,
      concurrency: 1,
      sleep: noSleep,
    });
    const attempt = async () => {
      for (const row of rows(100)) await uploader.add(row);
    };
    await expect(attempt()).rejects.toMatchObject({ code: 'ingestion_failed' });
  });
});

/** A client with `uploadJson`, as `ingestionClient()` returns: bodies arrive as prebuilt JSON arrays. */
class JsonClient extends FakeClient {
  readonly bodies: string[] = [];
  uploadCalls = 0;

  override upload(rule: string, stream: string, logs: Row[]): Promise<void> {
    this.uploadCalls += 1;
    return super.upload(rule, stream, logs);
  }

  async uploadJson(rule: string, stream: string, body: string | Buffer): Promise<void> {
    // Read the body late, as the gzip policy does on the thread pool: a buffer reused too early would show here.
    await new Promise((resolve) => setTimeout(resolve, 2));
    const text = typeof body === 'string' ? body : body.toString('utf8');
    this.bodies.push(text);
    // Same decisions and error surface as upload(), on the rows the body carries.
    await super.upload(rule, stream, JSON.parse(text) as Row[]);
  }
}

describe('StreamUploader with a serialized-upload client', () => {
  it('sends each chunk as one JSON array built once, never through upload(), with the same rows and chunking', async () => {
    const client = new JsonClient();
    const uploader = new StreamUploader({ client, dcrImmutableId: 'd', stream: 's', sleep: noSleep });
    const input = [...rows(9_000, 600), { EventId: 'ünïcødé-😀', Pad: 'é'.repeat(300) }];
    await uploader.addAll(input);
    const summary = await uploader.flush();
    expect(client.uploadCalls).toBe(0);
    expect(client.landed).toEqual(input);
    for (const body of client.bodies) expect(Buffer.byteLength(body)).toBeLessThan(1_048_576);
    expect(client.bodies).toHaveLength(Math.ceil(jsonBytes(input) / 999_000));
    expect(summary).toMatchObject({ rows: input.length, requests: client.bodies.length, bytes: jsonBytes(input) });
  });

  it('cuts chunks exactly where the rows’ UTF-8 sizes say, whatever their mix of 1- to 4-byte characters', async () => {
    // Rows written without being measured first must still pack as if each had been measured.
    const alphabet = ['a', 'é', '漢', '😀', '\u0001', '"'];
    let seed = 11;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    const input: Row[] = Array.from({ length: 3_000 }, (_, i) => {
      const length = i % 500 === 7 ? 20_000 + (next() % 5_000) : 50 + (next() % 1_500);
      let pad = '';
      while (pad.length < length) pad += alphabet[next() % alphabet.length] ?? 'a';
      return { EventId: `r${i}`, Pad: pad };
    });
    const expectedChunks: number[] = [];
    let count = 0;
    let bytes = 0;
    for (const row of input) {
      const size = Buffer.byteLength(JSON.stringify(row));
      if (count > 0 && bytes + size >= 999_000) {
        expectedChunks.push(count);
        count = 0;
        bytes = 0;
      }
      count += 1;
      bytes += size;
    }
    expectedChunks.push(count);

    for (const client of [new JsonClient(), new FakeClient()]) {
      const uploader = new StreamUploader({ client, dcrImmutableId: 'd', stream: 's', concurrency: 1, sleep: noSleep });
      await uploader.addAll(input);
      const summary = await uploader.flush();
      expect(client.calls.map((call) => call.length)).toEqual(expectedChunks);
      expect(client.landed).toEqual(input);
      expect(summary.bytes).toBe(jsonBytes(input));
      if (client instanceof JsonClient) {
        for (const body of client.bodies) expect(Buffer.byteLength(body)).toBeLessThan(1_000_000 + 2 + 1_000);
      }
    }
  });

  it('splits a refused body until the bad row stands alone and hands that row over as data', async () => {
    const poison = { EventId: 'poison', Pad: 'ÿ' };
    const client = new JsonClient((logs) => (logs.some((r) => r.EventId === 'poison') ? { status: 413 } : undefined));
    const rejected: Row[] = [];
    const uploader = new StreamUploader({
      client,
      dcrImmutableId: 'd',
      stream: 's',
      sleep: noSleep,
      onRejected: (row) => {
        rejected.push(row);
      },
    });
    const good = rows(50);
    await uploader.addAll([...good.slice(0, 31), poison, ...good.slice(31)]);
    const summary = await uploader.flush();
    expect(client.landed.map((r) => r.EventId).sort()).toEqual(good.map((r) => r.EventId).sort());
    expect(rejected).toEqual([poison]);
    expect(summary).toMatchObject({ rows: 50, rejected: 1 });
  });
});
