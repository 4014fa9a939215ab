/**
 * Worker: Dashboard API calls per Meraki organization per poll cycle, counted where they land (the
 * Meraki emulator's request log), over `BENCH_MERAKI_CYCLES` cycles of the real `collectMeraki`
 * activity (production deps from `merakiDeps`, state in Azurite) for each of the scenario's
 * organizations. The emulator's clock moves 15 s per cycle (the shortest poll interval the app
 * allows, the one the latency section runs at), the scenario's live feed keeps adding appliance
 * events, and an uplink failover happens a third of the way in, so uplink changes, event polls and
 * the inventory cadence all take their turns. Rows go to a counting sink (uploads are measured in
 * the throughput section).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startAzurite } from '../dev/emulators/azurite';
import { startMerakiEmulator } from '../dev/emulators/meraki';
import { createLiveFeed, generateScenario } from '../dev/scenario';
import { merakiSeed } from '../dev/stack/seed';
import type { RowObserver } from '../src/detections/observer';
import type { IngestionClientLike } from '../src/ingestion/uploader';
import { app } from './lib/app';
import { type MerakiCallStats, merakiCallsPerOrgCycle } from './lib/measure';
import { reportAndExit } from './lib/proc';

export interface MerakiResult {
  stats: MerakiCallStats;
  rateLimited: number;
  /** How often each call kind was planned, over every org and cycle. */
  mix: string;
  rows: number;
  failovers: number;
  pollIntervalSeconds: number;
}

const POLL_SECONDS = 15;
const T0 = Date.parse('2026-11-20T12:00:00Z');

const noopObserver: RowObserver = {
  observe() {
    // detections are not measured here
  },
  flush: () => Promise.resolve({ updates: 0 }),
};

export async function measureMeraki(cycles: number): Promise<MerakiResult> {
  const { collectMeraki, merakiDeps } = app.collectMeraki();
  const { parseConfig } = app.config();
  const scenario = generateScenario({ seed: 42, now: T0, days: 2 });
  const feed = createLiveFeed(scenario);
  const orgs = scenario.meta.merakiOrganizationIds;
  const networkOrg = new Map(scenario.meraki.networks.map((n) => [n.id, n.organizationId]));
  const apiKey = 'bench0meraki0key000000000000000000000000';
  let now = T0;
  const location = mkdtempSync(join(tmpdir(), 'sentry-bench-azurite-'));
  const azurite = await startAzurite({ location });
  const meraki = await startMerakiEmulator({ state: merakiSeed(scenario, apiKey), now: () => now });
  try {
    const config = parseConfig({
      SENTRY_SOURCES: 'meraki',
      SENTRY_STORAGE_CONNECTION: azurite.connectionString,
      SENTRY_INGESTION_ENDPOINT: 'https://ingestion.invalid',
      SENTRY_DCR_IMMUTABLE_ID: 'dcr-00000000000000000000000000000000',
      SENTRY_MERAKI_API_KEY: apiKey,
      SENTRY_MERAKI_BASE_URL: `${meraki.url}/`,
      SENTRY_MERAKI_ORG_IDS: orgs.join(','),
      SENTRY_POLL_INTERVAL_SECONDS: String(POLL_SECONDS),
    });
    let rows = 0;
    const ingestion: IngestionClientLike = {
      upload: (_rule, _stream, logs) => {
        rows += logs.length;
        return Promise.resolve();
      },
    };
    const deps = merakiDeps(config);
    deps.ingestion = ingestion;
    deps.createObserver = () => noopObserver;
    deps.clock = () => now;

    const perCycle: string[][] = [];
    const mix = new Map<string, number>();
    let failovers = 0;
    let fed = T0;
    for (let cycle = 0; cycle < cycles; cycle += 1) {
      now = T0 + cycle * POLL_SECONDS * 1000;
      if (cycle === Math.floor(cycles / 3)) feed.inject('uplink-failover', now - 5_000);
      const batch = feed.next(fed, now);
      fed = now;
      for (const event of batch.merakiEvents) {
        if (meraki.state.network(event.networkId) !== undefined)
          meraki.state.addEvents(event.networkId, [event] as never);
      }
      for (const change of batch.uplinkChanges) {
        if (meraki.state.uplinkStatus(change.status.serial) === undefined) continue;
        meraki.state.setUplinks(change.status.serial, change.status.uplinks, change.at, { webhook: false });
      }
      const before = meraki.requests.length;
      for (const org of orgs) {
        const result = await collectMeraki({ cycleId: `bench-${cycle}`, org, now: new Date(now).toISOString() }, deps);
        failovers += result.failovers;
        for (const call of result.calls) {
          const kind = call.split(':')[0] ?? call;
          mix.set(kind, (mix.get(kind) ?? 0) + 1);
        }
      }
      perCycle.push(
        meraki.requests
          .slice(before)
          .filter((r) => r.path.startsWith('/api/v1/'))
          .map((r) => r.path),
      );
    }
    const rateLimited = meraki.requests.filter((r) => r.status === 429).length;
    return {
      stats: merakiCallsPerOrgCycle(perCycle, orgs, networkOrg),
      rateLimited,
      mix: [...mix.entries()].map(([kind, n]) => `${kind} ${n}`).join(', '),
      rows,
      failovers,
      pollIntervalSeconds: POLL_SECONDS,
    };
  } finally {
    await meraki.close();
    await azurite.stop();
    rmSync(location, { recursive: true, force: true });
  }
}

if (require.main === module) {
  reportAndExit(() => measureMeraki(Number(process.env.BENCH_MERAKI_CYCLES ?? '120')));
}
