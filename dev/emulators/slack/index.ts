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
import { SlackState, type InteractionDelivery } from './state';
import { registerWebApiRoutes } from './web-api';

export { slackSignature } from './interactivity';
export { loadSnapshot, persistState } from './persist';
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

export async function startSlackEmulator(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
  const now = options.now ?? Date.now;
  const state = new SlackState(options.org ?? {}, now);
  if (options.seed !== undefined) state.restore(options.seed);
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
