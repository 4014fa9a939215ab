/**
 * `npm run bench`: the collection pipeline's and the alert path's numbers, measured in one run.
 *
 * Throughput is a one-core figure: the pipeline and its ceiling pass must share one core, or GC and
 * async zlib work spill onto the other and flatter both (docs/reference/performance.md, "How these
 * were measured"). So this process re-executes itself under `taskset -c 0`, and the collector
 * workers it starts inherit that core (V8's GC threads and libuv's zlib pool included). The
 * emulators standing in for Slack, Entra and Azure run in their own process on core 1 (remote
 * services have their own CPUs). The alert-latency stack runs on both cores, as a deployed app
 * would. Without taskset it warns and runs unpinned.
 *
 * Sections (all by default; `BENCH_ONLY=throughput,backfill,billable,meraki,latency,detections` picks some):
 *   throughput  collect → transform → upload events/s and its ratio to the in-run ceiling
 *   backfill    peak RSS of a 1M-event backfill through the backfill orchestrator and the collect activity
 *   billable    billable and gzip bytes per event vs the seed's Logstash row, on the scenario's events
 *   meraki      API calls per Meraki org per poll cycle against the Meraki emulator
 *   latency     event visible (or webhook sent) → alert posted, on the local stack at a 15 s poll
 *   detections  precision and recall of the detections on the scenario's orgs (background + incidents)
 * Sizes: BENCH_EVENTS (throughput, default 150000), BENCH_REPS (5), BENCH_WARMUP (throughput's untimed
 * full passes, 1), BENCH_BACKFILL_EVENTS (1000000),
 * BENCH_MERAKI_CYCLES (120), BENCH_LATENCY_INCIDENTS (10). Results: bench/results/latest.json.
 * Throughput runs with the production V8 flags (infra/bicep/node-arguments.json), then again on Node's
 * defaults for comparison (BENCH_THROUGHPUT_COMPARE=0 skips it). Aids: BENCH_NODE_ARGS (the V8 flags
 * of its worker instead of production's; "" for Node's defaults), BENCH_TSX=1 (worker through tsx
 * instead of compiled), BENCH_CPU_PROF=1 (CPU profiles; summarize with bench/profile-summary.ts),
 * BENCH_SKIP_CEILING=1 (profile the pipeline alone).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { ensureLocalCa } from '../dev/emulators/tls';
import { type BackfillResult, type BackfillTask, productionNodeArguments } from './backfill';
import { measureBillable, type BillableResult } from './billable';
import { measureDetections } from './detections';
import type { EmulatorInfo, EmulatorSpec } from './emulators';
import type { LatencyResult } from './latency';
import { verdict } from './lib/measure';
import { currentAffinity, hasTaskset, nextMessage, runWorker, spawnTs } from './lib/proc';
import type { MerakiResult } from './meraki';
import type { ThroughputResult, ThroughputTask } from './throughput';

type Section = 'throughput' | 'backfill' | 'billable' | 'meraki' | 'latency' | 'detections';

export const TARGETS = {
  eventsPerSec: 40_000,
  ceilingRatio: 0.6,
  backfillPeakRssMb: 256,
  billableRatio: 0.8,
  /** SENTRY_MERAKI_MAX_CALLS_PER_CYCLE's default: uplinks + security events + one spare slot. */
  merakiCallsPerOrgCycle: 3,
  alertP95Seconds: 30,
  detectionPrecision: 1,
  detectionRecall: 1,
} as const;

const int = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
};

/** Fixed event times (2026-11-01), far from the scenario's and the stack's clocks. */
const START_SEC = Date.parse('2026-11-01T00:00:00Z') / 1000;

function reexecPinned(): never | undefined {
  if (process.env.BENCH_PINNED === '1') return undefined;
  if (!hasTaskset()) {
    process.stderr.write(
      'bench: WARNING taskset is not available: running unpinned, numbers are not one-core numbers\n',
    );
    return undefined;
  }
  const result = spawnSync(
    'taskset',
    ['-c', '0', process.execPath, '--import', 'tsx', __filename, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: { ...process.env, BENCH_PINNED: '1' },
    },
  );
  process.exit(result.status ?? 1);
}

async function withEmulators<T>(
  caDir: string,
  spec: Omit<EmulatorSpec, 'caDir'>,
  work: (info: EmulatorInfo) => Promise<T>,
): Promise<T> {
  const child = spawnTs(join(__dirname, 'emulators.ts'), {
    cpus: '1',
    ...(process.env.BENCH_CPU_PROF === '1'
      ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', join(tmpdir(), 'sentry-bench-prof', 'emulators')] }
      : {}),
    env: { BENCH_EMULATORS: JSON.stringify({ ...spec, caDir } satisfies EmulatorSpec) },
  });
  try {
    const { info } = await nextMessage<{ info: EmulatorInfo }>(child, 'ready', 300_000);
    return await work(info);
  } finally {
    if (child.exitCode === null) {
      child.send({ type: 'close' });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
        }, 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : String(n);

interface Line {
  label: string;
  value: string;
  target?: string;
  verdict?: 'PASS' | 'MISS';
}

function print(title: string, lines: Line[], notes: string[] = []): void {
  process.stdout.write(`\n${title}\n`);
  const width = Math.max(...lines.map((l) => l.label.length));
  for (const l of lines) {
    const target = l.target === undefined ? '' : `   target ${l.target}`;
    const mark = l.verdict === undefined ? '' : `   ${l.verdict}`;
    process.stdout.write(`  ${l.label.padEnd(width)}  ${l.value}${target}${mark}\n`);
  }
  for (const note of notes) process.stdout.write(`  · ${note}\n`);
}

async function main(): Promise<void> {
  reexecPinned();
  const only = (process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const run = (section: Section) => only.length === 0 || only.includes(section);
  const startedAt = new Date();
  const affinity = currentAffinity();
  process.stdout.write(
    `Sentry bench ${startedAt.toISOString()} · Node ${process.version} · collector pinned to CPU ${affinity ?? 'unpinned (no taskset)'} · load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} on ${cpus().length} CPUs\n`,
  );
  const caDir = join(tmpdir(), 'sentry-bench-ca');
  const ca = await ensureLocalCa(caDir);
  const trust = { NODE_EXTRA_CA_CERTS: ca.caPath };
  const results: Record<string, unknown> = {
    startedAt: startedAt.toISOString(),
    node: process.version,
    affinity: affinity ?? null,
    targets: TARGETS,
  };
  const verdicts: Record<string, 'PASS' | 'MISS'> = {};

  if (run('throughput')) {
    const events = int('BENCH_EVENTS', 150_000);
    const spanSec = 7200;
    // Live collection reads minutes-old events: two hours ending an hour ago (whole hours, so a run
    // is reproducible within its hour). The fixed 2026-11-01 of the other sections is weeks old, and
    // Log Analytics (so the ingestion emulator) restamps every row over two days old: work a live
    // collector never causes, done on the emulators' core for each of the 150,000 rows.
    const liveStart = Math.floor(Date.now() / 3_600_000) * 3600 - 3 * 3600;
    const throughput = (nodeArgs: string[], reps: number) =>
      withEmulators(caDir, { events, startSec: liveStart, spanSec }, (info) =>
        runWorker<ThroughputResult>(join(__dirname, 'throughput.ts'), {
          env: {
            ...trust,
            BENCH_TASK: JSON.stringify({
              emulators: info,
              startSec: liveStart,
              spanSec,
              events,
              reps,
              warmups: process.env.BENCH_WARMUP === '0' ? 0 : int('BENCH_WARMUP', 1),
            } satisfies ThroughputTask),
          },
          // Plain Node on the compiled app and harness, as the Functions worker runs (no tsx loader
          // thread or source-map hooks in the measured process).
          compiled: process.env.BENCH_TSX !== '1',
          nodeArgs: [
            '--expose-gc',
            ...nodeArgs,
            ...(process.env.BENCH_CPU_PROF === '1'
              ? ['--cpu-prof', '--cpu-prof-dir', join(tmpdir(), 'sentry-bench-prof')]
              : []),
          ],
        }),
      );
    // The verdict run uses the V8 flags production sets (as the backfill section does), unless
    // BENCH_NODE_ARGS says otherwise; the same run on Node's default flags is printed beside it.
    const override = process.env.BENCH_NODE_ARGS;
    const throughputArgs =
      override === undefined ? productionNodeArguments() : override.split(' ').filter((x) => x !== '');
    const t = await throughput(throughputArgs, int('BENCH_REPS', 5));
    const throughputPlain =
      process.env.BENCH_THROUGHPUT_COMPARE !== '0' && throughputArgs.length > 0
        ? await throughput([], int('BENCH_REPS', 5))
        : undefined;
    if (throughputPlain !== undefined) results.throughputDefaultFlags = throughputPlain;
    results.throughput = t;
    verdicts.eventsPerSec = verdict(t.pipelineEventsPerSec, TARGETS.eventsPerSec, 'atLeast');
    verdicts.ceilingRatio = verdict(t.ratio, TARGETS.ceilingRatio, 'atLeast');
    verdicts.eventsPerCpuSec = verdict(t.pipelineEventsPerCpuSec, TARGETS.eventsPerSec, 'atLeast');
    verdicts.ceilingRatioCpu = verdict(t.ratioCpu, TARGETS.ceilingRatio, 'atLeast');
    print(
      `1. collect → transform → upload (collectSlackAudit, ${fmt(events)} events, ${t.pages} pages of ≤9,999, median of ${t.pipeline.length})`,
      [
        {
          label: 'pipeline events/s (wall)',
          value: fmt(t.pipelineEventsPerSec),
          target: `≥ ${fmt(TARGETS.eventsPerSec)}`,
          verdict: verdicts.eventsPerSec,
        },
        { label: 'ceiling events/s (wall)', value: fmt(t.ceilingEventsPerSec) },
        {
          label: 'ratio to ceiling',
          value: fmt(t.ratio, 2),
          target: `≥ ${TARGETS.ceilingRatio}`,
          verdict: verdicts.ceilingRatio,
        },
        {
          label: 'pipeline events per CPU-s',
          value: fmt(t.pipelineEventsPerCpuSec),
          target: `≥ ${fmt(TARGETS.eventsPerSec)}`,
          verdict: verdicts.eventsPerCpuSec,
        },
        { label: 'ceiling events per CPU-s', value: fmt(t.ceilingEventsPerCpuSec) },
        {
          label: 'ratio (CPU)',
          value: fmt(t.ratioCpu, 2),
          target: `≥ ${TARGETS.ceilingRatio}`,
          verdict: verdicts.ceilingRatioCpu,
        },
        {
          label: 'info: median of per-round ratios',
          value: `${fmt(t.pairedRatio, 2)} wall, ${fmt(t.pairedRatioCpu, 2)} CPU`,
        },
        ...(throughputPlain === undefined
          ? []
          : [
              {
                label: "info: Node's default V8 flags",
                value: `${fmt(throughputPlain.pipelineEventsPerSec)} ev/s, ratio ${fmt(throughputPlain.ratio, 2)} wall, ${fmt(throughputPlain.ratioCpu, 2)} CPU (ceiling ${fmt(throughputPlain.ceilingEventsPerSec)} ev/s, median of ${throughputPlain.pipeline.length})`,
              },
            ]),
        { label: 'upload requests / run', value: fmt(t.pipeline[0]?.uploadRequests ?? 0) },
        { label: 'pipeline peak RSS', value: `${fmt(Math.max(...t.pipeline.map((p) => p.peakRssMb)))} MB` },
      ],
      [
        "ceiling = JSON.parse of the same page texts + zod SlackAuditEntrySchema + JSON.stringify once per row into <1 MB arrays + gzip level 1 (the app's level), same process, same core",
        `node ${throughputArgs.length === 0 ? "with Node's default V8 flags" : throughputArgs.join(' ')}${override === undefined ? ' (production: infra/bicep/node-arguments.json)' : ' (BENCH_NODE_ARGS)'} for pipeline and ceiling alike; the worker runs the compiled app (dist/) on plain Node`,
        "bench-only: Slack audit budget raised (emulator and client) from ~50 calls/min; Logs Ingestion DCR budget 10x Azure's; detections observer no-op",
        `CPUs allowed: worker ${t.affinity.worker ?? '?'}, emulators (Slack, Entra, Logs Ingestion over HTTPS) ${t.affinity.emulators ?? '?'}; ${t.warmups} untimed full pass(es) of each first; every run verified: rows reported = rows landed = events`,
        `waits per run: ${t.pipeline.map((p) => `first page ${fmt(p.waits.firstPageMs)} ms, drain after the last upload began ${fmt(p.waits.drainMs)} ms, pages ${fmt(p.waits.pageMs)} ms over ${p.waits.pages} fetches, uploads ${fmt(p.waits.uploadMs)} ms over ${p.waits.uploads} (of ${fmt(p.wallMs)} ms; ${fmt(p.cpuMs)} ms CPU; ${fmt(p.runQueueMs)} ms main thread ready but off the core; event loop idle ${fmt(p.loopIdleMs)} ms; emulators ${fmt(p.emulatorCpuMs)} ms CPU on their core)`).join('; ')}`,
        `noise, the worker's core during each run: ${[...t.ceiling.map((c) => ['ceiling', c] as const), ...t.pipeline.map((p) => ['pipeline', p] as const)].map(([name, r]) => `${name} ${fmt(r.coreOthersMs)} ms used by other processes, ${fmt(r.coreIrqMs)} ms in interrupts, ${fmt(r.coreIdleMs)} ms idle`).join('; ')}`,
        `per run (wall ev/s): pipeline ${t.pipeline.map((p) => fmt(p.eventsPerSec)).join(', ')}; ceiling ${t.ceiling.map((c) => fmt(c.eventsPerSec)).join(', ')}`,
      ],
    );
  }

  if (run('backfill')) {
    const events = int('BENCH_BACKFILL_EVENTS', 1_000_000);
    const spanSec = 24 * 3600;
    // Compiled JavaScript on plain Node, as the Functions worker runs the app (no tsx loader).
    const backfill = (nodeArgs: string[]) =>
      withEmulators(caDir, { events, startSec: START_SEC, spanSec }, (info) =>
        runWorker<BackfillResult>(join(__dirname, 'backfill.ts'), {
          env: {
            ...trust,
            BENCH_TASK: JSON.stringify({
              emulators: info,
              startSec: START_SEC,
              spanSec,
              events,
            } satisfies BackfillTask),
          },
          nodeArgs,
          compiled: true,
        }),
      );
    // The verdict run uses the V8 flags production sets (languageWorkers__node__arguments, read from
    // the file main.bicep loads), unless BENCH_BACKFILL_NODE_ARGS says otherwise.
    const production = productionNodeArguments();
    const override = process.env.BENCH_BACKFILL_NODE_ARGS;
    const args = override === undefined ? production : override.split(' ').filter((x) => x !== '');
    const b = await backfill(args);
    results.backfill = { nodeArgs: args, ...b };
    verdicts.backfillPeakRss = verdict(b.peakRssMb, TARGETS.backfillPeakRssMb, 'atMost');
    // The same backfill on Node's default V8 flags, for information: what the flags buy and cost.
    const compare = process.env.BENCH_BACKFILL_COMPARE !== '0' && args.length > 0;
    const plain = compare ? await backfill([]) : undefined;
    if (plain !== undefined) results.backfillDefaultFlags = { nodeArgs: [], ...plain };
    const heap = (x: BackfillResult) =>
      x.atPeakMb === undefined
        ? 'n/a'
        : `V8 heap ${fmt(x.atPeakMb.heapUsed)} MB used of ${fmt(x.atPeakMb.heapTotal)} MB, external ${fmt(x.atPeakMb.external)} MB`;
    const flags = args.length === 0 ? "Node's default V8 flags" : args.join(' ');
    print(
      `2. backfill of ${fmt(events)} events (backfillOrchestrator → collectSlackAudit per ${b.windowSeconds / 3600} h window, ${b.windows} windows, pages of 9,999)`,
      [
        {
          label: 'peak RSS',
          value: `${fmt(b.peakRssMb)} MB`,
          target: `≤ ${TARGETS.backfillPeakRssMb} MB`,
          verdict: verdicts.backfillPeakRss,
        },
        { label: 'RSS before the backfill', value: `${fmt(b.rssBeforeMb)} MB` },
        { label: 'rows landed', value: fmt(b.rows) },
        { label: 'events/s (wall)', value: fmt(b.eventsPerSec) },
        { label: 'events per CPU-second', value: fmt(b.eventsPerCpuSec) },
        ...(plain === undefined
          ? []
          : [
              {
                label: "info: Node's default V8 flags",
                value: `peak RSS ${fmt(plain.peakRssMb)} MB at ${fmt(plain.eventsPerSec)} events/s, ${fmt(plain.eventsPerCpuSec)} per CPU-second`,
              },
            ]),
      ],
      [
        `node ${flags}${override === undefined ? ' (production: infra/bicep/node-arguments.json)' : ' (BENCH_BACKFILL_NODE_ARGS)'}; the worker runs the compiled app (dist/) on plain Node`,
        "peak = max of process RSS sampled every 10 ms during the backfill and the kernel's maxRSS (whole process life)",
        `at the sampled peak: ${heap(b)}${plain === undefined ? '' : `; default flags: ${heap(plain)}`}`,
      ],
    );
  }

  if (run('billable')) {
    const billable: BillableResult = measureBillable();
    results.billable = billable;
    verdicts.billableRatio = verdict(billable.billable.billableRatio, TARGETS.billableRatio, 'atMost');
    verdicts.keepsDroppedFields = billable.billable.rowsMissingDroppedFields === 0 ? 'PASS' : 'MISS';
    const b = billable.billable;
    print(
      `3. bytes per event vs the seed's Logstash row (${fmt(b.events)} scenario events)`,
      [
        { label: 'billable bytes/event, ours', value: fmt(b.oursBillablePerEvent, 1) },
        {
          label: '  of which dimension rows',
          value: `${fmt(b.dimensionBytesPerEvent, 1)} (${fmt(b.dimensionRows)} user-agent rows, once per key and UTC day)`,
        },
        { label: 'billable bytes/event, seed', value: fmt(b.seedBillablePerEvent, 1) },
        {
          label: 'billable ratio ours/seed',
          value: fmt(b.billableRatio, 3),
          target: `≤ ${TARGETS.billableRatio}`,
          verdict: verdicts.billableRatio,
        },
        {
          label: 'ours, seed columns only',
          value: `${fmt(b.oursSeedFieldsPerEvent, 1)} (${fmt(b.oursSeedFieldsPerEvent / b.seedBillablePerEvent, 3)} of seed)`,
        },
        {
          label: 'rows missing a field the seed dropped or their user agent',
          value: fmt(b.rowsMissingDroppedFields),
          target: '0',
          verdict: verdicts.keepsDroppedFields,
        },
        { label: 'gzip bytes/event, ours (level 1)', value: fmt(billable.gzip.ours, 1) },
        {
          label: 'gzip bytes/event, seed (level 1)',
          value: `${fmt(billable.gzip.seed, 1)} → ratio ${fmt(billable.gzip.ours / billable.gzip.seed, 3)}`,
        },
        {
          label: 'JSON bytes/event ours / seed',
          value: `${fmt(billable.gzip.oursRaw, 1)} / ${fmt(billable.gzip.seedRaw, 1)}`,
        },
        ...(results.throughput === undefined
          ? []
          : [
              {
                label: 'wire bytes/event measured (throughput run)',
                value: fmt((results.throughput as ThroughputResult).wireBytesPerEvent, 1),
              },
            ]),
      ],
      [
        "billable = sum of the non-empty column values in string form (src/transforms/billable-size.ts); seed = 16 string columns + TimeGenerated, entity_body as JSON, missing fields as Logstash's literal %{[raw][…]}",
        'ours = the rows as they land (user agent as UserAgentKey) + the SentryDimension_CL rows they need, one process collecting hourly windows (src/transforms/dimensions.ts); each dimension row charged to the event that landed it',
        'checked per event: details, session id, app, actor team, and the user agent (the key resolves to it through a dimension row of the same UTC day)',
        ...b.missingExamples.map((e) => `missing: ${e}`),
        ...billable.byAction.map((a) => `${a.action}: ${fmt(a.events)} events, ratio ${fmt(a.ratio, 3)}`),
      ],
    );
  }

  if (run('meraki')) {
    const m = await runWorker<MerakiResult>(join(__dirname, 'meraki.ts'), {
      env: { BENCH_MERAKI_CYCLES: String(int('BENCH_MERAKI_CYCLES', 120)) },
    });
    results.meraki = m;
    verdicts.merakiCalls = verdict(m.stats.max, TARGETS.merakiCallsPerOrgCycle, 'atMost');
    print(
      `4. Meraki API calls per org per poll cycle (${m.stats.cycles} cycles × ${m.stats.orgs} scenario orgs, counted at the emulator)`,
      [
        {
          label: 'max calls per org per cycle',
          value: fmt(m.stats.max),
          target: `≤ ${TARGETS.merakiCallsPerOrgCycle}`,
          verdict: verdicts.merakiCalls,
        },
        { label: 'mean calls per org per cycle', value: fmt(m.stats.mean, 2) },
        { label: 'unattributed calls', value: fmt(m.stats.unattributed) },
        { label: '429 answers', value: fmt(m.rateLimited) },
      ],
      [
        `per org: ${Object.entries(m.stats.byOrg)
          .map(([org, s]) => `${org} ${s.calls} calls`)
          .join(', ')}; call mix: ${m.mix}`,
      ],
    );
  }

  if (run('latency')) {
    const l = await runWorker<LatencyResult>(join(__dirname, 'latency.ts'), {
      cpus: '0-1',
      env: {
        BENCH_LATENCY_INCIDENTS: String(int('BENCH_LATENCY_INCIDENTS', 10)),
        BENCH_LATENCY_LAG_SECONDS: process.env.BENCH_LATENCY_LAG_SECONDS ?? '',
      },
      timeoutMs: 600_000,
    });
    results.latency = l;
    verdicts.alertP95 = verdict(l.summary.p95Ms / 1000, TARGETS.alertP95Seconds, 'atMost');
    print(
      `5. alert latency on the local stack (poll interval ${l.pollIntervalSeconds} s, audit lag ${l.lagSeconds} s, ${l.summary.incidents} incidents)`,
      [
        { label: 'p50', value: `${fmt(l.summary.p50Ms / 1000, 1)} s` },
        {
          label: 'p95',
          value: `${fmt(l.summary.p95Ms / 1000, 1)} s`,
          target: `≤ ${TARGETS.alertP95Seconds} s`,
          verdict: verdicts.alertP95,
        },
        { label: 'max', value: `${fmt(l.summary.maxMs / 1000, 1)} s` },
        { label: 'alerted', value: `${l.summary.alerted} of ${l.summary.incidents}` },
        {
          label: 'Slack audit incidents p50 / p95',
          value: `${fmt(l.bySource.slack.p50Ms / 1000, 1)} s / ${fmt(l.bySource.slack.p95Ms / 1000, 1)} s (${l.bySource.slack.incidents})`,
        },
        {
          label: 'Meraki failovers p50 / p95',
          value: `${fmt(l.bySource.meraki.p50Ms / 1000, 1)} s / ${fmt(l.bySource.meraki.p95Ms / 1000, 1)} s (${l.bySource.meraki.incidents})`,
        },
      ],
      [
        ...l.samples.map(
          (s) =>
            `${s.incident}: ${s.postedAt === undefined ? 'no alert' : `${fmt((s.postedAt - s.visibleAt) / 1000, 1)} s`}`,
        ),
        ...l.notes,
      ],
    );
  }

  if (run('detections')) {
    const d = await measureDetections();
    results.detections = d;
    verdicts.detectionPrecision = verdict(d.precision, TARGETS.detectionPrecision, 'atLeast');
    verdicts.detectionRecall = verdict(d.recall, TARGETS.detectionRecall, 'atLeast');
    print(
      `6. detections on the scenario (${d.seeds.length} orgs × ${d.days} days, ${fmt(d.userDays)} user-days, ${d.incidents} injected incidents)`,
      [
        {
          label: 'precision (findings an incident is tagged with)',
          value: `${fmt(d.precision, 3)} (${d.truePositives} of ${d.findings})`,
          target: `≥ ${TARGETS.detectionPrecision}`,
          verdict: verdicts.detectionPrecision,
        },
        {
          label: 'recall (tagged findings raised)',
          value: `${fmt(d.recall, 3)} (${d.expected - d.missed.length} of ${d.expected})`,
          target: `≥ ${TARGETS.detectionRecall}`,
          verdict: verdicts.detectionRecall,
        },
        { label: 'false alerts on background', value: fmt(d.falseAlerts.length) },
      ],
      [
        'a finding is a (detection, subject) pair; true when an injected incident is tagged with it',
        ...d.falseAlerts.map((f) => `false alert: ${f}`),
        ...d.missed.map((m) => `missed: ${m}`),
        `${fmt(d.seconds, 1)} s`,
      ],
    );
  }

  results.verdicts = verdicts;
  results.loadAverageAtEnd = loadavg();
  const misses = Object.entries(verdicts).filter(([, v]) => v === 'MISS');
  process.stdout.write(
    `\n${misses.length === 0 ? 'All targets met' : `MISSED: ${misses.map(([k]) => k).join(', ')}`} (${Object.keys(verdicts).length} checked)\n`,
  );
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(
    `Wrote bench/results/latest.json (${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s; load average now ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
