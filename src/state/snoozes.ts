/**
 * Snoozes: "allowlist this subject for this detection until T", set by the incident's Snooze button.
 * Stored in the `incidents` table under partition `snooze|<detection id>` (row = subject), so a
 * detection asks with one point read. Detections call `isSnoozed(detectionId, subject, now)` with the
 * same subject id they put in the finding's `subject.id` (the dedupe key when a finding has none).
 */
import { getConfig, type Config } from '../config';
import { tableKey } from './incidents';
import { asStateError, stateTable, statusOf } from './tables';

export interface Snooze {
  detectionId: string;
  subject: string;
  until: string;
  by: string;
  incidentId: string;
  createdAt: string;
}

function partitionOf(detectionId: string): string {
  return `snooze|${tableKey(detectionId)}`;
}

export class SnoozeStore {
  constructor(private readonly config: Config) {}

  /** Sets (or extends) a snooze; an existing later `until` is kept, so a repeat never shortens it. */
  async snooze(snooze: Snooze): Promise<Snooze> {
    const existing = await this.get(snooze.detectionId, snooze.subject);
    if (existing !== undefined && existing.until >= snooze.until) return existing;
    const table = await stateTable(this.config, 'incidents');
    try {
      await table.upsertEntity(
        {
          partitionKey: partitionOf(snooze.detectionId),
          rowKey: tableKey(snooze.subject),
          DetectionId: snooze.detectionId,
          Subject: snooze.subject,
          Until: snooze.until,
          By: snooze.by,
          IncidentId: snooze.incidentId,
          CreatedAt: snooze.createdAt,
        },
        'Replace',
      );
    } catch (error) {
      throw asStateError(error, `snoozing ${snooze.detectionId}`);
    }
    return snooze;
  }

  async get(detectionId: string, subject: string): Promise<Snooze | undefined> {
    const table = await stateTable(this.config, 'incidents');
    try {
      const e = await table.getEntity<Record<string, string>>(partitionOf(detectionId), tableKey(subject));
      return {
        detectionId,
        subject,
        until: e.Until ?? '',
        by: e.By ?? '',
        incidentId: e.IncidentId ?? '',
        createdAt: e.CreatedAt ?? '',
      };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw asStateError(error, `reading snoozes of ${detectionId}`);
    }
  }

  async isSnoozed(detectionId: string, subject: string, now: Date): Promise<boolean> {
    const snooze = await this.get(detectionId, subject);
    return snooze !== undefined && Date.parse(snooze.until) > now.getTime();
  }
}

/** Whether `subject` is allowlisted for `detectionId` at `now` (for detections; uses the app configuration). */
export function isSnoozed(detectionId: string, subject: string, now: Date, config: Config = getConfig()): Promise<boolean> {
  return new SnoozeStore(config).isSnoozed(detectionId, subject, now);
}
