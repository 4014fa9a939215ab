/**
 * What a rule's window looks like when read back from state, and what a threshold step returns:
 * the shapes define.ts (the rules) and window-math.ts (the shared threshold steps) both speak.
 */
import type { Party } from './entities';

export type SubjectType = 'user' | 'ip' | 'device' | 'app' | 'user-agent' | 'workspace';

/** What a finding is about, as shown to a responder and landed in SubjectType/SubjectId/SubjectName. */
export interface Subject {
  type: SubjectType;
  id: string;
  name?: string;
}

/** One item of a window as read back from state. */
export interface ItemState {
  item: string;
  /** First and last time the item was seen in its bucket (equal for events). */
  t: number;
  tMax: number;
  label?: string;
  bucket: number;
}

/** Items too many to keep one by one in a bucket: only an estimated count survives. */
export interface OverflowState {
  bucket: number;
  bucketEnd: number;
  estimate: number;
}

/** A party as read back from state: its first and last time across the window's buckets. */
export interface PartyState extends Party {
  t: number;
  tMax: number;
  /** Session ids, newest last. */
  sessions?: string[] | undefined;
}

/** Everything known about one dedupe key of one detection. */
export interface SubjectWindow {
  detectionId: string;
  dedupeKey: string;
  subject: Subject;
  facts: Readonly<Record<string, string>>;
  /** Sorted by t, then item. */
  items: readonly ItemState[];
  overflow: readonly OverflowState[];
  /** The parties of the window's items (absent in windows built by hand: none known). */
  parties?: readonly PartyState[];
}

/** A threshold crossed (or an event matched) in a window. */
export interface Crossing {
  /** The window's metric: events, distinct values, or what a custom rule counts. */
  count: number;
  /** Items counted that are newer than `since`: how much an open finding grows by. */
  newItems: number;
  firstSeen: number;
  lastSeen: number;
  /** The items in the crossing window (sorted by time). */
  items: readonly ItemState[];
}
