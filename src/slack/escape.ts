/**
 * Slack mrkdwn safety for strings that come from outside (user and file names, user agents, device
 * names, titles). Slack reads `<…>` as a control sequence (mention, broadcast, link), so `&`, `<` and
 * `>` must be sent as entities; mrkdwn text objects are also sent with `verbatim: true`, so Slack does
 * not auto-parse bare `@channel`, channel names or URLs. Formatting (`*_~` and backticks) cannot be
 * escaped in mrkdwn, so outside values go inside a code span, where Slack applies no formatting and
 * no auto-linking; a backtick in the value becomes `ˋ` (U+02CB) so it cannot close the span.
 */

const ELLIPSIS = '…';

/** Escapes `&`, `<`, `>` and breaks `@channel`/`@here`/`@everyone` with a word joiner. */
export function escapeMrkdwn(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(channel|here|everyone)\b/gi, '@\u2060$1');
}

/** Cuts to at most `max` UTF-16 units, ending in `…`, never inside a surrogate pair or an `&…;` entity. */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  if (max <= 0) return '';
  if (max === 1) return ELLIPSIS;
  let cut = max - 1;
  const high = value.charCodeAt(cut - 1);
  if (high >= 0xd800 && high <= 0xdbff) cut -= 1;
  // Do not leave half an entity such as "&am".
  const amp = value.lastIndexOf('&', cut - 1);
  if (amp >= 0 && amp > cut - 6 && !value.slice(amp, cut).includes(';') && /^&(amp|lt|gt);/.test(value.slice(amp))) {
    cut = amp;
  }
  return `${value.slice(0, cut)}${ELLIPSIS}`;
}

/** An outside value shown inline: escaped, on one line, inside a code span, at most `max` characters in all. */
export function codeSpan(value: string, max = 300): string {
  const flat = value.replace(/`/g, '\u02cb').replace(/\s+/g, ' ').trim();
  if (flat === '') return '—';
  return `\`${truncate(escapeMrkdwn(flat), Math.max(3, max - 2))}\``;
}

/**
 * A multi-line outside text (e.g. a KQL query) as a code block, at most `max` characters in all.
 * Every backtick is followed by a zero-width space, so no run of backticks in the value (however
 * long, or at its very end) can form the ``` that closes the block early.
 */
export function codeBlock(value: string, max = 3000): string {
  const safe = escapeMrkdwn(value.replace(/`/g, '`\u200b'));
  return `\`\`\`${truncate(safe, Math.max(3, max - 6))}\`\`\``;
}

// eslint-disable-next-line no-control-regex -- control characters are what we remove
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/** Plain text for `plain_text` objects and the notification fallback: no control characters, one line. */
export function plainText(value: string, max: number): string {
  return truncate(value.replace(CONTROL, '').replace(/\s+/g, ' ').trim(), max);
}
