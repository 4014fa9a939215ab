/**
 * Slack emulator: Audit Logs API (`/audit/v1/`), Web API (`/api/<method>`), SCIM v1 (`/scim/v1/Users`),
 * `response_url`s (`/response_url/<id>`) and the channel page (`/`, `/channels/<id>`), over plain HTTP
 * on 127.0.0.1. Point `@slack/web-api` at `<url>/api/`, the audit collector at `<url>/audit/v1/`, SCIM
 * at `<url>/scim/v1/`, and set the app's Request URL + signing secret with `interactivity` (or later
 * with `setInteractivity`) so the page's buttons reach the app.
 *
 * Fault kinds beyond the generic ones: `ratelimited` (429 + Retry-After on /api and /audit),
 * `tokenExpiry` (Web API `token_expired` or `params.error`; audit 401 empty body; SCIM 401) and
 * `invalidRecords` (audit pages carry schema-breaking entries; `params.variants` picks
 * missingId | wrongTypes | hugeField | missingEntity | nullDate).
 */
import { FaultInjector } from '../common/faults';
import { Router, startEmulatorServer, type RecordedRequest } from '../common/server';
import { AuditBudget, registerAuditRoutes } from './audit';
import { deliverBlockAction, registerResponseUrlRoutes, type ClickInput } from './interactivity';
import {
  resolveOptions,
  type InteractivityOptions,
  type ResolvedOptions,
  type SlackContext,
  type SlackEmulatorOptions,
} from './options';
import { registerPageRoutes } from './page';
import { registerScimRoutes } from './scim';
import { SlackState, type InteractionDelivery, type SlackUser } from './state';
import { registerWebApiRoutes } from './web-api';

export { slackSignature } from './interactivity';
export type { ClickInput } from './interactivity';
export type * from './options';
export * from './state';

export interface SlackEmulator {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** `<url>/api/` — pass as WebClient's `slackApiUrl`. */
  apiUrl: string;
  /** `<url>/audit/v1/` */
  auditUrl: string;
  /** `<url>/scim/v1/` */
  scimUrl: string;
  tokens: { audit: string; bot: string; scim: string };
  state: SlackState;
  faults: FaultInjector;
  requests: RecordedRequest[];
  options: ResolvedOptions;
  /** Sets (or changes) where button clicks are delivered, e.g. once the app is listening. */
  setInteractivity(config: InteractivityOptions): void;
  /** Clicks a button as a user, as the channel page does; resolves with the app's answer. */
  click(input: ClickInput): Promise<InteractionDelivery>;
  /** Forgets the audit budget's recent calls. */
  resetAuditBudget(): void;
  close(): Promise<void>;
}

function ensureIdentities(state: SlackState): void {
  const org = state.org;
  const base = (id: string, name: string, extra: Partial<SlackUser>): SlackUser => ({
    id,
    team_id: org.teamId,
    name,
    real_name: name,
    deleted: false,
    profile: { real_name: name, display_name: name },
    ...extra,
  });
  if (state.getUser(org.ownerUserId) === undefined) {
    state.addUsers(
      base(org.ownerUserId, 'org-owner', {
        is_admin: true,
        is_owner: true,
        is_primary_owner: true,
        profile: { real_name: 'Org Owner', display_name: 'org-owner', email: 'owner@sentry-test.example' },
        enterprise_user: {
          id: org.ownerUserId,
          enterprise_id: org.enterpriseId,
          enterprise_name: org.enterpriseName,
          is_admin: true,
          is_owner: true,
          is_primary_owner: true,
          teams: [org.teamId],
        },
      }),
    );
  }
  if (state.getUser(org.botUserId) === undefined) {
    state.addUsers(
      base(org.botUserId, org.botName, {
        is_bot: true,
        is_app_user: false,
        profile: { real_name: org.botName, display_name: org.botName, bot_id: org.botId },
      }),
    );
  }
}

export async function startSlackEmulator(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
  const now = options.now ?? Date.now;
  const state = new SlackState(options.org ?? {}, now);
  if (options.seed !== undefined) state.restore(options.seed);
  ensureIdentities(state);
  const resolved = resolveOptions(options, state.org);
  const faults = options.faults ?? new FaultInjector();
  let publicUrl = options.publicUrl ?? '';
  const ctx: SlackContext = { state, options: resolved, faults, now, publicUrl: () => publicUrl };
  const budget = new AuditBudget(resolved.audit.ratePerWindow, resolved.audit.windowMs, now);

  const router = new Router();
  registerAuditRoutes(router, ctx, budget);
  registerWebApiRoutes(router, ctx);
  registerScimRoutes(router, ctx);
  registerResponseUrlRoutes(router, ctx);
  registerPageRoutes(router, ctx);

  const server = await startEmulatorServer({
    name: 'slack',
    router,
    faults,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.host === undefined ? {} : { host: options.host }),
  });
  if (publicUrl === '') publicUrl = server.url;
  return {
    url: server.url,
    port: server.port,
    apiUrl: `${server.url}/api/`,
    auditUrl: `${server.url}/audit/v1/`,
    scimUrl: `${server.url}/scim/v1/`,
    tokens: resolved.tokens,
    state,
    faults,
    requests: server.requests,
    options: resolved,
    setInteractivity(config) {
      Object.assign(resolved.interactivity, config);
      state.touch();
    },
    click: (input) => deliverBlockAction(ctx, input),
    resetAuditBudget: () => {
      budget.reset();
    },
    close: () => server.close(),
  };
}
