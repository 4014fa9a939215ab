/**
 * The `files.info` lookup detections need to place a downloaded file in its channels (audit
 * entries do not carry the channel: docs/reference/slack-api.md, "File entries carry no channel").
 * Bot token, scope `files:read`. Answers are cached per process (a file's channels rarely change
 * within an hour); `undefined` means unknown (the detection says so instead of guessing), `[]`
 * means Slack knows the file and it is in none.
 */
import type { Config } from '../config';
import type { FileChannelsResolver } from '../evaluation/row-observer';
import { callSlack, type SlackApi, slackErrorOf, slackWebClient } from '../slack/web-client';

const TTL_MS = 3_600_000;
const MAX_ENTRIES = 20_000;

interface Cached {
  at: number;
  channels: readonly string[] | undefined;
}

const cache = new Map<string, Cached>();

function channelsOf(file: unknown): string[] {
  if (typeof file !== 'object' || file === null) return [];
  const f = file as Record<string, unknown>;
  const ids = new Set<string>();
  for (const key of ['channels', 'groups', 'ims']) {
    const list = f[key];
    if (Array.isArray(list)) for (const id of list) if (typeof id === 'string') ids.add(id);
  }
  const shares = f.shares;
  if (typeof shares === 'object' && shares !== null) {
    for (const scope of Object.values(shares as Record<string, unknown>)) {
      if (typeof scope === 'object' && scope !== null) for (const id of Object.keys(scope)) ids.add(id);
    }
  }
  return [...ids].sort();
}

/** A resolver over `api` (the bot WebClient), or undefined when no bot token is configured. */
export function fileChannelsResolver(
  config: Config,
  api?: SlackApi,
  now: () => number = Date.now,
): FileChannelsResolver | undefined {
  if (api === undefined && config.slack.botToken === undefined) return undefined;
  const client = api ?? (slackWebClient(config, 'bot') as unknown as SlackApi);
  return async (fileId) => {
    const hit = cache.get(fileId);
    if (hit !== undefined && now() - hit.at < TTL_MS) return hit.channels;
    let channels: readonly string[] | undefined;
    try {
      const answer = await callSlack(client, 'files.info', { file: fileId });
      channels = channelsOf(answer.file);
    } catch (error) {
      // A deleted file is in no channel; anything else (scope, rate limit, outage) is unknown.
      channels = slackErrorOf(error) === 'file_not_found' || slackErrorOf(error) === 'file_deleted' ? [] : undefined;
    }
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value ?? '');
    if (channels !== undefined) cache.set(fileId, { at: now(), channels });
    return channels;
  };
}

/** Test seam. */
export function clearFileChannelsCache(): void {
  cache.clear();
}
