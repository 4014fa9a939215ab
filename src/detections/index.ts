/**
 * Detections: the catalogue (registry), its configuration document, the per-row observer collector
 * activities feed, and the evaluation the `evaluateDetections` activity runs once per cycle.
 */
export { createRowObserver } from './row-observer';
export type { FileChannelsResolver, ObserverDeps } from './row-observer';
export type { FindingSummary, ObserverContext, RowObserver } from './observer';
export { DETECTIONS, detectionById } from './registry';
export { configuredDetections, parseDetectionsConfig } from './config';
export type { ConfiguredDetection, Detection, Severity } from './define';
