/**
 * Meraki pagination (docs/reference/meraki-api.md, "Calls, paging and limits"): RFC 5988 `Link`
 * header with unquoted `rel=first|prev|next|last`, `perPage` bounded per operation, and opaque
 * `startingAfter`/`endingBefore` tokens that clients must follow verbatim. List endpoints page by a sort key (serial or id) with sentinel tokens for
 * first/last; the events log pages by time and its `next` link never runs out (it reaches "now").
 * The token is always the last query parameter: the Python SDK splits the URL on `startingAfter=`.
 */

export interface PerPageSpec {
  min: number;
  max: number;
  default: number;
}

/** Reads `perPage`; a string is the 400 error message. */
export function readPerPage(query: URLSearchParams, spec: PerPageSpec): number | string {
  const raw = query.get('perPage');
  if (raw === null || raw === '') return spec.default;
  const value = Number(raw);
  // [UNVERIFIED] exact wording of Meraki's perPage validation error.
  if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
    return `'perPage' must be an integer between ${spec.min} and ${spec.max}`;
  }
  return value;
}

export interface LinkTargets {
  first?: Record<string, string>;
  prev?: Record<string, string>;
  next?: Record<string, string>;
  last?: Record<string, string>;
}

/** Builds the `Link` header: each target is the request URL with the paging tokens replaced. */
export function linkHeader(
  requestUrl: URL,
  origin: string,
  targets: LinkTargets,
  quoteRel = false,
): string | undefined {
  const parts: string[] = [];
  for (const rel of ['first', 'prev', 'next', 'last'] as const) {
    const tokens = targets[rel];
    if (tokens === undefined) continue;
    const params = new URLSearchParams(requestUrl.search);
    params.delete('startingAfter');
    params.delete('endingBefore');
    for (const [name, value] of Object.entries(tokens)) params.append(name, value);
    parts.push(`<${origin}${requestUrl.pathname}?${params.toString()}>; rel=${quoteRel ? `"${rel}"` : rel}`);
  }
  return parts.length === 0 ? undefined : parts.join(', ');
}

export interface KeyPage<T> {
  items: T[];
  hasBefore: boolean;
  hasAfter: boolean;
}

/**
 * One page of `sorted` (ascending by `keyOf`, or descending when `descending`): after `startingAfter`,
 * or the last `perPage` before `endingBefore` when only that is given, or the first page. "After"
 * follows the order: a smaller key in a descending list.
 */
export function pageByKey<T>(
  sorted: readonly T[],
  keyOf: (item: T) => string,
  perPage: number,
  startingAfter: string | null,
  endingBefore: string | null,
  descending = false,
): KeyPage<T> {
  const beyond = (key: string, token: string) => (descending ? key < token : key > token);
  const lo = startingAfter === null ? 0 : firstIndex(sorted, (item) => beyond(keyOf(item), startingAfter));
  const hi =
    endingBefore === null
      ? sorted.length
      : firstIndex(sorted, (item) => keyOf(item) === endingBefore || beyond(keyOf(item), endingBefore));
  let start: number;
  let end: number;
  if (startingAfter === null && endingBefore !== null) {
    end = Math.max(lo, hi);
    start = Math.max(lo, end - perPage);
  } else {
    start = lo;
    end = Math.max(lo, Math.min(hi, lo + perPage));
  }
  return { items: sorted.slice(start, end), hasBefore: start > 0, hasAfter: end < sorted.length };
}

function firstIndex<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  const index = items.findIndex(predicate);
  return index < 0 ? items.length : index;
}

/** Link targets for a key-paged response, with Meraki-style sentinels for first and last. */
export function keyLinks<T>(
  page: KeyPage<T>,
  keyOf: (item: T) => string,
  sentinels: { first: string; last: string },
): LinkTargets {
  const targets: LinkTargets = { first: { startingAfter: sentinels.first } };
  const head = page.items[0];
  const tail = page.items[page.items.length - 1];
  if (page.hasBefore && head !== undefined) targets.prev = { endingBefore: keyOf(head) };
  if (page.hasAfter && tail !== undefined) targets.next = { startingAfter: keyOf(tail) };
  targets.last = { endingBefore: sentinels.last };
  return targets;
}

export interface TimedItem {
  at: number;
}

export interface TimePage<T extends TimedItem> {
  /** Newest first, as Meraki returns events. */
  items: T[];
  pageStartAt: number;
  pageEndAt: number;
  hasOlder: boolean;
}

/**
 * Time paging over `sorted` (ascending by `at`, none after `now`). Forward pages (`startingAfter`)
 * take the oldest `perPage` items after the token and end at the last item's time when more remain,
 * else at `endingBefore` or now; backward pages take the newest `perPage` before the bound. Items
 * sharing the boundary timestamp stay on one page, since the next token excludes that instant.
 */
export function pageByTime<T extends TimedItem>(
  sorted: readonly T[],
  perPage: number,
  startingAfter: number | undefined,
  endingBefore: number | undefined,
  now: number,
): TimePage<T> {
  const upper = endingBefore ?? now;
  const inUpper = (item: T) => (endingBefore === undefined ? item.at <= now : item.at < endingBefore);
  if (startingAfter !== undefined) {
    const candidates = sorted.filter((item) => item.at > startingAfter && inUpper(item));
    let take = Math.min(perPage, candidates.length);
    const boundary = candidates[take - 1];
    while (boundary !== undefined && take < candidates.length && candidates[take]?.at === boundary.at) take += 1;
    const items = candidates.slice(0, take);
    const pageEndAt = take < candidates.length && boundary !== undefined ? boundary.at : upper;
    return {
      items: items.reverse(),
      pageStartAt: startingAfter,
      pageEndAt,
      hasOlder: sorted.some((item) => item.at <= startingAfter),
    };
  }
  const candidates = sorted.filter(inUpper);
  let from = Math.max(0, candidates.length - perPage);
  const boundary = candidates[from];
  while (boundary !== undefined && from > 0 && candidates[from - 1]?.at === boundary.at) from -= 1;
  const items = candidates.slice(from);
  const oldest = items[0];
  return {
    items: items.reverse(),
    pageStartAt: oldest?.at ?? upper,
    pageEndAt: upper,
    hasOlder: from > 0,
  };
}
