/**
 * The seam between collection and detection. Collector activities feed every typed row to an
 * observer while rows stream through (the cheap per-row match step, updating windowed counters);
 * the evaluate activity, once per cycle, reads the windows and applies thresholds. Rows never cross
 * an orchestration boundary.
 */
import type { Severity } from '../domain/severity';
import type { RowsByStream, StreamKey } from '../transforms/streams';
import type { FindingEntity } from './entities';
import type { EvidenceFact } from './evidence';

export interface RowObserver {
  /** Pure and cheap: called for every valid row, in stream order. */
  observe<K extends StreamKey>(stream: K, row: RowsByStream[K]): void;
  /**
   * Persists what was observed. Called after the rows were uploaded and before the checkpoint
   * advances. Idempotent: a retried activity that observes and flushes the same rows changes nothing.
   */
  flush(): Promise<{ updates: number }>;
}

export interface ObserverContext {
  source: 'slackAudit' | 'meraki' | 'merakiWebhook';
  org: string;
  cycleId: string;
}

/** Small summary of one finding as it crosses into orchestration history (never the rows). */
export interface FindingSummary {
  detectionId: string;
  dedupeKey: string;
  /** Stable per (detection, dedupe key): `incident-<detection id>-<hash>`. */
  incidentId: string;
  severity: Severity;
  title: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  /** True when this evaluation created the finding; false when it grew an open one. */
  isNew: boolean;
  /** What a responder needs to act without opening Azure (kept small: it crosses orchestration history). */
  detectionTitle?: string;
  subject?: { type: string; id: string; name?: string };
  /** Who the finding is about, by role and stance: the only source of response targets. */
  entities?: FindingEntity[];
  /** One sentence: why the detection fired. */
  why?: string;
  context?: FindingContext;
  /** Labelled facts for the responder (the structured evidence lands in SentryFinding_CL). */
  evidence?: EvidenceFact[];
  /** A few source event ids (newest last). */
  eventIds?: string[];
  mitre?: string[];
}

/** Where / how of a finding (who is in `entities`), in the shape the incident workflow renders. */
export interface FindingContext {
  source?: string;
  org?: string;
  ips?: string[];
  userAgents?: string[];
  sessionIds?: string[];
  actions?: string[];
  meraki?: {
    networkId?: string;
    networkName?: string;
    deviceSerial?: string;
    deviceName?: string;
    deviceModel?: string;
  };
}
