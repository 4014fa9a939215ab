/**
 * Collection: the collector activities, the eternal cycle and its watchdog, backfills, and the
 * Meraki webhook. Logic lives in activities/, orchestrators/ and functions/handlers/; this module
 * only registers.
 */
import * as df from 'durable-functions';

import { collectMerakiActivity } from '../activities/collect-meraki';
import { collectSlackAuditActivity } from '../activities/collect-slack-audit';
import { planBackfillActivity, planCycleActivity, recordCycleActivity } from '../activities/cycle-activities';
import { createRowObserver } from '../evaluation/row-observer';
import { getConfig, redactSecrets } from '../config';
import { ensureError } from '../errors';
import { ingestionClient } from '../ingestion/client';
import { backfillOrchestrator } from '../orchestrators/backfill';
import { cycleOrchestrator } from '../orchestrators/cycle';
import { ActivityNames, CYCLE_INSTANCE_ID, EventNames, OrchestratorNames } from '../contracts';
import { TableLease } from '../state/locks';
import { UplinkSnapshotStore } from '../state/meraki-state';
import type { Config } from '../config';
import { ensureCycleRunning, handleBackfill } from './handlers/cycle-control';
import { handleMerakiWebhook } from './handlers/meraki-webhook';

df.app.activity(ActivityNames.collectSlackAudit, { handler: collectSlackAuditActivity });
df.app.activity(ActivityNames.collectMeraki, { handler: collectMerakiActivity });
df.app.activity(ActivityNames.planCycle, { handler: planCycleActivity });
df.app.activity(ActivityNames.recordCycle, { handler: recordCycleActivity });
df.app.activity(ActivityNames.planBackfill, { handler: planBackfillActivity });

df.app.orchestration(OrchestratorNames.cycle, cycleOrchestrator);
df.app.orchestration(OrchestratorNames.backfill, backfillOrchestrator);

/** Keeps the eternal cycle alive: on start, then every 5 minutes. */
df.app.client.timer('cycleWatchdog', {
  schedule: '0 */5 * * * *',
  runOnStartup: true,
  handler: async (_timer, client, context) => {
    try {
      const { result, previous } = await ensureCycleRunning(client);
      if (result !== 'running')
        context.log(`cycleWatchdog: ${result} ${CYCLE_INSTANCE_ID} (was ${previous ?? 'absent'})`);
    } catch (error) {
      context.error(
        `cycleWatchdog: could not check or start ${CYCLE_INSTANCE_ID}: ${redactSecrets(ensureError(error).message)}`,
      );
      throw error;
    }
  },
});

df.app.client.http('startBackfill', {
  route: 'ops/backfill',
  methods: ['POST'],
  authLevel: 'function',
  handler: (request, client) => handleBackfill(request, client, Date.now(), new TableLease(getConfig(), 'backfill')),
});

/** Appliance serials of an organization, from its last uplink snapshot (cached a minute per process). */
const serialCache = new Map<string, { at: number; serials: ReadonlySet<string> }>();
async function knownSerials(config: Config, org: string): Promise<ReadonlySet<string>> {
  const hit = serialCache.get(org);
  if (hit !== undefined && Date.now() - hit.at < 60_000) return hit.serials;
  const snapshot = await new UplinkSnapshotStore(config).load(org);
  const serials = new Set(Object.values(snapshot?.uplinks ?? {}).map((u) => u.serial));
  serialCache.set(org, { at: Date.now(), serials });
  return serials;
}

df.app.client.http('merakiWebhook', {
  route: 'meraki/webhook',
  methods: ['POST'],
  // Meraki cannot send a function key; the shared secret in the body is checked instead.
  authLevel: 'anonymous',
  handler: (request, client, context) => {
    const config = getConfig();
    return handleMerakiWebhook(request, {
      config,
      ingestion: ingestionClient(config),
      createObserver: (ctx) => createRowObserver(config, ctx),
      raiseExpedite: (data) => client.raiseEvent(CYCLE_INSTANCE_ID, EventNames.expedite, data),
      knownSerials: (org) => knownSerials(config, org),
      log: (level, message) => {
        const line = redactSecrets(message);
        if (level === 'error') context.error(line);
        else if (level === 'warn') context.warn(line);
        else context.log(line);
      },
    });
  },
});
