/**
 * Worker (one core, a fresh process so nothing else is on its heap; run.ts starts it compiled, on
 * plain Node, with the production Node arguments): peak RSS of a backfill of `events` audit entries.
 * The real `backfillOrchestrator` generator is driven step by step — its `planBackfill` and
 * `collectSlackAudit` calls run the real activities in this process, one window after another,
 * `continueAsNew` every 50 windows — the way the Durable host would run them, minus the host. Deps
 * as in throughput.ts: production `slackAuditDeps`, raised Slack budget, no-op observer.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { OrchestrationContext } from 'durable-functions';

import type { BackfillCarried, BackfillOutput } from '../src/orchestrators/backfill';
import type { EmulatorInfo } from './emulators';
import { app } from './lib/app';
import { benchSlackAuditDeps } from './lib/slack-audit-deps';
import { perSecond, perSecondFromUs, RssSampler } from './lib/measure';
import { reportAndExit } from './lib/proc';

export interface BackfillTask {
  emulators: EmulatorInfo;
  startSec: number;
  spanSec: number;
  events: number;
}

export interface BackfillResult {
  events: number;
  rows: number;
  windows: number;
  windowSeconds: number;
  continuedAsNew: number;
  wallMs: number;
  eventsPerSec: number;
  /** User + system CPU of the whole process (GC and zlib threads included). */
  cpuMs: number;
  /** Events per CPU-second: the speed other work on the machine does not lower. */
  eventsPerCpuSec: number;
  rssBeforeMb: number;
  peakRssMb: number;
  maxRssMb: number;
  rssSamples: number;
  /** MB at the sampled peak: V8 heap used / total, external (Buffers), array buffers. */
  atPeakMb: { heapUsed: number; heapTotal: number; external: number; arrayBuffers: number } | undefined;
}

/**
 * The Node arguments of the production Functions worker: main.bicep sets
 * `languageWorkers__node__arguments` from this same file, so the bench cannot drift from Azure.
 */
export function productionNodeArguments(): string[] {
  const file = join(__dirname, '..', 'infra', 'bicep', 'node-arguments.json');
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { arguments?: unknown };
  const args = parsed.arguments;
  if (
    !Array.isArray(args) ||
    !args.every((a): a is string => typeof a === 'string' && /^--[a-z0-9-]+(=\S+)?$/.test(a))
  ) {
    throw new Error(`${file}: "arguments" must be a list of --flag or --flag=value strings`);
  }
  return args;
}

interface FakeTask {
  name: string;
  input: unknown;
}

/** Runs one orchestration episode; returns the output, or the continueAsNew input. */
export async function driveOrchestration(
  orchestrator: (context: OrchestrationContext) => Generator<unknown, unknown, unknown>,
  input: unknown,
  activities: Record<string, (input: unknown) => unknown>,
  statuses: unknown[] = [],
): Promise<{ output: unknown; continued?: unknown }> {
  let continued: unknown;
  const df = {
    instanceId: 'bench-backfill',
    getInput: () => input,
    callActivity: (name: string, activityInput: unknown): FakeTask => ({ name, input: activityInput }),
    callActivityWithRetry: (name: string, _retry: unknown, activityInput: unknown): FakeTask => ({
      name,
      input: activityInput,
    }),
    setCustomStatus: (status: unknown) => {
      statuses.push(status);
    },
    continueAsNew: (next: unknown) => {
      continued = next;
    },
  };
  const generator = orchestrator({ df } as unknown as OrchestrationContext);
  let step = generator.next();
  while (step.done !== true) {
    const task = step.value as FakeTask;
    const activity = activities[task.name];
    if (activity === undefined) throw new Error(`no activity ${task.name}`);
    step = generator.next(await activity(task.input));
  }
  return continued === undefined ? { output: step.value } : { output: step.value, continued };
}

export async function measureBackfill(task: BackfillTask): Promise<BackfillResult> {
  const { collectSlackAudit } = app.collectSlackAudit();
  const { planBackfill } = app.cycleActivities();
  const { backfillOrchestrator } = app.backfill();
  const { ActivityNames } = app.names();
  const info = task.emulators;
  const { deps } = benchSlackAuditDeps(info, 9999);
  const activities: Record<string, (input: unknown) => unknown> = {
    [ActivityNames.planBackfill]: (input) => planBackfill(input),
    [ActivityNames.collectSlackAudit]: (input) => collectSlackAudit(input, deps),
  };

  const windowSeconds = 3600;
  let carried: BackfillCarried = {
    request: { source: 'slackAudit', oldest: task.startSec, latest: task.startSec + task.spanSec - 1, windowSeconds },
  };
  const rssBefore = process.memoryUsage.rss();
  const sampler = new RssSampler(10).start();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let continuedAsNew = 0;
  let output: BackfillOutput | undefined;
  for (;;) {
    const episode = await driveOrchestration(backfillOrchestrator, carried, activities);
    if (episode.continued === undefined) {
      output = episode.output as BackfillOutput;
      break;
    }
    continuedAsNew += 1;
    carried = episode.continued as BackfillCarried;
  }
  const wallNs = process.hrtime.bigint() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const { peakSampled, maxRss } = sampler.stop();
  if (output.rows !== task.events) throw new Error(`backfill landed ${output.rows} rows, expected ${task.events}`);
  return {
    events: task.events,
    rows: output.rows,
    windows: output.windows,
    windowSeconds,
    continuedAsNew,
    wallMs: Number(wallNs) / 1e6,
    eventsPerSec: perSecond(output.rows, wallNs),
    cpuMs,
    eventsPerCpuSec: perSecondFromUs(output.rows, cpu.user + cpu.system),
    rssBeforeMb: rssBefore / 1024 / 1024,
    // The kernel's maxRSS catches spikes between samples; the process did little else before.
    peakRssMb: Math.max(peakSampled, maxRss) / 1024 / 1024,
    maxRssMb: maxRss / 1024 / 1024,
    rssSamples: sampler.samples,
    atPeakMb:
      sampler.atPeak === undefined
        ? undefined
        : {
            heapUsed: sampler.atPeak.heapUsed / 1024 / 1024,
            heapTotal: sampler.atPeak.heapTotal / 1024 / 1024,
            external: sampler.atPeak.external / 1024 / 1024,
            arrayBuffers: sampler.atPeak.arrayBuffers / 1024 / 1024,
          },
  };
}

if (require.main === module) {
  reportAndExit(() => measureBackfill(JSON.parse(process.env.BENCH_TASK ?? '{}') as BackfillTask));
}
