/** Every durable function name, in one place, so registrations and callers cannot drift apart. */
export const OrchestratorNames = {
  cycle: 'cycle',
  backfill: 'backfill',
  incident: 'incident',
} as const;

export const ActivityNames = {
  collectSlackAudit: 'collectSlackAudit',
  collectMeraki: 'collectMeraki',
  recordCycle: 'recordCycle',
  evaluateDetections: 'evaluateDetections',
  planBackfill: 'planBackfill',
  /** Turns configuration into the cycle's targets (orchestrators read no settings). */
  planCycle: 'planCycle',
  // Incident response
  dispatchIncidents: 'dispatchIncidents',
  publishIncidentAlert: 'publishIncidentAlert',
  postIncidentReply: 'postIncidentReply',
  notifyResponder: 'notifyResponder',
  authorizeResponder: 'authorizeResponder',
  /** Guardrail verdicts on an incident's targets when it opens. */
  checkTargets: 'checkTargets',
  runResponseAction: 'runResponseAction',
  recordResponse: 'recordResponse',
} as const;

/** The eternal collection orchestration's fixed instance id. */
export const CYCLE_INSTANCE_ID = 'sentry-cycle';

export const EventNames = {
  /** Raised on the cycle by the Meraki webhook so a failover reaches detection without waiting. */
  expedite: 'expedite',
  /** Raised on an incident by the Slack interactivity endpoint. */
  responderAction: 'responderAction',
  /** Raised on an open incident by dispatchIncidents when its finding grows. */
  findingUpdated: 'findingUpdated',
} as const;
