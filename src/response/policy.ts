/**
 * Resolves an incident's policy from configuration when it is dispatched: the channel, the escalation
 * timeout, the on-call group, the snooze length and the automatic action of the first matching rule
 * (`detection[@severity[+]]=action`; detection exact, a prefix ending in `*`, or `*`).
 */
import type { AutoActionRule, Config } from '../config';
import { AppError, ErrorCode } from '../errors';
import { type Severity, severityRank } from '../domain/severity';
import type { IncidentPolicy } from './model';

export function ruleMatches(rule: AutoActionRule, detectionId: string, severity: Severity): boolean {
  const pattern = rule.detection;
  const detectionOk =
    pattern === '*' || (pattern.endsWith('*') ? detectionId.startsWith(pattern.slice(0, -1)) : detectionId === pattern);
  if (!detectionOk) return false;
  if (rule.severity === undefined) return true;
  return rule.orHigher ? severityRank(severity) >= severityRank(rule.severity) : severity === rule.severity;
}

export function resolvePolicy(config: Config, detectionId: string, severity: Severity): IncidentPolicy {
  const channel = config.slack.incidentChannel;
  if (channel === undefined) {
    throw new AppError(
      ErrorCode.ConfigInvalid,
      'SENTRY_SLACK_INCIDENT_CHANNEL is not set: incidents have nowhere to be posted',
    );
  }
  const rule = config.incident.autoActions.find((candidate) => ruleMatches(candidate, detectionId, severity));
  return {
    channel,
    escalateAfterMinutes: config.incident.escalationMinutes,
    ...(config.slack.oncallGroup === undefined ? {} : { oncallGroup: config.slack.oncallGroup }),
    ...(rule === undefined ? {} : { automaticAction: rule.action }),
    snoozeDays: config.incident.snoozeDays,
    staleAfterHours: config.incident.staleAfterHours,
    autoActionMaxAgeMinutes: config.incident.autoActionMaxAgeMinutes,
  };
}
