/**
 * What response actions may aim at, derived only from a finding's entities (never from "the newest
 * event"): a user the detection calls a suspect, one of that user's Slack sessions, a suspect IPv4
 * address on a known Meraki network, a suspect client on a known network. An id that also appears in
 * a victim role is never a target, so an attacker who aims a spray at an owner cannot turn Sentry on
 * that owner. Pure.
 *
 * The charter is the part of an incident that decides what can be acted on: the targets and the
 * automatic action. dispatchIncidents signs it (proofs.ts); the activity that acts verifies the
 * signature and acts only on a target the charter names, so an incident started or updated through
 * the Durable management API with made-up entities cannot act.
 */
import type { EntityNetwork, EntityRole } from '../detections/entities';
import {
  type ActionKind,
  type IncidentEntity,
  type IncidentFinding,
  type IncidentPolicy,
  isIpv4,
  SLACK_SESSION_ID,
  SLACK_USER_ID,
} from './model';

export type TargetKind = 'user' | 'session' | 'ip' | 'client';

export interface ActionTarget {
  kind: TargetKind;
  id: string;
  /** Display name (user name, session owner's name, client description). */
  name?: string | undefined;
  /** The roles the target plays in the finding (a user can be actor and affected at once). */
  roles: EntityRole[];
  /** Sessions: the user id the session belongs to. */
  of?: string | undefined;
  /** IPs and clients: the Meraki network a block is written to. */
  network?: EntityNetwork | undefined;
}

/** Users a message offers buttons for (three each); more suspects are listed, not offered. */
export const MAX_USER_TARGETS = 5;

/** The action kinds each target kind can receive. */
export const ACTIONS_BY_TARGET: Readonly<Record<TargetKind, readonly ActionKind[]>> = {
  user: ['resetSessions', 'deactivateUser'],
  session: ['invalidateSession'],
  ip: ['blockIp'],
  client: ['blockClient'],
};

export function targetKindOf(kind: ActionKind): TargetKind | undefined {
  for (const [target, kinds] of Object.entries(ACTIONS_BY_TARGET) as [TargetKind, readonly ActionKind[]][]) {
    if (kinds.includes(kind)) return target;
  }
  return undefined;
}

export function targetKey(kind: TargetKind, id: string): string {
  return `${kind}:${id}`;
}

function victimIds(entities: readonly IncidentEntity[]): Set<string> {
  return new Set(entities.filter((e) => e.stance === 'victim').map((e) => `${e.type}:${e.id}`));
}

/** Every target a finding's entities allow, in display order (suspect users first, most recent first). */
export function targetsOf(finding: Pick<IncidentFinding, 'entities'>): ActionTarget[] {
  const entities = finding.entities;
  const victims = victimIds(entities);
  const byKey = new Map<string, ActionTarget>();
  const add = (target: ActionTarget): void => {
    const key = targetKey(target.kind, target.id);
    const seen = byKey.get(key);
    if (seen === undefined) byKey.set(key, target);
    else for (const role of target.roles) if (!seen.roles.includes(role)) seen.roles.push(role);
  };
  for (const e of entities) {
    if (e.stance !== 'suspect' || victims.has(`${e.type}:${e.id}`)) continue;
    if (e.type === 'user' && SLACK_USER_ID.test(e.id)) {
      add({ kind: 'user', id: e.id, name: e.name ?? e.email, roles: [e.role] });
      const session = [...(e.sessions ?? [])].reverse().find((s) => SLACK_SESSION_ID.test(s));
      if (session !== undefined)
        add({ kind: 'session', id: session, name: e.name ?? e.email, roles: [e.role], of: e.id });
    } else if (e.type === 'ip' && isIpv4(e.id) && e.network?.networkId !== undefined) {
      add({ kind: 'ip', id: e.id, roles: [e.role], network: e.network });
    } else if (e.type === 'client' && e.network?.networkId !== undefined) {
      add({ kind: 'client', id: e.id, name: e.name, roles: [e.role], network: e.network });
    }
  }
  return [...byKey.values()];
}

/** The targets buttons are offered for: at most `MAX_USER_TARGETS` users (and their sessions). */
export function offerableTargets(finding: Pick<IncidentFinding, 'entities'>): {
  targets: ActionTarget[];
  omittedUsers: ActionTarget[];
} {
  const all = targetsOf(finding);
  const users = all.filter((t) => t.kind === 'user');
  const kept = new Set(users.slice(0, MAX_USER_TARGETS).map((t) => t.id));
  return {
    targets: all
      .filter((t) => t.kind !== 'user' || kept.has(t.id))
      .filter((t) => t.kind !== 'session' || kept.has(t.of ?? '')),
    omittedUsers: users.slice(MAX_USER_TARGETS),
  };
}

/** What a charter says about a target (no display data: names can change, ids cannot). */
export interface CharterTarget {
  kind: TargetKind;
  id: string;
  of?: string | undefined;
  networkId?: string | undefined;
  organizationId?: string | undefined;
}

export interface Charter {
  v: 1;
  incidentId: string;
  detectionId: string;
  targets: CharterTarget[];
  automaticAction?: string | undefined;
}

/** The charter of an incident: what its actions may aim at. Deterministic in the finding and policy. */
export function charterOf(
  finding: Pick<IncidentFinding, 'incidentId' | 'detectionId' | 'entities'>,
  policy: Pick<IncidentPolicy, 'automaticAction'>,
): Charter {
  const targets = targetsOf(finding)
    .map((t): CharterTarget => {
      const out: CharterTarget = { kind: t.kind, id: t.id };
      if (t.of !== undefined) out.of = t.of;
      if (t.network?.networkId !== undefined) out.networkId = t.network.networkId;
      if (t.network?.organizationId !== undefined) out.organizationId = t.network.organizationId;
      return out;
    })
    .sort((a, b) => (targetKey(a.kind, a.id) < targetKey(b.kind, b.id) ? -1 : 1));
  return {
    v: 1,
    incidentId: finding.incidentId,
    detectionId: finding.detectionId,
    targets,
    ...(policy.automaticAction === undefined ? {} : { automaticAction: policy.automaticAction }),
  };
}

/** The charter's entry for an action's target, if the charter allows that action on it. */
export function charterTarget(charter: Charter, kind: ActionKind, id: string): CharterTarget | undefined {
  const targetKind = targetKindOf(kind);
  if (targetKind === undefined) return undefined;
  return charter.targets.find((t) => t.kind === targetKind && t.id === id);
}

/** Session targets are valid only for a user id shape; exported for the checks that need it. */
export function isSessionId(value: string): boolean {
  return SLACK_SESSION_ID.test(value);
}
