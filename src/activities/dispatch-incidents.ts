/**
 * Activity `dispatchIncidents`, called by the cycle after `evaluateDetections` with only the cycle id:
 * the findings that cycle reported are read from the findings table (their `updatedCycle`), so no
 * finding list crosses the durable boundary. Per finding, through the durable client binding:
 * - snoozed subject (Snooze button) → skipped;
 * - an incident with that instance id is running → `findingUpdated` is raised on it, unless the
 *   incident already knows this finding at this size. Several separate findings (`findingId`) of one
 *   dedupe key share the incident (a backfill can find an older one while a newer one is open); the
 *   orchestration's custom status lists the findings it knows with their count and last event, so a
 *   different finding, or a known one that grew, is raised and the incident shows it as an occurrence.
 *   Without that list (an incident started before it existed) a new finding is raised and a grown one
 *   is compared with the `incidents` summary row, as before;
 * - none, or the last one failed or was terminated → the `incident` orchestration starts with instance
 *   id `finding.incidentId` and the policy resolved from configuration;
 * - the last one was closed and the finding merely grew (not new) → skipped: the responder closed it.
 * One bad finding is reported in `rejected` and does not stop the others; a failed start or raise is
 * retried by throwing a retriable error after the whole batch was tried (repeats are harmless: a
 * started incident is now running and gets an update the orchestration ignores when nothing grew).
 *
 * Each start and update carries dispatch's grant over the incident's charter (response/targets.ts,
 * proofs.ts): only incidents opened here can act. A detection opens at most
 * `SENTRY_INCIDENT_MAX_NEW_PER_DETECTION` new incidents per call (one cycle); the findings past that
 * are held back and named in one summary message per detection (they stay in SentryFinding_CL), so a
 * flood of findings, or a webhook holder inventing devices, cannot bury the channel.
 */
import type { InvocationContext } from '@azure/functions';
import { z } from 'zod';

import type { Config } from '../config';
import { AppError, ErrorCode } from '../errors';
import { type ActivityOutput, EventNames, OrchestratorNames, parseActivityInput } from '../contracts';
import { type FindingUpdatedEvent, type IncidentFinding, normalizeFinding } from '../response/model';
import { resolvePolicy } from '../response/policy';
import { signCharter } from '../response/proofs';
import { charterOf } from '../response/targets';
import type { HeldBack } from '../slack/blocks/held-back';
import type { IncidentSummary } from '../state/incidents';
import { isLive, RESTARTABLE_STATUSES } from '../domain/durable';

/** The part of the durable client dispatch uses (the real DurableClient satisfies it). */
export interface DurableClientLike {
  getStatus(instanceId: string): Promise<{ runtimeStatus: string; customStatus?: unknown }>;
  startNew(name: string, options: { instanceId: string; input: unknown }): Promise<string>;
  raiseEvent(instanceId: string, eventName: string, eventData: unknown): Promise<void>;
}

export interface DispatchDeps {
  client: DurableClientLike;
  config: Config;
  isSnoozed(detectionId: string, subject: string, now: Date): Promise<boolean>;
  summary(incidentId: string): Promise<IncidentSummary | undefined>;
  /** The findings a cycle reported, as incident summaries (evaluate-detections.ts `findingsOfCycle`). */
  reported(cycleId: string): Promise<unknown[]>;
  now: () => Date;
  /** Signs charters (proofs.ts); undefined: incidents open without a grant and cannot act. */
  responseKey: Buffer | undefined;
  /** Posts the summary of findings held back past the per-detection cap. */
  postHeldBack(heldBack: HeldBack): Promise<void>;
  log?: ((message: string) => void) | undefined;
}

export interface DispatchResult {
  started: string[];
  updated: string[];
  skipped: { incidentId: string; reason: 'snoozed' | 'unchanged' | 'closed' | 'held-back' }[];
  rejected: { incidentId?: string | undefined; reason: string }[];
}

async function statusOf(
  client: DurableClientLike,
  instanceId: string,
): Promise<{ runtimeStatus: string; customStatus?: unknown } | undefined> {
  try {
    return await client.getStatus(instanceId);
  } catch (error) {
    // DurableClient.getStatus throws for an unknown instance ("...replied with HTTP 404 response").
    if (error instanceof Error && error.message.includes('HTTP 404')) return undefined;
    throw error;
  }
}

/** `[findingId, count, lastSeen]` triples from the incident's custom status (see incident.ts). */
const KnownFindings = z.object({
  findings: z.array(z.tuple([z.string(), z.number(), z.string()])),
});

/**
 * Whether a running incident already shows this finding at this size: from the custom status when it
 * lists its findings, else (older incidents) from the summary row, where a new finding always counts
 * as news (it is a separate finding of the key, or a retried start the orchestration ignores).
 */
async function alreadyShown(
  finding: IncidentFinding,
  customStatus: unknown,
  summary: () => Promise<IncidentSummary | undefined>,
): Promise<boolean> {
  const known = KnownFindings.safeParse(customStatus);
  if (known.success && finding.findingId !== undefined) {
    const entry = known.data.findings.find(([id]) => id === finding.findingId);
    return entry !== undefined && finding.count <= entry[1] && finding.lastSeen <= entry[2];
  }
  if (finding.isNew === true && finding.findingId !== undefined) return false;
  const shown = await summary().catch(() => undefined);
  return shown !== undefined && finding.count <= shown.count && finding.lastSeen <= shown.lastSeen;
}

function updateOf(finding: IncidentFinding, grant: string | undefined): FindingUpdatedEvent {
  return {
    ...(grant === undefined ? {} : { entities: finding.entities, grant }),
    ...(finding.why === undefined ? {} : { why: finding.why }),
    ...(finding.findingId === undefined ? {} : { findingId: finding.findingId }),
    count: finding.count,
    lastSeen: finding.lastSeen,
    firstSeen: finding.firstSeen,
    title: finding.title,
    severity: finding.severity,
    ...(finding.evidence.length === 0 ? {} : { evidence: finding.evidence }),
    ...(finding.eventIds.length === 0 ? {} : { eventIds: finding.eventIds }),
  };
}

/** Dispatches the findings a cycle reported (the activity's input names the cycle). */
export async function dispatchIncidents(raw: unknown, deps: DispatchDeps): Promise<DispatchResult> {
  const { cycleId } = parseActivityInput('dispatchIncidents', raw);
  return dispatchFindings(await deps.reported(cycleId), deps);
}

/** Dispatches findings (incident summaries; a malformed one is rejected, the others go on). */
export async function dispatchFindings(findings: readonly unknown[], deps: DispatchDeps): Promise<DispatchResult> {
  const result: DispatchResult = { started: [], updated: [], skipped: [], rejected: [] };
  const failures: string[] = [];
  const now = deps.now();
  const startedPer = new Map<string, number>();
  const heldBack = new Map<string, IncidentFinding[]>();
  for (const raw of findings) {
    let finding: IncidentFinding;
    try {
      finding = normalizeFinding(raw);
    } catch (error) {
      const incidentId = (raw as { incidentId?: unknown } | null)?.incidentId;
      result.rejected.push({
        incidentId: typeof incidentId === 'string' ? incidentId : undefined,
        reason: error instanceof z.ZodError ? z.prettifyError(error) : (error as Error).message,
      });
      continue;
    }
    const id = finding.incidentId;
    try {
      if (await deps.isSnoozed(finding.detectionId, finding.subject.id, now)) {
        result.skipped.push({ incidentId: id, reason: 'snoozed' });
        continue;
      }
      const instance = await statusOf(deps.client, id);
      const status = instance?.runtimeStatus;
      const policy = resolvePolicy(deps.config, finding.detectionId, finding.severity);
      const grant =
        deps.responseKey === undefined ? undefined : signCharter(deps.responseKey, charterOf(finding, policy));
      if (isLive(status)) {
        if (await alreadyShown(finding, instance?.customStatus, () => deps.summary(id))) {
          result.skipped.push({ incidentId: id, reason: 'unchanged' });
          continue;
        }
        await deps.client.raiseEvent(id, EventNames.findingUpdated, updateOf(finding, grant));
        result.updated.push(id);
      } else if (status === undefined || finding.isNew === true || RESTARTABLE_STATUSES.has(status)) {
        const opened = startedPer.get(finding.detectionId) ?? 0;
        if (opened >= deps.config.incident.maxNewPerDetection) {
          heldBack.set(finding.detectionId, [...(heldBack.get(finding.detectionId) ?? []), finding]);
          result.skipped.push({ incidentId: id, reason: 'held-back' });
          continue;
        }
        await deps.client.startNew(OrchestratorNames.incident, {
          instanceId: id,
          input: { finding, policy, ...(grant === undefined ? {} : { grant }) },
        });
        startedPer.set(finding.detectionId, opened + 1);
        result.started.push(id);
      } else {
        result.skipped.push({ incidentId: id, reason: 'closed' });
      }
    } catch (error) {
      if (error instanceof AppError && !error.retriable) throw error;
      failures.push(`${id}: ${(error as Error).message}`);
    }
  }
  for (const [detectionId, findings] of heldBack) {
    try {
      await deps.postHeldBack({
        detectionId,
        detectionTitle: findings[0]?.detectionTitle,
        opened: startedPer.get(detectionId) ?? 0,
        limit: deps.config.incident.maxNewPerDetection,
        findings: findings.map((f) => ({
          severity: f.severity,
          title: f.title,
          subject: f.subject,
          firstSeen: f.firstSeen,
          lastSeen: f.lastSeen,
          count: f.count,
        })),
      });
    } catch (error) {
      // Held-back findings are in SentryFinding_CL either way; the summary is a courtesy.
      deps.log?.(
        `dispatchIncidents: could not post the held-back summary of ${detectionId}: ${(error as Error).message}`,
      );
    }
  }
  if (result.rejected.length > 0)
    deps.log?.(
      `dispatchIncidents rejected ${result.rejected.length} finding(s): ${result.rejected
        .map((r) => r.reason)
        .join('; ')
        .slice(0, 2000)}`,
    );
  if (failures.length > 0) {
    throw new AppError(
      ErrorCode.StateUnavailable,
      `dispatchIncidents could not start or update ${failures.length} incident(s): ${failures.join('; ').slice(0, 2000)}`,
      {
        retriable: true,
      },
    );
  }
  return result;
}

export type DispatchActivityDeps = Omit<DispatchDeps, 'log'>;

export function dispatchIncidentsActivity(deps: (context: InvocationContext) => DispatchActivityDeps) {
  return async (raw: unknown, context: InvocationContext): Promise<ActivityOutput<'dispatchIncidents'>> => {
    const result = await dispatchIncidents(raw, {
      ...deps(context),
      log: (message) => {
        context.warn(message);
      },
    });
    // Counts cross the durable boundary; the names are in the log.
    if (result.started.length + result.updated.length > 0)
      context.log(
        `dispatchIncidents: started ${result.started.join(', ')}; updated ${result.updated.join(', ')}`.slice(0, 4000),
      );
    return {
      started: result.started.length,
      updated: result.updated.length,
      skipped: result.skipped.filter((s) => s.reason !== 'held-back').length,
      heldBack: result.skipped.filter((s) => s.reason === 'held-back').length,
      rejected: result.rejected.length,
    };
  };
}
