/** Scopes of an app as the audit entry shows them (entity.app.scopes, details.bot_scopes/new_scopes). */
import type { SlackAuditRow } from '../../transforms/streams';
import { detailsOf, entityAttributes, stringList } from './common';

/** Scopes that read everything or administer the org; prefixes match (`admin` covers `admin.users:write`). */
export const RISKY_SCOPES = [
  'admin',
  'auditlogs:read',
  'channels:history',
  'groups:history',
  'im:history',
  'mpim:history',
  'search:read',
  'files:write',
  'users:read.email',
] as const;

export function appScopes(row: SlackAuditRow): string[] {
  const details = detailsOf(row);
  return [
    ...new Set([
      ...stringList(entityAttributes(row).scopes),
      ...stringList(entityAttributes(row).bot_scopes),
      ...stringList(details.bot_scopes),
      ...stringList(details.new_scopes),
      ...stringList(details.scopes),
    ]),
  ];
}

/** Scopes added by a scopes change: new minus previous (all of them when previous is unknown). */
export function addedScopes(row: SlackAuditRow): string[] {
  const details = detailsOf(row);
  const previous = new Set(stringList(details.previous_scopes));
  const next = stringList(details.new_scopes);
  return next.filter((s) => !previous.has(s));
}

export function riskyOf(scopes: readonly string[], risky: readonly string[]): string[] {
  return scopes.filter((s) =>
    risky.some(
      (r) => s === r || s.startsWith(`${r}.`) || s.startsWith(`${r}:`) || (r === 'admin' && s.startsWith('admin')),
    ),
  );
}
