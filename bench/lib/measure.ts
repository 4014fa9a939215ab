/**
 * The bench's counting and comparison functions, kept pure so a test can check them on tiny inputs:
 * percentiles, rates, the seed's Logstash row (docs/reference/seed-platform.md) for the
 * billable-bytes comparison (our rows as they land, user agents as keys, plus the dimension rows),
 * the fields the seed dropped that every row of ours must keep, gzip bytes per event the way the
 * uploader chunks rows, and Meraki API calls attributed to organizations.
 */
import { gzipSync } from 'node:zlib';

import { billableBytes } from '../../src/transforms/billable-size';
import { BEYOND_SEED as BEYOND_SEED_COLUMNS, seedLogstashRow } from '../../test/helpers/seed-logstash-row';

/** Nearest-rank percentile (p in 0..100) of a non-empty list; NaN for an empty one. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Events per second from a count and nanoseconds (or microseconds of CPU via `perSecondFromUs`). */
export function perSecond(events: number, elapsedNs: bigint | number): number {
  const ns = typeof elapsedNs === 'bigint' ? Number(elapsedNs) : elapsedNs;
  return ns <= 0 ? Number.NaN : events / (ns / 1e9);
}

export function perSecondFromUs(events: number, cpuUs: number): number {
  return cpuUs <= 0 ? Number.NaN : events / (cpuUs / 1e6);
}

/** `PASS`/`MISS` for a value against a bound. */
export function verdict(value: number, bound: number, direction: 'atLeast' | 'atMost'): 'PASS' | 'MISS' {
  if (!Number.isFinite(value)) return 'MISS';
  return (direction === 'atLeast' ? value >= bound : value <= bound) ? 'PASS' : 'MISS';
}

export { seedLogstashRow };

type Bag = Record<string, unknown>;

/** The user agent a landed row stands for: its own `UserAgent`, or what its key resolves to. */
export type UserAgentOf = (row: Bag) => string | undefined;

const ownUserAgent: UserAgentOf = (row) => (typeof row.UserAgent === 'string' ? row.UserAgent : undefined);

/**
 * Fields the seed dropped that our row must still carry for this entry: details, session id, the
 * acting app, the actor's team; and the user agent, which our row may hold only as a key into the
 * dimension table (`userAgentOf` resolves it; a value cut to the column cap counts when the row says
 * so). Returns the names of those present in the entry but absent in the row.
 */
export function droppedFieldsMissing(entry: Bag, row: Bag, userAgentOf: UserAgentOf = ownUserAgent): string[] {
  const missing: string[] = [];
  const present = (v: unknown) => v !== undefined && v !== null && v !== '';
  const context = (typeof entry.context === 'object' && entry.context !== null ? entry.context : {}) as Bag;
  const actor = (typeof entry.actor === 'object' && entry.actor !== null ? entry.actor : {}) as Bag;
  const user = (typeof actor.user === 'object' && actor.user !== null ? actor.user : {}) as Bag;
  const details = entry.details;
  const hasDetails =
    present(details) && !(typeof details === 'object' && details !== null && Object.keys(details).length === 0);
  if (hasDetails && !present(row.Details)) missing.push('details');
  if (present(context.session_id) && !present(row.SessionId)) missing.push('session_id');
  if (present(context.app) && !present(row.App)) missing.push('app');
  if (present(user.team) && !present(row.ActorTeam)) missing.push('team');
  if (typeof context.ua === 'string' && context.ua !== '') {
    const ua = userAgentOf(row);
    const cut = Array.isArray(row.TruncatedColumns) && row.TruncatedColumns.includes('UserAgent');
    if (ua === undefined || (ua !== context.ua && !(cut && ua !== '' && context.ua.startsWith(ua)))) {
      missing.push('ua');
    }
  }
  return missing;
}

export interface BillableComparison {
  events: number;
  /** Our landed rows plus the dimension rows they needed, per event. */
  oursBillablePerEvent: number;
  seedBillablePerEvent: number;
  billableRatio: number;
  /** Our rows without the columns the seed never had (SourceOrg, SessionId, ActorTeam, App, ActingAgent, Details, Extra, TruncatedColumns), dimension rows included. */
  oursSeedFieldsPerEvent: number;
  /** Dimension rows landed (user agents, once per key and UTC day) and their billable bytes per event. */
  dimensionRows: number;
  dimensionBytesPerEvent: number;
  /** Entries whose row lost a field the seed dropped, or its user agent (must be 0). */
  rowsMissingDroppedFields: number;
  missingExamples: string[];
}

const BEYOND_SEED = new Set<string>(BEYOND_SEED_COLUMNS);

/** An audit entry, the row of ours that landed for it, and the dimension rows that landed with it. */
export interface BillablePair {
  entry: Bag;
  row: Bag;
  dimensions?: readonly Bag[];
}

export function compareBillable(
  pairs: readonly BillablePair[],
  userAgentOf: UserAgentOf = ownUserAgent,
): BillableComparison {
  let ours = 0;
  let oursSeedFields = 0;
  let seed = 0;
  let dimensionRows = 0;
  let dimensionBytes = 0;
  let missingRows = 0;
  const examples: string[] = [];
  for (const { entry, row, dimensions = [] } of pairs) {
    let dims = 0;
    for (const d of dimensions) dims += billableBytes(d);
    dimensionRows += dimensions.length;
    dimensionBytes += dims;
    ours += billableBytes(row) + dims;
    const seedFieldsOnly: Bag = {};
    for (const [k, v] of Object.entries(row)) if (!BEYOND_SEED.has(k)) seedFieldsOnly[k] = v;
    oursSeedFields += billableBytes(seedFieldsOnly) + dims;
    seed += billableBytes(seedLogstashRow(entry));
    const missing = droppedFieldsMissing(entry, row, userAgentOf);
    if (missing.length > 0) {
      missingRows += 1;
      if (examples.length < 5) examples.push(`${String(entry.id)}: ${missing.join(',')}`);
    }
  }
  const n = pairs.length;
  return {
    events: n,
    oursBillablePerEvent: n === 0 ? Number.NaN : ours / n,
    seedBillablePerEvent: n === 0 ? Number.NaN : seed / n,
    billableRatio: seed === 0 ? Number.NaN : ours / seed,
    oursSeedFieldsPerEvent: n === 0 ? Number.NaN : oursSeedFields / n,
    dimensionRows,
    dimensionBytesPerEvent: n === 0 ? Number.NaN : dimensionBytes / n,
    rowsMissingDroppedFields: missingRows,
    missingExamples: examples,
  };
}

/**
 * Gzip bytes per row when rows are sent as the uploader sends them: JSON arrays whose rows'
 * serialized bytes stay under `chunkBytes`, each array gzipped on its own at `level`.
 */
export function gzipBytesPerRow(
  rows: readonly unknown[],
  level: number,
  chunkBytes = 999_000,
): { raw: number; gzip: number; chunks: number } {
  let raw = 0;
  let gz = 0;
  let chunks = 0;
  let current: string[] = [];
  let currentBytes = 0;
  const flush = () => {
    if (current.length === 0) return;
    const body = `[${current.join(',')}]`;
    raw += Buffer.byteLength(body);
    gz += gzipSync(body, { level }).length;
    chunks += 1;
    current = [];
    currentBytes = 0;
  };
  for (const row of rows) {
    const text = JSON.stringify(row);
    const size = Buffer.byteLength(text);
    if (current.length > 0 && currentBytes + size >= chunkBytes) flush();
    current.push(text);
    currentBytes += size;
  }
  flush();
  const n = rows.length;
  return { raw: n === 0 ? Number.NaN : raw / n, gzip: n === 0 ? Number.NaN : gz / n, chunks };
}

// ---------------------------------------------------------------------------------------------
// Meraki: API calls seen by the emulator, attributed to organizations.
// ---------------------------------------------------------------------------------------------

/** The organization a Dashboard API path belongs to (`/organizations/{org}/…` or `/networks/{net}/…`). */
export function merakiOrgOfPath(path: string, networkOrg: ReadonlyMap<string, string>): string | undefined {
  const org = /\/api\/v1\/organizations\/([^/]+)/.exec(path);
  if (org?.[1] !== undefined) return decodeURIComponent(org[1]);
  const net = /\/api\/v1\/networks\/([^/]+)/.exec(path);
  if (net?.[1] !== undefined) return networkOrg.get(decodeURIComponent(net[1]));
  return undefined;
}

export interface MerakiCallStats {
  cycles: number;
  orgs: number;
  /** Calls per org per cycle, over every (org, cycle). */
  mean: number;
  max: number;
  /** Calls that could not be attributed to an org (must be 0). */
  unattributed: number;
  byOrg: Record<string, { calls: number; cycles: number; max: number }>;
}

/**
 * Per-cycle call counts: `perCycle[i]` lists the API paths requested during cycle i (all orgs).
 * Every configured org counts in every cycle, also one that made no call.
 */
export function merakiCallsPerOrgCycle(
  perCycle: readonly (readonly string[])[],
  orgs: readonly string[],
  networkOrg: ReadonlyMap<string, string>,
): MerakiCallStats {
  const byOrg: MerakiCallStats['byOrg'] = {};
  for (const org of orgs) byOrg[org] = { calls: 0, cycles: perCycle.length, max: 0 };
  let unattributed = 0;
  let total = 0;
  let max = 0;
  for (const paths of perCycle) {
    const counts = new Map<string, number>();
    for (const path of paths) {
      const org = merakiOrgOfPath(path, networkOrg);
      if (org === undefined || byOrg[org] === undefined) {
        unattributed += 1;
        continue;
      }
      counts.set(org, (counts.get(org) ?? 0) + 1);
    }
    for (const org of orgs) {
      const n = counts.get(org) ?? 0;
      const stats = byOrg[org];
      if (stats === undefined) continue;
      stats.calls += n;
      stats.max = Math.max(stats.max, n);
      total += n;
      max = Math.max(max, n);
    }
  }
  const slots = perCycle.length * orgs.length;
  return {
    cycles: perCycle.length,
    orgs: orgs.length,
    mean: slots === 0 ? Number.NaN : total / slots,
    max,
    unattributed,
    byOrg,
  };
}

// ---------------------------------------------------------------------------------------------
// Alert latency: from the moment the triggering event became visible to the alert being posted.
// ---------------------------------------------------------------------------------------------

export interface LatencySample {
  incident: string;
  kind: string;
  visibleAt: number;
  postedAt: number | undefined;
}

export function latencySummary(samples: readonly LatencySample[]): {
  incidents: number;
  alerted: number;
  missing: string[];
  latenciesMs: number[];
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
} {
  const latencies: number[] = [];
  const missing: string[] = [];
  for (const s of samples) {
    if (s.postedAt === undefined) missing.push(s.incident);
    else latencies.push(s.postedAt - s.visibleAt);
  }
  return {
    incidents: samples.length,
    alerted: latencies.length,
    missing,
    latenciesMs: latencies,
    // An incident that never alerted counts as infinitely late: it can only push p95 up.
    p50Ms: percentile([...latencies, ...missing.map(() => Number.POSITIVE_INFINITY)], 50),
    p95Ms: percentile([...latencies, ...missing.map(() => Number.POSITIVE_INFINITY)], 95),
    maxMs: missing.length > 0 ? Number.POSITIVE_INFINITY : Math.max(...latencies),
  };
}

// ---------------------------------------------------------------------------------------------
// Memory: RSS sampled on a timer plus the kernel's max RSS.
// ---------------------------------------------------------------------------------------------

export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  peak = 0;
  samples = 0;

  constructor(private readonly everyMs = 10) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => {
      this.sample();
    }, this.everyMs);
    this.timer.unref();
    return this;
  }

  /** process.memoryUsage() at the sampled peak (heap, external, array buffers). */
  atPeak: NodeJS.MemoryUsage | undefined;

  sample(): void {
    this.samples += 1;
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) {
      this.peak = rss;
      this.atPeak = process.memoryUsage();
    }
  }

  stop(): { peakSampled: number; maxRss: number } {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.sample();
    // resourceUsage().maxRSS is in KiB.
    return { peakSampled: this.peak, maxRss: process.resourceUsage().maxRSS * 1024 };
  }
}

export const MB = 1024 * 1024;

/**
 * Linux scheduler statistics summed over this process's threads (`/proc/self/task/<tid>/schedstat`):
 * time on a CPU and time ready to run but waiting for one (another process had it). Undefined where
 * /proc is not available. A large `waitNs` during a timed run means the core was shared.
 */
export function schedstat(): { cpuNs: number; waitNs: number; mainWaitNs: number } | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- sync fs, Linux only
    const fs = require('node:fs') as typeof import('node:fs');
    let cpuNs = 0;
    let waitNs = 0;
    let mainWaitNs = 0;
    for (const tid of fs.readdirSync('/proc/self/task')) {
      try {
        const [cpu, wait] = fs.readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
        cpuNs += cpu ?? 0;
        waitNs += wait ?? 0;
        if (tid === String(process.pid)) mainWaitNs = wait ?? 0;
      } catch {
        // the thread ended meanwhile
      }
    }
    return { cpuNs, waitNs, mainWaitNs };
  } catch {
    return undefined;
  }
}

/** CPU milliseconds (user + system, all threads) another process has used so far, from /proc/<pid>/stat. */
export function processCpuMs(pid: number): number | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- sync fs, Linux only
    const fs = require('node:fs') as typeof import('node:fs');
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of the file)
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}
