/**
 * Detections as code. A detection is one typed definition: stable dotted id, metadata for the
 * responder (title, description, severity, MITRE ATT&CK), a zod schema of its configuration with
 * defaults (every detection has `enabled` and an optional `severity` override), a pure per-row
 * `match` that turns a normalized row into observations, and a threshold step over windowed state.
 *
 * An observation says "in the window of `dedupeKey`, item `item` happened at `t`". Items are event
 * ids for counting rules and values (an IP, a user id) for distinct-count rules, so applying the same
 * rows twice adds nothing: windows are sets. The window's key is also the finding's dedupe key.
 */
import { z } from 'zod';

import { SEVERITIES, type Severity } from '../domain/severity';

import type { JsonValue } from '../transforms/columns';
import type {
  MerakiDeviceRow,
  MerakiEventRow,
  MerakiSecurityRow,
  MerakiUplinkRow,
  SlackAuditRow,
} from '../transforms/streams';
import {
  type EntityDeclaration,
  type EntityRole,
  merakiParties,
  merakiSecurityParties,
  type Party,
  slackAuditParties,
  type Stance,
  STANCES,
} from './entities';
import { countCrossing, distinctCrossing } from './window-math';
import type { Crossing, Subject, SubjectWindow } from './window-types';

export type {
  Crossing,
  ItemState,
  OverflowState,
  PartyState,
  Subject,
  SubjectType,
  SubjectWindow,
} from './window-types';

export { SEVERITIES, type Severity };

/** Streams detections read (findings, quarantine and responses are never matched). */
export type DetectionStream = 'slackAudit' | 'merakiUplink' | 'merakiDevice' | 'merakiEvent' | 'merakiSecurity';

export type MatchInput =
  | { stream: 'slackAudit'; row: SlackAuditRow }
  | { stream: 'merakiUplink'; row: MerakiUplinkRow }
  | { stream: 'merakiDevice'; row: MerakiDeviceRow }
  | { stream: 'merakiEvent'; row: MerakiEventRow }
  | { stream: 'merakiSecurity'; row: MerakiSecurityRow };

export interface Observation {
  /** The window (and the finding dedupe key) this observation belongs to. Stable across runs. */
  dedupeKey: string;
  subject: Subject;
  /** What is counted: an event id (count rules) or a value (distinct rules). */
  item: string;
  /** Event time, Unix seconds. */
  t: number;
  /** Short evidence for this item (a file name, an action, a reason), shown to the responder. */
  label?: string;
  /** Small facts about the subject's latest context (email, IP, user agent…); the newest wins. */
  facts?: Readonly<Record<string, string>>;
  /**
   * Who took part in this item (see entities.ts). Omitted: the parties of the matched row (its actor,
   * the user it acted on, its source IP; a Meraki row's device and client). Roles the detection does
   * not declare are dropped.
   */
  parties?: readonly Party[];
}

/**
 * Audit entries do not say which channel a file was shared in; a match that needs it asks for the
 * file's channels and finishes once they are known (the observer resolves them through an injected
 * `files.info` lookup, never the Slack client itself). `undefined` channels mean "unknown".
 */
export interface FileChannelsRequest {
  needs: 'fileChannels';
  fileId: string;
  then(channels: readonly string[] | undefined): Observation | null;
}

export type MatchOutput = Observation | FileChannelsRequest;

/**
 * An address the organization egresses from: an appliance uplink's public IP (`uplink`, from the
 * Meraki data), an address many users use day after day (`shared`, an office NAT or VPN), or a new
 * address the same people moved to together (`moved`, an office after a failover or an ISP change).
 */
export interface EgressFact {
  ip: string;
  kind: 'uplink' | 'shared' | 'moved';
  /** The users seen behind it recently (at most `EGRESS_USERS`); empty for an uplink nobody used yet. */
  users: readonly string[];
  /** Unix seconds. */
  lastSeen: number;
}

/** Users an egress fact remembers (enough to recognize an office's population). */
export const EGRESS_USERS = 500;

/** What a detection may know beyond its own window; built once per evaluation (evaluate-state.ts). */
export interface DetectionContext {
  /** How an address is known to the organization, or undefined for an ordinary one. */
  egress(ip: string): EgressFact | undefined;
  /** Every egress fact (to compare a new address's users with known populations). */
  egressFacts(): readonly EgressFact[];
  /**
   * Whether a finding of one of `detections` about `subjectId` covers any time in [from, to]: the
   * activity is already another finding's (a password spray's source address), so it is folded there.
   */
  explained(detections: readonly string[], subjectId: string, from: number, to: number): boolean;
  /** Teaches an egress fact found while judging (known to the rest of the evaluation, and kept). */
  teach(fact: EgressFact): void;
}

/** A context that knows nothing and forgets what it is taught (a detection judged alone). */
export const EMPTY_CONTEXT: DetectionContext = {
  egress: () => undefined,
  egressFacts: () => [],
  explained: () => false,
  teach: () => undefined,
};

export interface EvaluateEnv {
  /** Evaluation time, Unix seconds. */
  now: number;
  /** Time of the newest event already reported for this dedupe key (undefined: none). */
  since: number | undefined;
  /**
   * Since when this detection has seen its streams' data (Unix seconds; undefined: no data yet): how
   * far back any baseline can reach. A backfill moves it back.
   */
  observingSince: number | undefined;
  context: DetectionContext;
}

/** Something a rule learned from a window while judging it, kept for every later evaluation. */
export interface Learned {
  egress: EgressFact;
}

export interface Presentation {
  title: string;
  severity: Severity;
  /** One sentence a responder reads first: why this fired (what was seen against what threshold). */
  why: string;
  evidence: Record<string, JsonValue>;
}

export type WindowRule<C> =
  | {
      kind: 'count' | 'distinct';
      /** Fires when the window's metric is greater than this (0: any single match). */
      threshold: (config: C) => number;
      windowSeconds: (config: C) => number;
    }
  | {
      kind: 'custom';
      windowSeconds: (config: C) => number;
      /** How long buckets are kept (default: the window). */
      retentionSeconds?: (config: C) => number;
      /** Bucket length, for rules that keep one item per polled snapshot (default by window). */
      bucketSeconds?: number;
      evaluate: (window: SubjectWindow, config: C, env: EvaluateEnv) => Crossing | null;
      /**
       * What the window teaches every later evaluation (an address that turned out to be shared).
       * Called for every window of the detection before any is judged, so a judgment sees what the
       * others taught.
       */
      learn?: (window: SubjectWindow, config: C, env: EvaluateEnv) => readonly Learned[];
    };

const BaseShape = {
  enabled: z.boolean().default(true),
  severity: z.enum(SEVERITIES).optional(),
};

type BaseConfig = z.infer<z.ZodObject<typeof BaseShape>>;
export type DetectionConfig<Shape extends z.ZodRawShape> = BaseConfig & z.infer<z.ZodObject<Shape>>;

export interface DetectionSpec<Shape extends z.ZodRawShape> {
  /** Stable, dotted, lowercase: `slack.audit.<kebab-name>` or `meraki.<area>.<kebab-name>`. */
  id: string;
  title: string;
  description: string;
  severity: Severity;
  /** `TA…:T…` pairs; empty for operational rules ATT&CK has no technique for. */
  mitre: readonly string[];
  streams: readonly DetectionStream[];
  /** For slackAudit: the actions `match` can accept (lets the observer skip the rest cheaply). Omit to see every row. */
  actions?: readonly string[];
  /**
   * The roles its findings are about and how each is treated (entities.ts): only a `suspect` role
   * can be the target of a response action. Required, so every rule says whom it accuses.
   */
  entities: EntityDeclaration;
  /**
   * Detections whose findings may explain this one's items (a spray's source address explains the
   * victims' logins from it); they are judged first, and `context.explained` asks them.
   */
  foldsInto?: readonly string[];
  /**
   * Days of history the rule needs before it judges with its learned baseline (it may judge with
   * cautious defaults meanwhile); ops status says which rules are still learning.
   */
  learningDays?: (config: DetectionConfig<Shape>) => number;
  /**
   * What the configuration lacks for the rule to do anything (a sentence naming the fields), or
   * undefined when it works; ops status and the docs list rules that need configuration.
   */
  needs?: (config: DetectionConfig<Shape>) => string | undefined;
  /**
   * What the rule assumes about a vendor's wire format that no documentation confirms, and how an
   * operator checks it; ops status and the catalogue (docs/detections.md) show it.
   */
  assumes?: string;
  config: Shape;
  match(input: MatchInput, config: DetectionConfig<Shape>): MatchOutput | readonly MatchOutput[] | null;
  window: WindowRule<DetectionConfig<Shape>>;
  /** Title, severity and evidence for a crossing; defaults to the detection's own. */
  present?(crossing: Crossing, window: SubjectWindow, config: DetectionConfig<Shape>): Partial<Presentation>;
}

/** A detection with its configuration applied: what the observer and the evaluator run. */
export interface ConfiguredDetection {
  readonly detection: Detection;
  readonly config: Readonly<Record<string, unknown>>;
  readonly enabled: boolean;
  readonly severity: Severity;
  readonly windowSeconds: number;
  readonly bucketSeconds: number;
  /** How long after its end a bucket is kept. */
  readonly retentionSeconds: number;
  /** Days of history before the rule judges with its learned baseline (0: it learns nothing). */
  readonly learningDays: number;
  /** What the configuration lacks for the rule to do anything, or undefined. */
  readonly needs: string | undefined;
  readonly learns: boolean;
  match(input: MatchInput): readonly MatchOutput[];
  evaluate(window: SubjectWindow, env: EvaluateEnv): Crossing | null;
  learn(window: SubjectWindow, env: EvaluateEnv): readonly Learned[];
  present(crossing: Crossing, window: SubjectWindow): Presentation;
}

export interface Detection {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly severity: Severity;
  readonly mitre: readonly string[];
  readonly streams: readonly DetectionStream[];
  readonly actions: readonly string[] | undefined;
  readonly entities: EntityDeclaration;
  readonly foldsInto: readonly string[];
  /** An unconfirmed wire-format assumption and how to check it (see `DetectionSpec.assumes`). */
  readonly assumes: string | undefined;
  readonly kind: WindowRule<unknown>['kind'];
  /** Strict: an unknown field is an error, so a typo never silently keeps a default. */
  readonly configSchema: z.ZodObject;
  /** The configuration with no overrides. */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** Validates overrides (throws a ZodError) and binds them. */
  configure(overrides?: unknown): ConfiguredDetection;
}

const ID_PATTERN = /^(slack\.audit|meraki\.[a-z]+)\.[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MITRE_PATTERN = /^TA\d{4}:T\d{4}(?:\.\d{3})?$/;

/**
 * Bucket length: an hour for windows under a day, a day beyond. Count rules keep exact item times,
 * so the bucket only trades entity count against per-bucket capacity; distinct rules keep each
 * value's first/last time per bucket, so their buckets never exceed the window.
 */
export function bucketSecondsFor(kind: WindowRule<unknown>['kind'], windowSeconds: number): number {
  if (windowSeconds >= 86_400) return 86_400;
  if (kind === 'distinct') {
    for (const size of [3_600, 1_800, 900, 600, 300]) if (size <= windowSeconds) return size;
    return 300;
  }
  return 3_600;
}

export function defineDetection<Shape extends z.ZodRawShape>(spec: DetectionSpec<Shape>): Detection {
  if (!ID_PATTERN.test(spec.id))
    throw new Error(`detection id ${spec.id} is not slack.audit.<kebab> or meraki.<area>.<kebab>`);
  for (const technique of spec.mitre) {
    if (!MITRE_PATTERN.test(technique))
      throw new Error(`detection ${spec.id}: MITRE entry ${technique} is not TA####:T####[.###]`);
  }
  for (const [role, stance] of Object.entries(spec.entities)) {
    if (!(STANCES as readonly string[]).includes(stance))
      throw new Error(`detection ${spec.id}: role ${role} has stance ${stance}, not one of ${STANCES.join('|')}`);
  }
  const declared = new Set(Object.keys(spec.entities) as EntityRole[]);
  const schema = z.strictObject({ ...BaseShape, ...spec.config });
  const parse = (overrides: unknown): DetectionConfig<Shape> => schema.parse(overrides ?? {}) as DetectionConfig<Shape>;
  const defaults = Object.freeze(parse({}));
  const actionSet = spec.actions === undefined ? undefined : new Set(spec.actions);

  const detection: Detection = {
    id: spec.id,
    title: spec.title,
    description: spec.description,
    severity: spec.severity,
    mitre: spec.mitre,
    streams: spec.streams,
    actions: spec.actions,
    entities: Object.freeze({ ...spec.entities }),
    foldsInto: spec.foldsInto ?? [],
    assumes: spec.assumes,
    kind: spec.window.kind,
    configSchema: schema,
    defaults,
    configure(overrides?: unknown): ConfiguredDetection {
      const config = parse(overrides);
      Object.freeze(config);
      const rule = spec.window;
      const windowSeconds = rule.windowSeconds(config);
      const bucketSeconds =
        (rule.kind === 'custom' ? rule.bucketSeconds : undefined) ?? bucketSecondsFor(rule.kind, windowSeconds);
      const retentionSeconds =
        Math.max(windowSeconds, rule.kind === 'custom' && rule.retentionSeconds ? rule.retentionSeconds(config) : 0) +
        bucketSeconds;
      const severity = config.severity ?? spec.severity;
      return {
        detection,
        config,
        enabled: config.enabled,
        severity,
        windowSeconds,
        bucketSeconds,
        retentionSeconds,
        learningDays: spec.learningDays?.(config) ?? 0,
        needs: spec.needs?.(config),
        learns: rule.kind === 'custom' && rule.learn !== undefined,
        match(input: MatchInput): readonly MatchOutput[] {
          if (!spec.streams.includes(input.stream)) return [];
          if (actionSet !== undefined && input.stream === 'slackAudit' && !actionSet.has(input.row.Action)) return [];
          const out = spec.match(input, config);
          if (out === null) return [];
          const list = isList(out) ? out : [out];
          let rowParties: Party[] | undefined;
          return list.map((o) => {
            if ('needs' in o) return o;
            const parties = (o.parties ?? (rowParties ??= partiesOf(input))).filter((p) => declared.has(p.role));
            return { ...o, parties };
          });
        },
        learn(window: SubjectWindow, env: EvaluateEnv): readonly Learned[] {
          return rule.kind === 'custom' && rule.learn !== undefined ? rule.learn(window, config, env) : [];
        },
        evaluate(window: SubjectWindow, env: EvaluateEnv): Crossing | null {
          if (rule.kind === 'custom') return rule.evaluate(window, config, env);
          const threshold = rule.threshold(config);
          return rule.kind === 'count'
            ? countCrossing(window, windowSeconds, threshold, env.since)
            : distinctCrossing(window, windowSeconds, threshold, env.since);
        },
        present(crossing: Crossing, window: SubjectWindow): Presentation {
          const custom = spec.present?.(crossing, window, config) ?? {};
          const name = window.subject.name ?? window.subject.id;
          return {
            title: custom.title ?? `${spec.title}: ${name}`,
            // An explicit severity in the configuration wins over the detection's dynamic one.
            severity: config.severity ?? custom.severity ?? spec.severity,
            why: custom.why ?? defaultWhy(rule, config, crossing, windowSeconds),
            evidence: { ...defaultEvidence(crossing, window), ...custom.evidence },
          };
        },
      };
    },
  };
  return Object.freeze(detection);
}

function isList(value: MatchOutput | readonly MatchOutput[]): value is readonly MatchOutput[] {
  return Array.isArray(value);
}

function partiesOf(input: MatchInput): Party[] {
  if (input.stream === 'slackAudit') return slackAuditParties(input.row);
  if (input.stream === 'merakiSecurity') return merakiSecurityParties(input.row);
  return merakiParties(input.row);
}

/** A window length in words: `5 min`, `24 h`, `7 days`. */
export function spanText(seconds: number): string {
  if (seconds % 86_400 === 0 && seconds >= 2 * 86_400) return `${seconds / 86_400} days`;
  if (seconds % 3_600 === 0 && seconds >= 3_600) return `${seconds / 3_600} h`;
  return `${Math.round(seconds / 60)} min`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The default "why": what the rule counts against its threshold, from its kind. */
function defaultWhy<C>(rule: WindowRule<C>, config: C, crossing: Crossing, windowSeconds: number): string {
  if (rule.kind === 'custom') return `${plural(crossing.count, 'matching event')} met the rule's condition.`;
  const threshold = rule.threshold(config);
  if (threshold === 0) return 'Any single matching event raises this finding; repeats within the window are merged.';
  const what = rule.kind === 'count' ? 'events' : 'distinct values';
  return `${crossing.count} ${what} within ${spanText(windowSeconds)}, above the threshold of ${threshold}.`;
}

/** Whether a stance allows response actions on its role. */
export function actionable(stance: Stance | undefined): boolean {
  return stance === 'suspect';
}

const EVIDENCE_ITEMS = 20;

/** What every finding shows: who/what, the latest context, and a sample of what was counted. */
export function defaultEvidence(crossing: Crossing, window: SubjectWindow): Record<string, JsonValue> {
  const sample = crossing.items.slice(-EVIDENCE_ITEMS).map((i) => {
    const entry: Record<string, JsonValue> = { item: i.item, at: new Date(i.t * 1000).toISOString() };
    if (i.label !== undefined) entry.label = i.label;
    return entry;
  });
  return {
    subject: {
      type: window.subject.type,
      id: window.subject.id,
      ...(window.subject.name ? { name: window.subject.name } : {}),
    },
    ...(Object.keys(window.facts).length > 0 ? { latest: { ...window.facts } } : {}),
    count: crossing.count,
    sample,
  };
}

/** Reusable config fields. */
export const fields = {
  threshold: (fallback: number) => z.number().int().min(0).max(10_000).default(fallback),
  minutes: (fallback: number) =>
    z
      .number()
      .int()
      .min(1)
      .max(90 * 24 * 60)
      .default(fallback),
  days: (fallback: number) => z.number().int().min(1).max(90).default(fallback),
  flag: (fallback: boolean) => z.boolean().default(fallback),
  list: (fallback: readonly string[] = []) =>
    z
      .array(z.string().min(1).max(1024))
      .max(10_000)
      .default([...fallback]),
};
