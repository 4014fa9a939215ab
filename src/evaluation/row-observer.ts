/**
 * The per-row half of detection: collector activities feed every valid row to `observe` (cheap,
 * synchronous, in memory); `flush` resolves what needs a lookup (a file's channels), then merges
 * the observations into the windows table. Replaying the same rows and flushing again changes
 * nothing, because windows are sets of event ids / values.
 */
import type { Config } from '../config';
import { type CoverageStore, TableCoverageStore } from '../state/coverage';
import { type EgressStore, TableEgressStore } from '../state/egress';
import { addItem, addParty, type BucketData, type PartyDetails, type WindowStore } from '../detections/buckets';
import { TableWindowStore } from '../state/windows';
import type { RowsByStream, StreamKey } from '../transforms/streams';
import { configuredDetections } from '../detections/config';
import type {
  ConfiguredDetection,
  DetectionStream,
  FileChannelsRequest,
  MatchInput,
  Observation,
} from '../detections/define';
import { type Party, partyKey } from '../detections/entities';
import type { ObserverContext, RowObserver } from '../detections/observer';

/** Resolves a file's channel ids (`files.info` behind a cache); `undefined` when it cannot be known. */
export type FileChannelsResolver = (fileId: string) => Promise<readonly string[] | undefined>;

export interface ObserverDeps {
  windows?: WindowStore;
  /**
   * Where the appliances' public uplink addresses seen in Meraki rows are kept as known egress
   * (default: Table Storage when `windows` is the default too; none otherwise).
   */
  egress?: EgressStore;
  /**
   * Where how far back each stream's data reaches is kept (default: Table Storage when `windows` is
   * the default too; none otherwise).
   */
  coverage?: CoverageStore;
  /** Configured detections (default: the registry configured by `config.detectionsConfig`). */
  detections?: readonly ConfiguredDetection[];
  /** Needed only when a detection is configured with sensitive channels. */
  resolveFileChannels?: FileChannelsResolver;
  /** Epoch ms (default Date.now). */
  now?: () => number;
}

/** A bucket written late (a backfill) stays at least this long, so an evaluation sees it. */
export const MIN_RETENTION_SECONDS = 6 * 3600;

/** An uplink address already saved to a store by this process is saved again only after this long. */
export const EGRESS_RESAVE_SECONDS = 3_600;
const savedTo = new WeakMap<EgressStore, Map<string, number>>();
/** Per coverage store, the oldest time per stream this process already saved (older ones are saved again). */
const coverageSaved = new WeakMap<CoverageStore, Map<DetectionStream, number>>();
const RESOLVE_CONCURRENCY = 4;

const DETECTION_STREAMS = new Set<StreamKey>([
  'slackAudit',
  'merakiUplink',
  'merakiDevice',
  'merakiEvent',
  'merakiSecurity',
]);

interface Index {
  byStream: Map<DetectionStream, ConfiguredDetection[]>;
  /** slackAudit detections by action, plus those that see every action. */
  byAction: Map<string, ConfiguredDetection[]>;
  anyAction: ConfiguredDetection[];
}

function buildIndex(detections: readonly ConfiguredDetection[]): Index {
  const byStream = new Map<DetectionStream, ConfiguredDetection[]>();
  const byAction = new Map<string, ConfiguredDetection[]>();
  const anyAction: ConfiguredDetection[] = [];
  for (const d of detections) {
    if (!d.enabled) continue;
    for (const stream of d.detection.streams) {
      if (stream === 'slackAudit') {
        if (d.detection.actions === undefined) anyAction.push(d);
        else for (const action of d.detection.actions) byAction.set(action, [...(byAction.get(action) ?? []), d]);
      } else byStream.set(stream, [...(byStream.get(stream) ?? []), d]);
    }
  }
  return { byStream, byAction, anyAction };
}

/** How a party is kept in a bucket (windows.ts `PartyDetails`). */
export function details(p: Party): PartyDetails {
  const out: PartyDetails = {};
  if (p.name !== undefined) out.n = p.name;
  if (p.email !== undefined) out.e = p.email;
  if (p.sessionId !== undefined) out.s = [p.sessionId];
  if (p.network?.organizationId !== undefined) out.o = p.network.organizationId;
  if (p.network?.networkId !== undefined) out.w = p.network.networkId;
  if (p.network?.networkName !== undefined) out.wn = p.network.networkName;
  return out;
}

/** The observer a collector activity feeds (see `RowObserver`). */
export function createRowObserver(config: Config, ctx: ObserverContext, deps: ObserverDeps = {}): RowObserver {
  const detections = deps.detections ?? configuredDetections(config.detectionsConfig);
  const index = buildIndex(detections);
  let windows = deps.windows;
  const clock = deps.now ?? Date.now;
  const pending = new Map<string, BucketData>();
  const egress = deps.egress ?? (deps.windows === undefined ? new TableEgressStore(config) : undefined);
  const coverage = deps.coverage ?? (deps.windows === undefined ? new TableCoverageStore(config) : undefined);
  /** Per stream, the oldest event time seen in this run (Unix seconds). */
  let oldestSlack = Infinity;
  const oldestMeraki = new Map<DetectionStream, number>();
  /** Uplink public addresses seen in this run → newest time (Unix seconds). */
  const uplinkIps = new Map<string, number>();
  let requests: { detection: ConfiguredDetection; request: FileChannelsRequest }[] = [];
  const channelCache = new Map<string, readonly string[] | undefined>();

  const add = (detection: ConfiguredDetection, o: Observation): void => {
    if (!Number.isFinite(o.t) || o.dedupeKey === '' || o.item === '') return;
    const size = detection.bucketSeconds;
    const bucket = Math.floor(o.t / size) * size;
    const key = `${detection.detection.id}\u0000${o.dedupeKey}\u0000${bucket}`;
    let data = pending.get(key);
    if (data === undefined) {
      data = {
        detectionId: detection.detection.id,
        dedupeKey: o.dedupeKey,
        subject: { ...o.subject },
        bucket,
        bucketSeconds: size,
        expiresAt: bucket + size + detection.retentionSeconds,
        items: {},
      };
      pending.set(key, data);
    }
    addItem(data, o.item, o.t, o.t, o.label);
    if (o.parties !== undefined)
      for (const p of o.parties) addParty(data, partyKey(p.role, p.id), o.t, o.t, details(p));
    if (o.subject.name !== undefined) data.subject = { ...o.subject };
    if (o.facts !== undefined && (data.facts === undefined || o.t >= data.facts.t)) {
      data.facts = { t: o.t, values: { ...o.facts, org: ctx.org } };
    }
  };

  const run = (detection: ConfiguredDetection, input: MatchInput): void => {
    for (const out of detection.match(input)) {
      if ('needs' in out) requests.push({ detection, request: out });
      else add(detection, out);
    }
  };

  const saveCoverage = async (store: CoverageStore): Promise<void> => {
    const seen: [DetectionStream, number][] = [];
    if (Number.isFinite(oldestSlack)) seen.push(['slackAudit', oldestSlack]);
    for (const [stream, t] of oldestMeraki) seen.push([stream, t]);
    oldestSlack = Infinity;
    oldestMeraki.clear();
    let saved = coverageSaved.get(store);
    if (saved === undefined) {
      saved = new Map();
      coverageSaved.set(store, saved);
    }
    for (const [stream, t] of seen) {
      if (t >= (saved.get(stream) ?? Infinity)) continue;
      await store.extend(stream, t);
      saved.set(stream, t);
    }
  };

  return {
    observe<K extends StreamKey>(stream: K, row: RowsByStream[K]): void {
      if (!DETECTION_STREAMS.has(stream)) return;
      const input = { stream, row } as MatchInput;
      if (input.stream === 'slackAudit') {
        if (input.row.DateCreate < oldestSlack) oldestSlack = input.row.DateCreate;
        for (const d of index.anyAction) run(d, input);
        const byAction = index.byAction.get(input.row.Action);
        if (byAction !== undefined) for (const d of byAction) run(d, input);
        return;
      }
      const rowT = Math.floor(Date.parse(input.row.TimeGenerated) / 1000);
      if (rowT < (oldestMeraki.get(input.stream) ?? Infinity)) oldestMeraki.set(input.stream, rowT);
      if (input.stream === 'merakiUplink' || input.stream === 'merakiDevice') {
        const ip = input.row.PublicIp;
        if (ip !== undefined && ip !== '' && rowT > (uplinkIps.get(ip) ?? -Infinity)) uplinkIps.set(ip, rowT);
      }
      const list = index.byStream.get(input.stream);
      if (list !== undefined) for (const d of list) run(d, input);
    },

    async flush(): Promise<{ updates: number }> {
      if (requests.length > 0) {
        const resolver = deps.resolveFileChannels;
        const ids = [...new Set(requests.map((r) => r.request.fileId))].filter((id) => !channelCache.has(id));
        let next = 0;
        await Promise.all(
          Array.from({ length: Math.min(RESOLVE_CONCURRENCY, ids.length) }, async () => {
            for (let id = ids[next++]; id !== undefined; id = ids[next++]) {
              // No resolver configured: the channel is unknown (the alert says so), never guessed.
              channelCache.set(id, resolver === undefined ? undefined : await resolver(id));
            }
          }),
        );
        for (const { detection, request } of requests) {
          const o = request.then(channelCache.get(request.fileId));
          if (o !== null) add(detection, o);
        }
        requests = [];
      }
      if (egress !== undefined && uplinkIps.size > 0) {
        const nowSec = Math.floor(clock() / 1000);
        let egressSaved = savedTo.get(egress);
        if (egressSaved === undefined) {
          egressSaved = new Map();
          savedTo.set(egress, egressSaved);
        }
        const saved = egressSaved;
        const fresh = [...uplinkIps].filter(([ip]) => (saved.get(ip) ?? -Infinity) < nowSec - EGRESS_RESAVE_SECONDS);
        if (fresh.length > 0) {
          await egress.save(fresh.map(([ip, t]) => ({ ip, kind: 'uplink' as const, users: [], lastSeen: t })));
          for (const [ip] of fresh) saved.set(ip, nowSec);
        }
        uplinkIps.clear();
      }
      if (coverage !== undefined) await saveCoverage(coverage);
      if (pending.size === 0) return { updates: 0 };
      const floor = Math.floor(clock() / 1000) + MIN_RETENTION_SECONDS;
      const buckets = [...pending.values()].map((b) => ({ ...b, expiresAt: Math.max(b.expiresAt, floor) }));
      windows ??= new TableWindowStore(config);
      const result = await windows.apply(buckets);
      pending.clear();
      return result;
    },
  };
}
