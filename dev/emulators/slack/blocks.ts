/**
 * Block Kit checks for chat.* and response_url: catches obviously bad blocks the way Slack answers
 * `invalid_blocks` (limits from the Block Kit reference: 50 blocks, header 150, section text 3000,
 * 10 fields of 2000, 25 elements per actions block, button text 75 / value 2000, ids 255). Like Slack,
 * blocks and interactive elements without ids get generated ones.
 */
import { randomBytes } from 'node:crypto';

export type BlocksResult =
  | { ok: true; blocks: Record<string, unknown>[] }
  | { ok: false; error: 'invalid_blocks' | 'invalid_blocks_format'; detail: string };

const KNOWN_BLOCKS = new Set([
  'section',
  'header',
  'context',
  'divider',
  'actions',
  'image',
  'rich_text',
  'input',
  'file',
  'video',
  'markdown',
]);
const INTERACTIVE = new Set([
  'button',
  'static_select',
  'external_select',
  'users_select',
  'conversations_select',
  'channels_select',
  'multi_static_select',
  'overflow',
  'datepicker',
  'timepicker',
  'checkboxes',
  'radio_buttons',
]);

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function textObject(value: unknown, max: number, plainOnly = false): string | undefined {
  if (!isObject(value)) return 'must be a text object';
  if (value.type !== 'plain_text' && value.type !== 'mrkdwn') return 'text type must be plain_text or mrkdwn';
  if (plainOnly && value.type !== 'plain_text') return 'must be plain_text';
  if (typeof value.text !== 'string' || value.text.length === 0) return 'text must be a non-empty string';
  if (value.text.length > max) return `text longer than ${max}`;
  return undefined;
}

const genId = () => randomBytes(3).toString('base64').replace(/[+/=]/g, 'x');

function checkElement(element: unknown, where: string): string | undefined {
  if (!isObject(element) || typeof element.type !== 'string') return `${where}: element needs a type`;
  if (element.type === 'button') {
    const bad = textObject(element.text, 75, true);
    if (bad !== undefined) return `${where}: button text ${bad}`;
    if (element.value !== undefined && (typeof element.value !== 'string' || element.value.length > 2000))
      return `${where}: button value`;
    if (element.style !== undefined && element.style !== 'primary' && element.style !== 'danger')
      return `${where}: button style`;
    if (element.confirm !== undefined) {
      const c = element.confirm;
      if (
        !isObject(c) ||
        textObject(c.title, 100, true) ||
        textObject(c.text, 300) ||
        textObject(c.confirm, 30, true) ||
        textObject(c.deny, 30, true)
      ) {
        return `${where}: confirm needs title, text, confirm and deny`;
      }
    }
  } else if (element.type === 'image') {
    if (typeof element.alt_text !== 'string') return `${where}: image needs alt_text`;
  }
  if (element.action_id !== undefined && (typeof element.action_id !== 'string' || element.action_id.length > 255))
    return `${where}: action_id`;
  return undefined;
}

/** Parses (when a string) and checks blocks; returns a normalised copy with ids filled in. */
export function checkBlocks(input: unknown): BlocksResult {
  let blocks: unknown = input;
  if (typeof input === 'string') {
    try {
      blocks = JSON.parse(input) as unknown;
    } catch {
      return { ok: false, error: 'invalid_blocks_format', detail: 'blocks is not JSON' };
    }
  }
  if (!Array.isArray(blocks)) return { ok: false, error: 'invalid_blocks_format', detail: 'blocks must be an array' };
  if (blocks.length > 50) return { ok: false, error: 'invalid_blocks', detail: 'more than 50 blocks' };
  const copy = structuredClone(blocks) as unknown[];
  const blockIds = new Set<string>();
  for (const [index, block] of copy.entries()) {
    const where = `blocks[${index}]`;
    if (!isObject(block) || typeof block.type !== 'string')
      return { ok: false, error: 'invalid_blocks', detail: `${where}: needs a type` };
    if (!KNOWN_BLOCKS.has(block.type))
      return { ok: false, error: 'invalid_blocks', detail: `${where}: unknown block type ${block.type}` };
    if (block.block_id === undefined) block.block_id = genId();
    if (typeof block.block_id !== 'string' || block.block_id.length > 255 || blockIds.has(block.block_id)) {
      return { ok: false, error: 'invalid_blocks', detail: `${where}: block_id missing, too long or duplicated` };
    }
    blockIds.add(block.block_id);
    let problem: string | undefined;
    const elements: unknown[] = [];
    switch (block.type) {
      case 'header':
        problem = textObject(block.text, 150, true);
        break;
      case 'section': {
        const hasText = block.text !== undefined;
        const fields = block.fields;
        if (!hasText && fields === undefined) problem = 'section needs text or fields';
        else if (hasText) problem = textObject(block.text, 3000);
        if (problem === undefined && fields !== undefined) {
          if (!Array.isArray(fields) || fields.length === 0 || fields.length > 10)
            problem = 'fields must be 1..10 text objects';
          else problem = fields.map((f) => textObject(f, 2000)).find((p) => p !== undefined);
        }
        if (problem === undefined && block.accessory !== undefined) {
          problem = checkElement(block.accessory, `${where}.accessory`);
          elements.push(block.accessory);
        }
        break;
      }
      case 'context':
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10)
          problem = 'context needs 1..10 elements';
        else
          problem = block.elements
            .map((e, i) =>
              isObject(e) && e.type === 'image' ? checkElement(e, `${where}.elements[${i}]`) : textObject(e, 3000),
            )
            .find((p) => p !== undefined);
        break;
      case 'actions':
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 25)
          problem = 'actions needs 1..25 elements';
        else {
          problem = block.elements
            .map((e, i) => checkElement(e, `${where}.elements[${i}]`))
            .find((p) => p !== undefined);
          elements.push(...(block.elements as unknown[]));
        }
        break;
      case 'image':
        if (typeof block.image_url !== 'string' && !isObject(block.slack_file)) problem = 'image needs image_url';
        else if (typeof block.alt_text !== 'string') problem = 'image needs alt_text';
        break;
      default:
        break;
    }
    if (problem !== undefined)
      return {
        ok: false,
        error: 'invalid_blocks',
        detail: problem.startsWith('blocks[') ? problem : `${where}: ${problem}`,
      };
    for (const element of elements) {
      if (isObject(element) && INTERACTIVE.has(element.type as string) && element.action_id === undefined)
        element.action_id = genId();
    }
  }
  return { ok: true, blocks: copy as Record<string, unknown>[] };
}

/** Slack's screen-reader fallback when a message has blocks but no text. */
export function textFromBlocks(blocks: readonly Record<string, unknown>[]): string {
  const parts: string[] = [];
  for (const block of blocks) {
    const text = block.text as { text?: unknown } | undefined;
    if (typeof text?.text === 'string') parts.push(text.text);
  }
  return parts.join('\n');
}
