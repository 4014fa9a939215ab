/**
 * The production deps of the `collectSlackAudit` activity (`slackAuditDeps(config)`) against the
 * bench's emulators, with the two seams every bench section shares: the org-wide Slack request
 * budget raised (Slack's ~50 calls/min would cap any measurement at ~8.3k events/s), and the
 * detections' observer a no-op (the detection step is measured apart).
 */
import type { CollectSlackAuditDeps } from '../../src/activities/collect-slack-audit';
import type { Config } from '../../src/config';
import type { RowObserver } from '../../src/detections/observer';
import type { EmulatorInfo } from '../emulators';
import { app } from './app';

const noopObserver: RowObserver = {
  observe() {
    // detections are not part of these measurements
  },
  flush: () => Promise.resolve({ updates: 0 }),
};

export function benchSlackAuditDeps(
  info: EmulatorInfo,
  pageSize: number,
): { config: Config; deps: CollectSlackAuditDeps } {
  const { slackAuditDeps } = app.collectSlackAudit();
  const { RequestBudget } = app.budget();
  const { SlackAuditClient } = app.slackAuditClient();
  const { parseConfig } = app.config();
  const config = parseConfig({
    ...info.env,
    SENTRY_SLACK_AUDIT_TOKEN: info.slackAuditToken,
    SENTRY_SLACK_AUDIT_API_URL: info.slackAuditUrl,
    SENTRY_SOURCES: 'slackAudit',
    SENTRY_SLACK_AUDIT_PAGE_SIZE: String(pageSize),
    SENTRY_STORAGE_CONNECTION: 'UseDevelopmentStorage=true',
  });
  const deps = slackAuditDeps(config);
  deps.client = new SlackAuditClient({
    baseUrl: config.slack.auditApiUrl,
    token: info.slackAuditToken,
    budget: new RequestBudget({ ratePerSec: 1_000_000, capacity: 1_000_000, label: 'bench (raised)' }),
  });
  deps.createObserver = () => noopObserver;
  return { config, deps };
}
