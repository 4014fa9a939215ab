/**
 * Azure Monitor Logs Ingestion API emulator, over HTTPS (the SDK's bearer policy refuses http):
 * `POST /dataCollectionRules/{immutableId}/streams/{stream}?api-version=2023-01-01`, JSON array body,
 * plain or `Content-Encoding: gzip`, `Authorization: Bearer <Entra token>`; 204 when accepted.
 *
 * Checks, in order: api-version; bearer token (signature, audience, expiry → 401); DCR (→ 404); the
 * caller's access to it (→ 403 OperationFailed); stream in the DCR (→ 404, configurable); 1,048,576
 * bytes on the wire and again decompressed (→ 413 ContentLengthLimitExceeded); the per-DCR budget
 * (→ 429 + Retry-After); JSON; rows against the stream declaration (see streams.ts for what Azure
 * does and the `strict`/`azure` policies); the `reject` fault; then rows land in the store.
 * Error bodies are Azure's `{"error":{"code","message"}}`; codes other than 413's and 403's are
 * [UNVERIFIED] and live in ERROR_CODES.
 *
 * The SDK percent-encodes the query key (`api%2Dversion=…`); URLSearchParams decodes it.
 *
 * Emulator-specific fault `reject`: refuse the next matching upload(s) after validation — partial
 * failures of a multi-chunk upload. `status` (default 400), `params.code`, and `params.where`
 * (column equality: only uploads containing such a row are refused, so the failing chunk is
 * deterministic under the SDK's concurrency).
 */
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { FaultInjector } from '../common/faults';
import {
  json,
  Router,
  startEmulatorServer,
  type EmulatorRequest,
  type EmulatorResponse,
  type RecordedRequest,
} from '../common/server';
import type { AccessTokenClaims, TokenVerifier } from '../entra/tokens';
import { DcrBudget, type BudgetOptions } from './budget';
import { RowStore, type QueryOptions, type Row, type TableStats } from './store';
import {
  checkRows,
  loadStreamDeclarations,
  SCHEMA_POLICIES,
  type SchemaIssue,
  type SchemaPolicy,
  type StreamDeclaration,
} from './streams';

export const MAX_REQUEST_BYTES = 1_048_576;
export const DEFAULT_DCR_ID = 'dcr-5e17a000000040008000000000000001';
export const MONITOR_AUDIENCE = 'https://monitor.azure.com';
export const SUPPORTED_API_VERSIONS = ['2023-01-01', '2021-11-01-preview'] as const;

export const ERROR_CODES = {
  contentLength: 'ContentLengthLimitExceeded', // [3P] JulianHayward/AzADServicePrincipalInsights#30
  forbidden: 'OperationFailed', // [SRC] SDK troubleshooting guides
  missingApiVersion: 'MissingApiVersionParameter', // [UNVERIFIED] ARM convention
  badApiVersion: 'InvalidApiVersionParameter', // [UNVERIFIED]
  noToken: 'AuthenticationFailed', // [UNVERIFIED]
  badToken: 'InvalidAuthenticationToken', // [UNVERIFIED]
  expiredToken: 'ExpiredAuthenticationToken', // [UNVERIFIED]
  badAudience: 'InvalidAuthenticationTokenAudience', // [UNVERIFIED]
  dcrNotFound: 'NotFound', // [UNVERIFIED]
  streamNotFound: 'InvalidStream', // [UNVERIFIED]
  throttled: 'TooManyRequests', // [UNVERIFIED] (Retry-After itself is [SRC])
  badEncoding: 'UnsupportedContentEncoding', // [UNVERIFIED]
  badPayload: 'InvalidPayload', // [UNVERIFIED]
  rejected: 'InjectedRejection',
} as const;

export interface DcrDefinition {
  immutableId: string;
  /** Streams this DCR accepts; default every declared stream. */
  streams?: readonly string[];
  /**
   * Principals holding Monitoring Metrics Publisher on the DCR, by `oid` or `appid`; default anyone
   * with a valid token (the emulator does not model RBAC unless asked).
   */
  allowedPrincipals?: readonly string[];
}

export interface IngestionEmulatorOptions {
  /** Server certificate (dev/emulators/tls). */
  tls: { key: string | Buffer; cert: string | Buffer };
  /** Token check; normally the Entra emulator's `verifyToken`. */
  verifyToken: TokenVerifier;
  /** Rows persist under `<dataDir>/ingestion/`; without it they stay in memory. */
  dataDir?: string;
  /** Stream declarations; default loaded from `streamsFile`. */
  streams?: readonly StreamDeclaration[];
  /** Default infra/bicep/generated/streams.json. */
  streamsFile?: string;
  /** Default one DCR (`DEFAULT_DCR_ID`) with every stream. */
  dcrs?: readonly DcrDefinition[];
  /** Token audience required (default https://monitor.azure.com; a trailing slash is accepted). */
  audience?: string;
  /** `strict` (default: refuse mismatching rows with 400), `azure` (accept and drop/null silently), or a custom policy. */
  schema?: 'strict' | 'azure' | Partial<SchemaPolicy>;
  budget?: BudgetOptions;
  /** Status for a stream the DCR does not have (default 404) [UNVERIFIED]. */
  unknownStreamStatus?: 400 | 404;
  maxRequestBytes?: number;
  /** Rows become queryable this long after arrival (Log Analytics has minutes of latency; default 0). */
  visibilityDelayMs?: number;
  port?: number;
  faults?: FaultInjector;
  now?: () => number;
}

export interface UploadRecord {
  at: string;
  dcr: string;
  stream: string;
  status: number;
  code?: string;
  rows: number;
  wireBytes: number;
  rawBytes: number;
  gzip: boolean;
  /** `appid` of the caller when the token was valid. */
  appId?: string;
  clientRequestId?: string;
  /** The request's first 100 schema issues (a backfill of old events has one per row: every TimeGenerated restamped). */
  issues?: SchemaIssue[];
  /** How many schema issues the request had in all. */
  issueCount?: number;
}

export interface TableInfo extends TableStats {
  streams: string[];
  columns: StreamDeclaration['columns'];
}

export interface IngestionEmulator {
  url: string;
  /** `SENTRY_INGESTION_ENDPOINT` / `SENTRY_DCR_IMMUTABLE_ID` for the app. */
  env(dcr?: string): Record<string, string>;
  defaultDcrId: string;
  dcrs: readonly DcrDefinition[];
  streams: readonly StreamDeclaration[];
  faults: FaultInjector;
  requests: RecordedRequest[];
  /** Every ingestion attempt that reached the route, accepted or not (most recent last). */
  uploads: UploadRecord[];
  /** Schema issues tolerated by the policy (dropped columns, nulled values, truncations), the most recent 10,000. */
  tolerated: SchemaIssue[];
  store: RowStore;
  query(table: string, options?: QueryOptions): Row[];
  count(table: string, filter?: QueryOptions['filter']): number;
  tables(): TableInfo[];
  close(): Promise<void>;
}

const azureError = (
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): EmulatorResponse => json(status, { error: { code, message } }, headers);

function resolvePolicy(schema: IngestionEmulatorOptions['schema']): SchemaPolicy {
  if (schema === undefined || schema === 'strict') return { ...SCHEMA_POLICIES.strict };
  if (schema === 'azure') return { ...SCHEMA_POLICIES.azure };
  return { ...SCHEMA_POLICIES.strict, ...schema };
}

const RESERVED_QUERY_KEYS = new Set(['filter', 'since', 'until', 'receivedSince', 'limit', 'order']);
const KEPT_ISSUES_PER_UPLOAD = 100;
const KEPT_TOLERATED = 10_000;

export async function startIngestionEmulator(options: IngestionEmulatorOptions): Promise<IngestionEmulator> {
  const streams = [...(options.streams ?? loadStreamDeclarations(options.streamsFile))];
  const byStream = new Map(streams.map((s) => [s.stream, s]));
  const dcrs = [...(options.dcrs ?? [{ immutableId: DEFAULT_DCR_ID }])];
  const audience = options.audience ?? MONITOR_AUDIENCE;
  const policy = resolvePolicy(options.schema);
  const maxBytes = options.maxRequestBytes ?? MAX_REQUEST_BYTES;
  const now = options.now ?? Date.now;
  const budget = new DcrBudget(options.budget, now);
  const faults = options.faults ?? new FaultInjector();
  const store = await RowStore.open({
    ...(options.dataDir === undefined ? {} : { dir: join(options.dataDir, 'ingestion') }),
    ...(options.visibilityDelayMs === undefined ? {} : { visibilityDelayMs: options.visibilityDelayMs }),
    now,
  });
  const uploads: UploadRecord[] = [];
  const tolerated: SchemaIssue[] = [];

  const ingest = async (req: EmulatorRequest): Promise<EmulatorResponse> => {
    const dcrId = req.params.dcr ?? '';
    const streamName = req.params.stream ?? '';
    const gzip = (req.headers['content-encoding'] ?? '').toLowerCase() === 'gzip';
    const clientRequestId =
      typeof req.headers['x-ms-client-request-id'] === 'string' ? req.headers['x-ms-client-request-id'] : undefined;
    const record: UploadRecord = {
      at: new Date(now()).toISOString(),
      dcr: dcrId,
      stream: streamName,
      status: 0,
      rows: 0,
      wireBytes: req.body.length,
      rawBytes: req.body.length,
      gzip,
      ...(clientRequestId === undefined ? {} : { clientRequestId }),
    };
    uploads.push(record);
    if (uploads.length > 10_000) uploads.splice(0, uploads.length - 10_000);
    const done = (response: EmulatorResponse): EmulatorResponse => {
      record.status = response.status;
      const body = response.body as { error?: { code?: string } } | undefined;
      if (body?.error?.code !== undefined) record.code = body.error.code;
      return {
        ...response,
        headers: {
          'x-ms-request-id': randomUUID(),
          ...(clientRequestId === undefined ? {} : { 'x-ms-client-request-id': clientRequestId }),
          ...(response.headers ?? {}),
        },
      };
    };

    const apiVersion = req.query.get('api-version');
    if (apiVersion === null)
      return done(azureError(400, ERROR_CODES.missingApiVersion, 'The api-version query parameter is required.'));
    if (!(SUPPORTED_API_VERSIONS as readonly string[]).includes(apiVersion)) {
      return done(
        azureError(
          400,
          ERROR_CODES.badApiVersion,
          `The api-version '${apiVersion}' is not supported. Supported: ${SUPPORTED_API_VERSIONS.join(', ')}.`,
        ),
      );
    }

    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
    if (bearer?.[1] === undefined)
      return done(azureError(401, ERROR_CODES.noToken, 'An Authorization header with a Bearer token is required.'));
    let claims: AccessTokenClaims;
    try {
      claims = await options.verifyToken(bearer[1], audience);
    } catch (error) {
      const reason = (error as { reason?: string }).reason;
      const code =
        reason === 'expired'
          ? ERROR_CODES.expiredToken
          : reason === 'audience'
            ? ERROR_CODES.badAudience
            : ERROR_CODES.badToken;
      return done(
        azureError(401, code, error instanceof Error ? error.message : 'The authentication token is not valid.'),
      );
    }
    record.appId = claims.appid;

    const dcr = dcrs.find((d) => d.immutableId === dcrId);
    if (dcr === undefined)
      return done(
        azureError(404, ERROR_CODES.dcrNotFound, `Data collection rule with immutable Id '${dcrId}' not found.`),
      );
    if (
      dcr.allowedPrincipals !== undefined &&
      !dcr.allowedPrincipals.some((p) => p === claims.oid || p === claims.appid)
    ) {
      return done(
        azureError(
          403,
          ERROR_CODES.forbidden,
          `The authentication token provided does not have access to ingest data for the data collection rule with immutable Id '${dcrId}' PipelineAccessResult: AccessGranted: False, Message: Required authorization action was not found for tenantId ${claims.tid} objectId ${claims.oid}.`,
        ),
      );
    }
    const declaration = byStream.get(streamName);
    if (declaration === undefined || (dcr.streams !== undefined && !dcr.streams.includes(streamName))) {
      return done(
        azureError(
          options.unknownStreamStatus ?? 404,
          ERROR_CODES.streamNotFound,
          `The stream '${streamName}' is not declared in the data collection rule '${dcrId}'.`,
        ),
      );
    }

    const tooLarge = (size: number) =>
      azureError(
        413,
        ERROR_CODES.contentLength,
        `Maximum allowed content length: ${maxBytes} bytes (1 MB). Provided content length: ${size} bytes.`,
      );
    if (req.body.length > maxBytes) return done(tooLarge(req.body.length));
    let raw: Buffer;
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding === 'gzip') {
      try {
        // Synchronous on purpose: a ~150 KB body inflates in about a millisecond, and the zlib
        // thread-pool hop of the async call costs more than it saves on the emulators' one core.
        raw = gunzipSync(req.body, { maxOutputLength: maxBytes });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
          return done(tooLarge(maxBytes + 1));
        }
        return done(azureError(400, ERROR_CODES.badPayload, 'The request body is not valid gzip.'));
      }
    } else if (encoding === 'identity') {
      raw = req.body;
    } else {
      return done(
        azureError(415, ERROR_CODES.badEncoding, `Content-Encoding '${encoding}' is not supported; use gzip or none.`),
      );
    }
    record.rawBytes = raw.length;

    const admitted = budget.admit(dcrId, raw.length);
    if (!admitted.ok) {
      return done(
        azureError(
          429,
          ERROR_CODES.throttled,
          `The data collection rule '${dcrId}' is over its ${admitted.reason === 'requests' ? 'request' : 'data'} rate limit. Retry after ${admitted.retryAfterSec} seconds.`,
          { 'retry-after': String(admitted.retryAfterSec) },
        ),
      );
    }

    let body: unknown;
    const text = raw.toString('utf8');
    try {
      body = JSON.parse(text);
    } catch {
      return done(azureError(400, ERROR_CODES.badPayload, 'The request body is not valid JSON.'));
    }
    if (!Array.isArray(body)) {
      if (policy.nonArrayBody === 'reject')
        return done(azureError(400, ERROR_CODES.badPayload, 'The request body must be a JSON array of objects.'));
      // What Azure does: 204, nothing lands.
      tolerated.push({ row: -1, column: '', problem: 'not_an_object', detail: 'body is not an array; nothing landed' });
      return done({ status: 204 });
    }
    const checked = checkRows(body, declaration, policy, record.at);
    if (checked.issues.length > 0) {
      record.issues = checked.issues.slice(0, KEPT_ISSUES_PER_UPLOAD);
      record.issueCount = checked.issues.length;
    }
    if (checked.rejecting.length > 0) {
      const shown = checked.rejecting.slice(0, 5).map((i) => `row ${i.row}: ${i.detail}`);
      const more = checked.rejecting.length > shown.length ? ` (+${checked.rejecting.length - shown.length} more)` : '';
      return done(
        azureError(400, ERROR_CODES.badPayload, `Rows do not match stream ${streamName}: ${shown.join('; ')}${more}`),
      );
    }
    if (checked.issues.length > 0) {
      tolerated.push(...checked.issues.slice(-KEPT_TOLERATED));
      if (tolerated.length > KEPT_TOLERATED) tolerated.splice(0, tolerated.length - KEPT_TOLERATED);
    }

    const reject = faults.peek('reject', req.raw);
    if (reject !== undefined) {
      const where = reject.params?.where as Record<string, unknown> | undefined;
      const applies =
        where === undefined ||
        checked.rows.some((row) =>
          Object.entries(where).every(([k, v]) => JSON.stringify(row[k]) === JSON.stringify(v)),
        );
      if (applies && faults.take('reject', req.raw) !== undefined) {
        const code = typeof reject.params?.code === 'string' ? reject.params.code : ERROR_CODES.rejected;
        return done(
          azureError(reject.status ?? 400, code, `Upload refused by an injected fault (${checked.rows.length} rows).`),
        );
      }
    }

    // The stored form is the rows' JSON. Rows that needed no change and a body sent compact (what
    // JSON.stringify gives, as the SDK sends) serialize to exactly the text received, whose UTF-8
    // size is known: no second pass to count it.
    const storedText = JSON.stringify(checked.rows);
    await store.append(
      {
        at: record.at,
        dcr: dcrId,
        stream: streamName,
        table: declaration.table,
        rawBytes: raw.length,
        wireBytes: req.body.length,
      },
      checked.rows,
      {
        text: storedText,
        bytes: storedText === text && isUtf8(raw) ? raw.length : Buffer.byteLength(storedText, 'utf8'),
      },
    );
    record.rows = checked.rows.length;
    return done({ status: 204 });
  };

  const tables = (): TableInfo[] =>
    store.stats(streams.map((s) => s.table)).map((stats) => {
      const declared = streams.filter((s) => s.table === stats.table);
      return { ...stats, streams: declared.map((s) => s.stream), columns: declared[0]?.columns ?? [] };
    });

  const queryFromUrl = (req: EmulatorRequest): QueryOptions => {
    const q = req.query;
    const filter: Record<string, unknown> =
      q.get('filter') === null ? {} : (JSON.parse(q.get('filter') ?? '{}') as Record<string, unknown>);
    const loose: [string, string][] = [];
    for (const [key, value] of q) if (!RESERVED_QUERY_KEYS.has(key)) loose.push([key, value]);
    const strict = Object.entries(filter).map(([k, v]) => [k, JSON.stringify(v)] as const);
    const limit = q.get('limit');
    const order = q.get('order');
    return {
      // Query-string values are strings: `?Action=x` matches the column's value as text.
      filter: (row) =>
        strict.every(([k, v]) => JSON.stringify(row[k]) === v) &&
        loose.every(([k, v]) => (typeof row[k] === 'string' ? row[k] : JSON.stringify(row[k])) === v),
      ...(q.get('since') === null ? {} : { since: q.get('since') ?? '' }),
      ...(q.get('until') === null ? {} : { until: q.get('until') ?? '' }),
      ...(q.get('receivedSince') === null ? {} : { receivedSince: q.get('receivedSince') ?? '' }),
      ...(limit === null ? {} : { limit: Number(limit) }),
      ...(order === 'desc' || order === 'asc' ? { order } : {}),
    };
  };

  const router = new Router()
    .on('POST', '/dataCollectionRules/{dcr}/streams/{stream}', ingest)
    .on('GET', '/_tables', () => json(200, { tables: tables() }))
    .on('GET', '/_uploads', () => json(200, { uploads }))
    .on('GET', '/_query/{table}', (req) => {
      const table = req.params.table ?? '';
      let query: QueryOptions;
      try {
        query = queryFromUrl(req);
        if (query.limit !== undefined && !(query.limit >= 0)) throw new Error('limit must be a number');
        const rows = store.query(table, query);
        return json(200, { table, count: rows.length, rows });
      } catch (error) {
        return json(400, {
          error: { code: 'BadQuery', message: error instanceof Error ? error.message : String(error) },
        });
      }
    });

  const server = await startEmulatorServer({
    name: 'ingestion',
    router,
    tls: options.tls,
    faults,
    ...(options.port === undefined ? {} : { port: options.port }),
  });

  return {
    url: server.url,
    env: (dcr = dcrs[0]?.immutableId ?? DEFAULT_DCR_ID) => ({
      SENTRY_INGESTION_ENDPOINT: server.url,
      SENTRY_DCR_IMMUTABLE_ID: dcr,
    }),
    defaultDcrId: dcrs[0]?.immutableId ?? DEFAULT_DCR_ID,
    dcrs,
    streams,
    faults,
    requests: server.requests,
    uploads,
    tolerated,
    store,
    query: (table, query) => store.query(table, query),
    count: (table, filter) => store.count(table, filter),
    tables,
    close: () => server.close(),
  };
}
