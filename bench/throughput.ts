/**
 * Worker (pinned to one core by the parent): collect → transform → upload events/s through the
 * real `collectSlackAudit` activity — production deps from `slackAuditDeps(config)`: the real
 * SlackAuditClient over HTTP to the Slack emulator (full 9,999-entry pages) and the real
 * LogsIngestionClient (with the app's gzip policy) over HTTPS to the ingestion emulator, with a
 * ClientSecretCredential against the Entra emulator — and, in the same process on the same core,
 * the ceiling: JSON.parse of the same page texts + zod validation of every entry
 * (SlackAuditEntrySchema) + JSON.stringify once per row into <1 MB arrays + gzip at the level the
 * app uploads with, nothing else.
 *
 * Two seams differ from production, both outside "collect → transform → upload": the client's
 * org-wide request budget is raised (Slack's ~50 calls/min would cap any measurement at ~8.3k
 * events/s), and the detections' observer is a no-op (it is the detection step, measured apart).
 *
 * Protocol: one untimed full pass of each (BENCH_WARMUP, default 1: JIT, heap sizing, TLS, token),
 * then `reps` rounds of ceiling-then-pipeline back to back; verdicts use the medians, and the
 * median of each round's own pipeline/ceiling ratio is reported beside them (a round's two runs
 * share the machine's load of the moment). Each result carries the CPUs this worker and the
 * emulators' process were allowed, read from /proc, so a run that was not pinned shows it.
 */
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';

import type { EmulatorInfo } from './emulators';
import { app } from './lib/app';
import { benchSlackAuditDeps } from './lib/slack-audit-deps';
import { median, perSecond, perSecondFromUs, processCpuMs, RssSampler, schedstat } from './lib/measure';
import { reportAndExit } from './lib/proc';

const gzip = promisify(gzipCallback);
/** The level `src/ingestion/client.ts` swaps the SDK's gzip to. */
export const APP_GZIP_LEVEL = 1;
const PAGE = 9999;
const CHUNK_BYTES = 999_000;

export interface ThroughputTask {
  emulators: EmulatorInfo;
  startSec: number;
  spanSec: number;
  events: number;
  reps: number;
  /** Untimed full passes of the pipeline and the ceiling before the timed rounds (default 1). */
  warmups?: number;
}

export interface RunFigures {
  events: number;
  /** Time the main thread was ready to run while another thread or process had the core (/proc schedstat). */
  runQueueMs: number;
  wallMs: number;
  cpuMs: number;
  eventsPerSec: number;
  eventsPerCpuSec: number;
  peakRssMb: number;
  /** The main thread's event loop waiting for I/O or the thread pool (performance.eventLoopUtilization). */
  loopIdleMs: number;
  /**
   * The worker's core(s) during the run, from /proc/stat (10 ms ticks): time nothing ran on them,
   * time in interrupts (irq + softirq: mostly this run's own loopback traffic), and time other
   * processes ran on them (user + system minus this process's CPU). A quiet measurement has the
   * last near zero; the machine is shared, so it is the noise of this very run.
   */
  coreIdleMs: number;
  coreIrqMs: number;
  coreOthersMs: number;
}

export interface ThroughputResult {
  events: number;
  pages: number;
  pageBytes: number;
  ceiling: RunFigures[];
  pipeline: (RunFigures & {
    rows: number;
    landed: number;
    uploadRequests: number;
    apiCalls: number;
    wireBytes: number;
    rawBytes: number;
    /**
     * Wall time spent inside page fetches and inside uploads (uploads overlap, up to the configured
     * concurrency); the first fetch (nothing to overlap it with) and the drain (from the last upload's
     * start to the end of the run: the tail nothing overlaps either).
     */
    waits: { pageMs: number; pages: number; uploadMs: number; uploads: number; firstPageMs: number; drainMs: number };
    /** CPU the emulators' process (its own core) spent during the run: near the wall time means they set the pace. */
    emulatorCpuMs: number;
  })[];
  ceilingEventsPerSec: number;
  pipelineEventsPerSec: number;
  pipelineEventsPerCpuSec: number;
  ceilingEventsPerCpuSec: number;
  ratio: number;
  ratioCpu: number;
  /** Median over rounds of pipeline/ceiling within the round (wall, then CPU). */
  pairedRatio: number;
  pairedRatioCpu: number;
  /** CPUs each process was allowed to run on (/proc/<pid>/status Cpus_allowed_list). */
  affinity: { worker: string | undefined; emulators: string | undefined };
  warmups: number;
  wireBytesPerEvent: number;
  rawBytesPerEvent: number;
}

/** The CPUs a process may run on, e.g. "0" or "0-1", from /proc (undefined where there is none). */
export function cpusAllowed(pid: number | 'self'): string | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
  } catch {
    return undefined;
  }
}

async function tableStats(
  ingestionUrl: string,
): Promise<{ rows: number; wireBytes: number; rawBytes: number; requests: number }> {
  const response = await fetch(`${ingestionUrl}/_tables`);
  const body = (await response.json()) as {
    tables: { table: string; rows: number; wireBytes: number; rawBytes: number; requests: number }[];
  };
  const t = body.tables.find((x) => x.table === 'SentrySlackAudit_CL');
  return { rows: t?.rows ?? 0, wireBytes: t?.wireBytes ?? 0, rawBytes: t?.rawBytes ?? 0, requests: t?.requests ?? 0 };
}

/** The page texts the emulator serves for the window (same query as the collector's). */
async function fetchPages(info: EmulatorInfo, oldest: number, latest: number): Promise<string[]> {
  const pages: string[] = [];
  let cursor = '';
  for (;;) {
    const url = new URL('logs', info.slackAuditUrl);
    url.searchParams.set('oldest', String(oldest));
    url.searchParams.set('latest', String(latest));
    url.searchParams.set('limit', String(PAGE));
    if (cursor !== '') url.searchParams.set('cursor', cursor);
    const response = await fetch(url, { headers: { authorization: `Bearer ${info.slackAuditToken}` } });
    if (!response.ok) throw new Error(`fetching a page for the ceiling: HTTP ${response.status}`);
    const text = await response.text();
    pages.push(text);
    cursor =
      (JSON.parse(text) as { response_metadata?: { next_cursor?: string } }).response_metadata?.next_cursor ?? '';
    if (cursor === '') return pages;
  }
}

/** The ceiling: parse + zod + stringify once + gzip (≤4 in flight: nothing to wait for, so more would not help). Returns events seen. */
export async function ceilingPass(
  pages: readonly string[],
): Promise<{ events: number; valid: number; gzipBytes: number }> {
  const { SlackAuditEntrySchema } = app.slackAuditTransform();
  let events = 0;
  let valid = 0;
  let gzipBytes = 0;
  let parts: string[] = [];
  let bytes = 0;
  const inFlight = new Set<Promise<void>>();
  const send = async () => {
    const body = `[${parts.join(',')}]`;
    parts = [];
    bytes = 0;
    while (inFlight.size >= 4) await Promise.race(inFlight);
    const task: Promise<void> = gzip(body, { level: APP_GZIP_LEVEL }).then((out) => {
      gzipBytes += out.length;
      inFlight.delete(task);
    });
    inFlight.add(task);
  };
  for (const text of pages) {
    const page = JSON.parse(text) as { entries: unknown[] };
    for (const entry of page.entries) {
      events += 1;
      const parsed = SlackAuditEntrySchema.safeParse(entry);
      if (!parsed.success) continue;
      valid += 1;
      const json = JSON.stringify(parsed.data);
      const size = Buffer.byteLength(json);
      if (parts.length > 0 && bytes + size >= CHUNK_BYTES) await send();
      parts.push(json);
      bytes += size;
    }
  }
  if (parts.length > 0) await send();
  await Promise.all(inFlight);
  return { events, valid, gzipBytes };
}

/** CPU numbers in a `taskset -c` list such as "0", "0-1" or "0,2-3". */
export function cpuList(list: string): number[] {
  return list.split(',').flatMap((part) => {
    const [from, to] = part.split('-').map(Number);
    if (from === undefined || !Number.isInteger(from)) return [];
    const last = to === undefined || !Number.isInteger(to) ? from : to;
    return Array.from({ length: last - from + 1 }, (_, i) => from + i);
  });
}

/** Busy and idle milliseconds of the given CPUs since boot (/proc/stat, USER_HZ = 100), or undefined. */
export function coreTimes(cpus: readonly number[]): { busyMs: number; irqMs: number; idleMs: number } | undefined {
  try {
    const lines = readFileSync('/proc/stat', 'utf8').split('\n');
    let busy = 0;
    let irqs = 0;
    let idle = 0;
    for (const cpu of cpus) {
      const fields = lines
        .find((l) => l.startsWith(`cpu${cpu} `))
        ?.trim()
        .split(/\s+/)
        .slice(1)
        .map(Number);
      if (fields === undefined) return undefined;
      // user nice system idle iowait irq softirq steal (guest time is already inside user).
      const [user = 0, nice = 0, system = 0, idleTicks = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
      busy += user + nice + system + steal;
      irqs += irq + softirq;
      idle += idleTicks + iowait;
    }
    return { busyMs: busy * 10, irqMs: irqs * 10, idleMs: idle * 10 };
  } catch {
    return undefined;
  }
}

const workerCores = cpuList(cpusAllowed('self') ?? '');

interface Timed<T> {
  value: T;
  wallNs: bigint;
  cpuUs: number;
  peakRss: number;
  runQueueMs: number;
  loopIdleMs: number;
  coreIdleMs: number;
  coreIrqMs: number;
  coreOthersMs: number;
}

async function timed<T>(work: () => Promise<T>): Promise<Timed<T>> {
  (globalThis as { gc?: () => void }).gc?.();
  const sampler = new RssSampler(10).start();
  const sched0 = schedstat();
  const core0 = coreTimes(workerCores);
  const loop0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = await work();
  const wallNs = process.hrtime.bigint() - t0;
  const cpu = process.cpuUsage(cpu0);
  const loop = performance.eventLoopUtilization(loop0);
  const core1 = coreTimes(workerCores);
  const sched1 = schedstat();
  const { peakSampled } = sampler.stop();
  const runQueueMs =
    sched0 === undefined || sched1 === undefined ? Number.NaN : (sched1.mainWaitNs - sched0.mainWaitNs) / 1e6;
  const cpuUs = cpu.user + cpu.system;
  const core =
    core0 === undefined || core1 === undefined
      ? { idleMs: Number.NaN, irqMs: Number.NaN, othersMs: Number.NaN }
      : {
          idleMs: core1.idleMs - core0.idleMs,
          irqMs: core1.irqMs - core0.irqMs,
          othersMs: Math.max(0, core1.busyMs - core0.busyMs - cpuUs / 1000),
        };
  return {
    value,
    wallNs,
    cpuUs,
    peakRss: peakSampled,
    runQueueMs,
    loopIdleMs: loop.idle,
    coreIdleMs: core.idleMs,
    coreIrqMs: core.irqMs,
    coreOthersMs: core.othersMs,
  };
}

function figures(events: number, run: Omit<Timed<unknown>, 'value'>): RunFigures {
  return {
    runQueueMs: run.runQueueMs,
    loopIdleMs: run.loopIdleMs,
    coreIdleMs: run.coreIdleMs,
    coreIrqMs: run.coreIrqMs,
    coreOthersMs: run.coreOthersMs,
    events,
    wallMs: Number(run.wallNs) / 1e6,
    cpuMs: run.cpuUs / 1000,
    eventsPerSec: perSecond(events, run.wallNs),
    eventsPerCpuSec: perSecondFromUs(events, run.cpuUs),
    peakRssMb: run.peakRss / 1024 / 1024,
  };
}

export async function measureThroughput(task: ThroughputTask): Promise<ThroughputResult> {
  const { collectSlackAudit } = app.collectSlackAudit();
  const info = task.emulators;
  const { deps } = benchSlackAuditDeps(info, PAGE);
  // Where the pipeline waits: time inside page fetches and inside uploads (overlapping ones counted once each).
  const waits = { pageMs: 0, pages: 0, uploadMs: 0, uploads: 0, firstPageMs: 0, lastUploadAt: 0 };
  const getLogs = deps.client.getLogs.bind(deps.client);
  deps.client.getLogs = async (query) => {
    const t = performance.now();
    try {
      return await getLogs(query);
    } finally {
      waits.pageMs += performance.now() - t;
      if (waits.pages === 0) waits.firstPageMs = performance.now() - t;
      waits.pages += 1;
    }
  };
  const ingestion = deps.ingestion;
  if (ingestion.uploadJson !== undefined) {
    const uploadJson = ingestion.uploadJson.bind(ingestion);
    deps.ingestion = {
      upload: ingestion.upload.bind(ingestion),
      uploadJson: async (...args) => {
        const t = performance.now();
        waits.lastUploadAt = t;
        try {
          await uploadJson(...args);
        } finally {
          waits.uploadMs += performance.now() - t;
          waits.uploads += 1;
        }
      },
    };
  }

  const window = { oldest: task.startSec, latest: task.startSec + task.spanSec - 1 };
  const pages = await fetchPages(info, window.oldest, window.latest);
  const pageBytes = pages.reduce((sum, p) => sum + Buffer.byteLength(p), 0);

  // Warm-up of both paths, untimed and as long as a timed run: JIT tiers, the heap grown to its
  // working size, TLS sessions, the Entra token, the zod schema. A partial warm-up left the first
  // timed round measurably slower than the next ones, which a median of three does not absorb.
  const warmups = task.warmups ?? 1;
  for (let w = 0; w < warmups; w += 1) {
    await collectSlackAudit({ cycleId: `bench-warmup-${w}`, window }, deps);
    await ceilingPass(pages);
  }

  const ceiling: RunFigures[] = [];
  const pipeline: ThroughputResult['pipeline'] = [];
  for (let rep = 0; rep < task.reps; rep += 1) {
    // BENCH_SKIP_CEILING=1: profiling aid, so a CPU profile shows the pipeline alone.
    if (process.env.BENCH_SKIP_CEILING !== '1') {
      const c = await timed(() => ceilingPass(pages));
      ceiling.push(figures(c.value.events, c));
    }

    const before = await tableStats(info.ingestionUrl);
    Object.assign(waits, { pageMs: 0, pages: 0, uploadMs: 0, uploads: 0, firstPageMs: 0, lastUploadAt: 0 });
    const emulatorCpu0 = processCpuMs(info.pid);
    const p = await timed(() => collectSlackAudit({ cycleId: `bench-${rep}`, window }, deps));
    const endedAt = performance.now();
    const emulatorCpu1 = processCpuMs(info.pid);
    const after = await tableStats(info.ingestionUrl);
    const landed = after.rows - before.rows;
    if (p.value.rows !== task.events || landed !== task.events) {
      throw new Error(`pipeline run ${rep}: ${p.value.rows} rows reported, ${landed} landed, ${task.events} expected`);
    }
    pipeline.push({
      ...figures(p.value.rows, p),
      rows: p.value.rows,
      landed,
      uploadRequests: p.value.uploadRequests,
      apiCalls: p.value.apiCalls,
      wireBytes: after.wireBytes - before.wireBytes,
      rawBytes: after.rawBytes - before.rawBytes,
      waits: {
        pageMs: waits.pageMs,
        pages: waits.pages,
        uploadMs: waits.uploadMs,
        uploads: waits.uploads,
        firstPageMs: waits.firstPageMs,
        drainMs: endedAt - waits.lastUploadAt,
      },
      emulatorCpuMs:
        emulatorCpu0 === undefined || emulatorCpu1 === undefined ? Number.NaN : emulatorCpu1 - emulatorCpu0,
    });
  }
  const ceilingRate = median(ceiling.map((c) => c.eventsPerSec));
  const pipelineRate = median(pipeline.map((p) => p.eventsPerSec));
  const ceilingCpu = median(ceiling.map((c) => c.eventsPerCpuSec));
  const pipelineCpu = median(pipeline.map((p) => p.eventsPerCpuSec));
  const last = pipeline[pipeline.length - 1];
  const paired = (pick: (r: RunFigures) => number) =>
    median(
      pipeline.flatMap((p, i) => {
        const c = ceiling[i];
        return c === undefined ? [] : [pick(p) / pick(c)];
      }),
    );
  return {
    events: task.events,
    pages: pages.length,
    pageBytes,
    ceiling,
    pipeline,
    ceilingEventsPerSec: ceilingRate,
    pipelineEventsPerSec: pipelineRate,
    ceilingEventsPerCpuSec: ceilingCpu,
    pipelineEventsPerCpuSec: pipelineCpu,
    ratio: pipelineRate / ceilingRate,
    ratioCpu: pipelineCpu / ceilingCpu,
    pairedRatio: paired((r) => r.eventsPerSec),
    pairedRatioCpu: paired((r) => r.eventsPerCpuSec),
    affinity: { worker: cpusAllowed('self'), emulators: cpusAllowed(info.pid) },
    warmups,
    wireBytesPerEvent: last === undefined ? Number.NaN : last.wireBytes / last.rows,
    rawBytesPerEvent: last === undefined ? Number.NaN : last.rawBytes / last.rows,
  };
}

if (require.main === module) {
  reportAndExit(() => measureThroughput(JSON.parse(process.env.BENCH_TASK ?? '{}') as ThroughputTask));
}
