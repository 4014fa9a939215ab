/**
 * Namespaced action ids of the incident message's buttons, and the button value codec. The value is
 * compact JSON `{"i":"<incident id>","t":"<target>"}`: the click handler needs no lookup to know which
 * orchestration to signal, and the orchestration re-checks that the (kind, target) pair is offered,
 * so a value is a hint, never an authority.
 */
import { z } from 'zod';

import type { ActionKind } from '../response/model';
import { LIMITS } from './blocks/types';

export const ACTION_ID_PREFIX = 'sentry-incident-';

export const ActionIds: Readonly<Record<ActionKind, string>> = {
  acknowledge: 'sentry-incident-ack',
  resetSessions: 'sentry-incident-reset-sessions',
  invalidateSession: 'sentry-incident-invalidate-session',
  deactivateUser: 'sentry-incident-deactivate-user',
  blockIp: 'sentry-incident-block-ip',
  blockClient: 'sentry-incident-block-client',
  closeFalsePositive: 'sentry-incident-false-positive',
  closeBenignPositive: 'sentry-incident-benign-positive',
  snooze: 'sentry-incident-snooze',
};

const KIND_BY_ID = new Map<string, ActionKind>(
  (Object.entries(ActionIds) as [ActionKind, string][]).map(([kind, id]) => [id, kind]),
);

/** The action kind of one of our action ids, or undefined for anything else. */
export function kindOfActionId(actionId: string): ActionKind | undefined {
  return KIND_BY_ID.get(actionId);
}

const INCIDENT_ID = /^incident-[A-Za-z0-9._:-]{1,200}$/;

export const ButtonValue = z.strictObject({
  i: z.string().regex(INCIDENT_ID),
  t: z.string().min(1).max(256).optional(),
});

export function encodeButtonValue(incidentId: string, target?: string): string {
  const value = JSON.stringify(target === undefined ? { i: incidentId } : { i: incidentId, t: target });
  if (value.length > LIMITS.buttonValue) throw new Error(`button value over ${LIMITS.buttonValue} characters`);
  return value;
}

/** Parses a button value; undefined when it is not one of ours. */
export function decodeButtonValue(value: string | undefined): { incidentId: string; target?: string } | undefined {
  if (value === undefined || value.length > LIMITS.buttonValue) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return undefined;
  }
  const parsed = ButtonValue.safeParse(json);
  if (!parsed.success) return undefined;
  return parsed.data.t === undefined
    ? { incidentId: parsed.data.i }
    : { incidentId: parsed.data.i, target: parsed.data.t };
}
