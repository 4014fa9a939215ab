/** The seeded org and its incidents: see scenario.ts (history) and live-feed.ts (after `now`). */
export { generateScenario, auditEntriesBetween, DEFAULT_INCIDENTS } from './scenario';
export type { Scenario, ScenarioMeta, ScenarioOptions, ScenarioVolumes, IncidentPlan } from './scenario';
export { createLiveFeed } from './live-feed';
export type { LiveFeed, LiveBatch, LiveFeedOptions, InjectOptions } from './live-feed';
export { INCIDENT_KINDS, INCIDENT_DETECTIONS } from './incidents';
export type { Incident, IncidentKind } from './incidents';
export * from './catalogue';
export { MERAKI_EVENT_TYPES, MERAKI_ALERT_TYPES, merakiEventKey, uplinkStatusesAt, deviceStatusesAt } from './meraki';
export type * from './wire-types';
export * as wireSchemas from './wire-schemas';
