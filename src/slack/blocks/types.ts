/**
 * The Block Kit subset Sentry sends: Slack's own types (`@slack/types`), narrowed where we send
 * less than Slack allows (context elements are text only, actions hold buttons only, confirm
 * dialogs are plain text), so a builder cannot emit a block Slack would reject and readers of our
 * blocks need not handle kinds we never send. Limits from the Block Kit reference, enforced by the
 * builders.
 */
import type * as Slack from '@slack/types';

export const LIMITS = {
  blocks: 50,
  header: 150,
  sectionText: 3000,
  field: 2000,
  fields: 10,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** chat.postMessage `text`: Slack truncates beyond 40,000; notifications show far less. */
  fallbackText: 3000,
} as const;

export type PlainText = Slack.PlainTextElement;
export type MrkdwnText = Slack.MrkdwnElement;
export type TextObject = PlainText | MrkdwnText;

/** A confirm dialog with plain-text parts (Slack also allows mrkdwn text). */
export type ConfirmDialog = Omit<Slack.ConfirmationDialog, 'title' | 'text' | 'confirm' | 'deny'> & {
  title: PlainText;
  text: PlainText;
  confirm: PlainText;
  deny: PlainText;
};

export type Button = Omit<Slack.Button, 'confirm'> & { confirm?: ConfirmDialog };
export type HeaderBlock = Slack.HeaderBlock;
export type SectionBlock = Omit<Slack.SectionBlock, 'fields'> & { fields?: TextObject[] };
export type ContextBlock = Omit<Slack.ContextBlock, 'elements'> & { elements: TextObject[] };
export type ActionsBlock = Omit<Slack.ActionsBlock, 'elements'> & { elements: Button[] };

type Assert<T extends true> = T;
/** Compile-time proof that every block we build is a block Slack's types accept. */
export type BlocksAreSlackBlocks = Assert<Block extends Slack.KnownBlock ? true : false>;
export type DividerBlock = Slack.DividerBlock;
export type Block = HeaderBlock | SectionBlock | ContextBlock | ActionsBlock | DividerBlock;

/** A message: blocks plus the plain-text `text` fallback Slack uses for notifications and screen readers. */
export interface SlackMessageContent {
  text: string;
  blocks: Block[];
}
