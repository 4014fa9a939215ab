/**
 * The channel page: how a person watches Sentry work locally. `GET /` lists channels,
 * `GET /channels/<id>` renders a channel's messages from Block Kit (threads, "edited", ephemeral
 * messages), and its buttons send the app a signed `block_actions` request as the chosen seeded user.
 * Everything rendered is untrusted data: all of it goes through `escapeHtml`, links only keep
 * http(s)/mailto targets, images are shown as their alt text (nothing external is loaded), and a
 * strict Content-Security-Policy allows only this server's own script and stylesheet.
 */
import type { EmulatorResponse, Router } from '../common/server';
import { json } from '../common/server';
import { ClickError, deliverBlockAction } from './interactivity';
import type { SlackContext } from './options';
import type { EphemeralMessage, InteractionDelivery, SlackChannel, SlackMessage, SlackState } from './state';
import { compareTs } from './state';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function escapeHtml(value: unknown): string {
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : value === null || value === undefined
          ? ''
          : JSON.stringify(value);
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Slack message text escapes only &, < and > (apps are told to); undo that before HTML-escaping. */
function decodeSlackEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function formatInline(escaped: string): string {
  return escaped
    .replace(/```([\s\S]+?)```/g, '<pre>$1</pre>')
    .replace(/`([^`\n]+)`/g, '<code>$1</code>')
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,!?:;])/g, '$1<b>$2</b>')
    .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,!?:;])/g, '$1<i>$2</i>')
    .replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s).,!?:;])/g, '$1<s>$2</s>')
    .replace(/^&gt; ?(.*)$/gm, '<span class="quote">$1</span>')
    .replace(/\n/g, '<br>');
}

/** Renders Slack mrkdwn: `<url|label>`, `<@U…>`, `<#C…|name>`, `<!here>`, *bold*, _italic_, ~strike~, `code`. */
export function renderMrkdwn(text: string, state?: SlackState): string {
  // Control sequences become placeholders (NUL-delimited indexes) so *bold* can wrap a mention.
  const tokens: string[] = [];
  const withPlaceholders = text.replace(/\0/g, '').replace(/<([^<>\n]+)>/g, (_, inner: string) => {
    tokens.push(renderControl(inner, state));
    return `\0${tokens.length - 1}\0`;
  });
  return formatInline(escapeHtml(decodeSlackEntities(withPlaceholders))).replace(
    /\0(\d+)\0/g,
    (_, i: string) => tokens[Number(i)] ?? '',
  );
}

function renderControl(inner: string, state: SlackState | undefined): string {
  const bar = inner.indexOf('|');
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? undefined : decodeSlackEntities(inner.slice(bar + 1));
  if (target.startsWith('@')) {
    const user = state?.getUser(target.slice(1));
    return `<span class="mention">@${escapeHtml(label ?? user?.name ?? target.slice(1))}</span>`;
  }
  if (target.startsWith('#')) {
    const channel = state?.getChannel(target.slice(1));
    return `<span class="mention">#${escapeHtml(label ?? channel?.name ?? target.slice(1))}</span>`;
  }
  if (target.startsWith('!')) {
    const name = target.slice(1).split('^')[0] ?? '';
    return `<span class="mention">${escapeHtml(label ?? (name === 'subteam' ? '@group' : `@${name}`))}</span>`;
  }
  if (/^(https?:\/\/|mailto:)/i.test(target)) {
    return `<a href="${escapeHtml(decodeSlackEntities(target))}" target="_blank" rel="noopener noreferrer">${escapeHtml(label ?? decodeSlackEntities(target))}</a>`;
  }
  // Not a Slack control sequence (e.g. unescaped markup): show it as typed.
  return escapeHtml(`<${decodeSlackEntities(inner)}>`);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function renderText(value: unknown, state: SlackState): string {
  if (!isObj(value)) return '';
  const text = typeof value.text === 'string' ? value.text : '';
  return value.type === 'mrkdwn' ? renderMrkdwn(text, state) : escapeHtml(text).replace(/\n/g, '<br>');
}

function plain(value: unknown): string {
  return isObj(value) && typeof value.text === 'string' ? value.text : '';
}

function renderElement(element: unknown, blockId: string, state: SlackState): string {
  if (!isObj(element)) return '';
  if (element.type === 'button') {
    const style = element.style === 'primary' || element.style === 'danger' ? ` btn-${element.style}` : '';
    const attrs = [`data-action-id="${escapeHtml(element.action_id)}"`, `data-block-id="${escapeHtml(blockId)}"`];
    if (typeof element.url === 'string') attrs.push(`title="${escapeHtml(`Opens ${element.url}`)}"`);
    const confirm = element.confirm;
    if (isObj(confirm)) {
      attrs.push(
        `data-confirm-title="${escapeHtml(plain(confirm.title))}"`,
        `data-confirm-text="${escapeHtml(plain(confirm.text))}"`,
        `data-confirm-ok="${escapeHtml(plain(confirm.confirm) || 'Confirm')}"`,
        `data-confirm-deny="${escapeHtml(plain(confirm.deny) || 'Cancel')}"`,
        `data-confirm-style="${escapeHtml(confirm.style === 'danger' ? 'danger' : 'primary')}"`,
      );
    }
    const link = typeof element.url === 'string' ? ' <span class="link-mark">↗</span>' : '';
    return `<button type="button" class="btn${style}" ${attrs.join(' ')}>${escapeHtml(plain(element.text))}${link}</button>`;
  }
  if (element.type === 'image')
    return `<span class="img-alt" title="image">[image: ${escapeHtml(element.alt_text)}]</span>`;
  if (element.type === 'mrkdwn' || element.type === 'plain_text') return `<span>${renderText(element, state)}</span>`;
  const placeholder = plain(element.placeholder);
  return `<span class="unsupported">[${escapeHtml(element.type)}${placeholder === '' ? '' : `: ${escapeHtml(placeholder)}`}]</span>`;
}

function richText(node: unknown): string {
  if (Array.isArray(node)) return node.map(richText).join('');
  if (!isObj(node)) return '';
  if (typeof node.text === 'string') return node.text;
  if (node.type === 'link' && typeof node.url === 'string') return node.url;
  if (node.type === 'user' && typeof node.user_id === 'string') return `@${node.user_id}`;
  if (node.type === 'emoji' && typeof node.name === 'string') return `:${node.name}:`;
  const children = richText(node.elements);
  return node.type === 'rich_text_section' || node.type === 'rich_text_preformatted' || node.type === 'rich_text_quote'
    ? `${children}\n`
    : children;
}

export function renderBlocks(blocks: readonly unknown[], state: SlackState): string {
  return blocks
    .map((block) => {
      if (!isObj(block)) return '';
      const blockId = typeof block.block_id === 'string' ? block.block_id : '';
      switch (block.type) {
        case 'header':
          return `<div class="b-header">${escapeHtml(plain(block.text))}</div>`;
        case 'section': {
          const text = block.text === undefined ? '' : `<div class="b-text">${renderText(block.text, state)}</div>`;
          const fields = Array.isArray(block.fields)
            ? `<div class="b-fields">${block.fields.map((f) => `<div class="b-field">${renderText(f, state)}</div>`).join('')}</div>`
            : '';
          const accessory =
            block.accessory === undefined
              ? ''
              : `<div class="b-accessory">${renderElement(block.accessory, blockId, state)}</div>`;
          return `<div class="b-section"><div class="b-main">${text}${fields}</div>${accessory}</div>`;
        }
        case 'context':
          return `<div class="b-context">${(Array.isArray(block.elements) ? block.elements : []).map((e) => renderElement(e, blockId, state)).join('<span class="sep"></span>')}</div>`;
        case 'divider':
          return '<hr class="b-divider">';
        case 'actions':
          return `<div class="b-actions">${(Array.isArray(block.elements) ? block.elements : []).map((e) => renderElement(e, blockId, state)).join('')}</div>`;
        case 'image': {
          const title =
            block.title === undefined ? '' : ` <span class="img-title">${escapeHtml(plain(block.title))}</span>`;
          return `<div class="b-image"><span class="img-alt">[image: ${escapeHtml(block.alt_text)}]</span>${title}</div>`;
        }
        case 'rich_text':
          return `<div class="b-text">${escapeHtml(richText(block.elements).trimEnd()).replace(/\n/g, '<br>')}</div>`;
        default:
          return `<div class="unsupported">[${escapeHtml(block.type)} block]</div>`;
      }
    })
    .join('');
}

function clock(ts: string): string {
  const sec = Number(ts.split('.')[0]);
  return Number.isFinite(sec) ? new Date(sec * 1000).toISOString().replace('T', ' ').slice(0, 19) : '';
}

function authorName(
  state: SlackState,
  message: { user?: string | undefined; bot_id?: string | undefined; from?: string | undefined },
): { name: string; app: boolean } {
  const org = state.org;
  const id = message.user ?? message.from;
  if (message.bot_id !== undefined || id === org.botUserId) return { name: org.botName, app: true };
  const user = id === undefined ? undefined : state.getUser(id);
  return { name: user?.real_name ?? user?.name ?? id ?? 'unknown', app: false };
}

type Renderable = { kind: 'message'; message: SlackMessage } | { kind: 'ephemeral'; message: EphemeralMessage };

function renderOne(state: SlackState, channel: SlackChannel, item: Renderable, replies: Renderable[]): string {
  const m = item.message;
  const ephemeral = item.kind === 'ephemeral';
  const author = ephemeral ? authorName(state, { from: item.message.from }) : authorName(state, item.message);
  const edited = !ephemeral && item.message.edited !== undefined ? ' <span class="edited">(edited)</span>' : '';
  const tombstone = !ephemeral && item.message.subtype === 'tombstone';
  const content = tombstone
    ? `<div class="tombstone">${escapeHtml(m.text)}</div>`
    : Array.isArray(m.blocks) && m.blocks.length > 0
      ? renderBlocks(m.blocks, state)
      : `<div class="b-text">${renderMrkdwn(m.text, state)}</div>`;
  const recipient = ephemeral ? state.getUser(item.message.user) : undefined;
  const ephemeralNote = ephemeral
    ? `<div class="eph-note">Only visible to ${escapeHtml(recipient?.name ?? item.message.user)}</div>`
    : '';
  const thread =
    replies.length === 0
      ? ''
      : `<div class="thread"><div class="thread-count">${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}</div>${replies.map((r) => renderOne(state, channel, r, [])).join('')}</div>`;
  const initials = escapeHtml(author.name.slice(0, 2).toUpperCase());
  return (
    `<div class="msg${ephemeral ? ' ephemeral' : ''}" data-ts="${escapeHtml(m.ts)}" data-ephemeral="${ephemeral}">` +
    `<div class="avatar${author.app ? ' app' : ''}">${initials}</div><div class="msg-body">` +
    `<div class="msg-meta"><span class="author">${escapeHtml(author.name)}</span>${author.app ? ' <span class="badge">APP</span>' : ''} <time>${escapeHtml(clock(m.ts))}</time>${edited}</div>` +
    `${ephemeralNote}<div class="msg-content">${content}</div>${thread}</div></div>`
  );
}

export function renderMessages(state: SlackState, channel: SlackChannel): string {
  const items: Renderable[] = [
    ...state.getMessages(channel.id).map((message) => ({ kind: 'message' as const, message })),
    ...state.getEphemeral(channel.id).map((message) => ({ kind: 'ephemeral' as const, message })),
  ].sort((a, b) => compareTs(a.message.ts, b.message.ts));
  const parents = new Set(
    items
      .filter((i) => i.message.thread_ts === undefined || i.message.thread_ts === i.message.ts)
      .map((i) => i.message.ts),
  );
  const isReply = (i: Renderable) =>
    i.message.thread_ts !== undefined && i.message.thread_ts !== i.message.ts && parents.has(i.message.thread_ts);
  const top = items.filter((i) => !isReply(i));
  if (top.length === 0) return '<div class="empty">No messages yet.</div>';
  return top
    .map((item) =>
      renderOne(
        state,
        channel,
        item,
        items.filter((r) => isReply(r) && r.message.thread_ts === item.message.ts),
      ),
    )
    .join('');
}

export function renderDeliveries(deliveries: readonly InteractionDelivery[], state: SlackState): string {
  const recent = deliveries.slice(-8).reverse();
  if (recent.length === 0) return '<div class="empty">No button clicks sent yet.</div>';
  return `<ul class="deliveries">${recent
    .map((d) => {
      const ok = d.status !== undefined && d.status >= 200 && d.status < 300;
      const outcome = d.status !== undefined ? `HTTP ${d.status}` : `failed: ${d.error ?? 'unknown'}`;
      return `<li class="${ok ? 'ok' : 'bad'}"><code>${escapeHtml(d.actionId)}</code> by ${escapeHtml(state.getUser(d.userId)?.name ?? d.userId)} → <span class="outcome">${escapeHtml(outcome)}</span> <span class="muted">${escapeHtml(d.durationMs ?? '')} ms, ${escapeHtml(new Date(d.at).toISOString().slice(11, 19))}</span></li>`;
    })
    .join('')}</ul>`;
}

function channelLabel(channel: SlackChannel): string {
  return channel.is_im === true ? `@${channel.name}` : `#${channel.name}`;
}

/** Escaped label plus a private marker. */
function channelHtml(channel: SlackChannel): string {
  return `${escapeHtml(channelLabel(channel))}${channel.is_private === true ? ' <span class="badge private">private</span>' : ''}`;
}

function layout(ctx: SlackContext, title: string, current: SlackChannel | undefined, main: string): string {
  const { state } = ctx;
  const channels = state
    .listChannels()
    .map(
      (c) =>
        `<li${c.id === current?.id ? ' class="current"' : ''}><a href="/channels/${encodeURIComponent(c.id)}">${channelHtml(c)}</a></li>`,
    )
    .join('');
  const users = state
    .listUsers()
    .filter((u) => u.deleted !== true && u.is_bot !== true)
    .map(
      (u) =>
        `<option value="${escapeHtml(u.id)}">${escapeHtml(u.real_name ?? u.name)} (${escapeHtml(u.id)})${u.is_admin === true || u.is_owner === true ? ' — admin' : ''}</option>`,
    )
    .join('');
  const target = ctx.options.interactivity.requestUrl;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — Slack emulator</title><link rel="stylesheet" href="/_page/app.css"></head>
<body data-channel="${escapeHtml(current?.id ?? '')}" data-version="${state.version}">
<aside><div class="org">${escapeHtml(state.org.enterpriseName)}<div class="muted">Slack emulator</div></div>
<nav><div class="nav-title"><a href="/">Channels</a></div><ul>${channels}</ul></nav>
<div class="who"><label for="as-user">Click buttons as</label><select id="as-user">${users === '' ? '<option value="">(no users seeded)</option>' : users}</select></div>
<div class="target">Interactivity URL<br><code>${escapeHtml(target ?? 'not configured')}</code></div></aside>
<main>${main}</main>
<dialog id="confirm-dialog"><h3 id="confirm-title"></h3><p id="confirm-text"></p><div class="dialog-buttons"><button type="button" id="confirm-deny" class="btn">Cancel</button><button type="button" id="confirm-ok" class="btn btn-primary">Confirm</button></div></dialog>
<script src="/_page/app.js"></script></body></html>`;
}

function html(body: string, status = 200): EmulatorResponse {
  return {
    status,
    body,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    },
  };
}

export function registerPageRoutes(router: Router, ctx: SlackContext): void {
  const { state } = ctx;

  router.on('GET', '/', () => {
    const rows = state
      .listChannels()
      .map((c) => {
        const messages = state.getMessages(c.id);
        const last = messages[messages.length - 1];
        return `<tr><td><a href="/channels/${encodeURIComponent(c.id)}">${channelHtml(c)}</a></td><td><code>${escapeHtml(c.id)}</code></td><td>${messages.length}</td><td>${escapeHtml(last === undefined ? '—' : clock(last.ts))}</td></tr>`;
      })
      .join('');
    const main = `<header><h1>Channels</h1></header><section class="panel"><table class="channels"><thead><tr><th>Channel</th><th>ID</th><th>Messages</th><th>Last message (UTC)</th></tr></thead><tbody>${rows || '<tr><td colspan="4" class="empty">No channels seeded.</td></tr>'}</tbody></table></section>
<section class="panel"><h2>Recent button clicks</h2><div id="deliveries">${renderDeliveries(state.deliveries, state)}</div></section>`;
    return html(layout(ctx, 'Channels', undefined, main));
  });

  router.on('GET', '/channels/{id}', (req) => {
    const channel = state.getChannel(req.params.id ?? '');
    if (channel === undefined)
      return html(
        layout(ctx, 'Not found', undefined, `<header><h1>No channel ${escapeHtml(req.params.id)}</h1></header>`),
        404,
      );
    const main = `<header><h1>${channelHtml(channel)}</h1><code class="muted">${escapeHtml(channel.id)}</code></header>
<section id="messages" class="messages">${renderMessages(state, channel)}</section>
<div id="click-status" class="click-status" role="status"></div>
<section class="panel"><h2>Recent button clicks</h2><div id="deliveries">${renderDeliveries(state.deliveries, state)}</div></section>`;
    return html(layout(ctx, channelLabel(channel), channel, main));
  });

  router.on('GET', '/_page/channels/{id}', (req) => {
    const channel = state.getChannel(req.params.id ?? '');
    if (channel === undefined) return json(404, { error: 'channel_not_found' });
    if (req.query.get('since') === String(state.version)) return { status: 204 };
    return json(200, {
      version: state.version,
      messagesHtml: renderMessages(state, channel),
      deliveriesHtml: renderDeliveries(state.deliveries, state),
    });
  });

  router.on('POST', '/_page/click', async (req) => {
    let input: {
      channel?: unknown;
      messageTs?: unknown;
      actionId?: unknown;
      blockId?: unknown;
      userId?: unknown;
      ephemeral?: unknown;
    };
    try {
      input = JSON.parse(req.body.toString('utf8')) as typeof input;
    } catch {
      return json(400, { error: 'body must be JSON' });
    }
    const s = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const channel = s(input.channel);
    const messageTs = s(input.messageTs);
    const actionId = s(input.actionId);
    const userId = s(input.userId);
    if (channel === undefined || messageTs === undefined || actionId === undefined || userId === undefined) {
      return json(400, { error: 'channel, messageTs, actionId and userId are required' });
    }
    try {
      const blockId = s(input.blockId);
      const delivery = await deliverBlockAction(ctx, {
        channel,
        messageTs,
        actionId,
        userId,
        ephemeral: input.ephemeral === true,
        ...(blockId === undefined ? {} : { blockId }),
      });
      return json(200, {
        url: delivery.url,
        status: delivery.status ?? null,
        error: delivery.error ?? null,
        durationMs: delivery.durationMs,
      });
    } catch (error) {
      if (error instanceof ClickError) return json(409, { error: error.message });
      throw error;
    }
  });

  router.on('GET', '/_page/version', () => json(200, { version: state.version }));
  router.on('GET', '/favicon.ico', () => ({ status: 204 }));
  router.on('GET', '/_page/app.js', () => ({
    status: 200,
    body: PAGE_JS,
    headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' },
  }));
  router.on('GET', '/_page/app.css', () => ({
    status: 200,
    body: PAGE_CSS,
    headers: { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-store' },
  }));
}

const PAGE_JS = `'use strict';
(function () {
  var channel = document.body.dataset.channel;
  var version = document.body.dataset.version;
  var select = document.getElementById('as-user');
  var KEY = 'slack-emulator-user';
  var saved = window.localStorage.getItem(KEY);
  if (saved && Array.prototype.some.call(select.options, function (o) { return o.value === saved; })) select.value = saved;
  select.addEventListener('change', function () { window.localStorage.setItem(KEY, select.value); });

  var dialog = document.getElementById('confirm-dialog');
  function confirmFirst(button) {
    return new Promise(function (resolve) {
      var d = button.dataset;
      if (!d.confirmTitle) { resolve(true); return; }
      document.getElementById('confirm-title').textContent = d.confirmTitle;
      document.getElementById('confirm-text').textContent = d.confirmText || '';
      var ok = document.getElementById('confirm-ok');
      var deny = document.getElementById('confirm-deny');
      ok.textContent = d.confirmOk || 'Confirm';
      deny.textContent = d.confirmDeny || 'Cancel';
      ok.className = 'btn ' + (d.confirmStyle === 'danger' ? 'btn-danger' : 'btn-primary');
      function done(answer) {
        ok.onclick = null; deny.onclick = null; dialog.oncancel = null;
        if (dialog.open) dialog.close();
        resolve(answer);
      }
      ok.onclick = function () { done(true); };
      deny.onclick = function () { done(false); };
      dialog.oncancel = function () { done(false); };
      dialog.showModal();
    });
  }

  var statusBox = document.getElementById('click-status');
  function showStatus(text, good) {
    if (!statusBox) return;
    statusBox.textContent = text;
    statusBox.className = 'click-status ' + (good ? 'ok' : 'bad');
  }

  function refresh() {
    if (!channel) {
      // The channel list: reload when anything changed.
      return fetch('/_page/version').then(function (r) { return r.json(); }).then(function (d) {
        if (String(d.version) !== version) window.location.reload();
      }).catch(function () { /* keep polling */ });
    }
    return fetch('/_page/channels/' + encodeURIComponent(channel) + '?since=' + encodeURIComponent(version))
      .then(function (r) { return r.status === 200 ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        version = String(data.version);
        document.getElementById('messages').innerHTML = data.messagesHtml;
        document.getElementById('deliveries').innerHTML = data.deliveriesHtml;
      })
      .catch(function () { /* the emulator restarted or stopped; keep polling */ });
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest('.messages button[data-action-id]');
    if (!button) return;
    var message = button.closest('[data-ts]');
    if (!select.value) { showStatus('Seed a user to click as first.', false); return; }
    confirmFirst(button).then(function (go) {
      if (!go) { showStatus('Cancelled.', false); return; }
      button.disabled = true;
      showStatus('Sending block_actions…', true);
      return fetch('/_page/click', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          channel: channel,
          messageTs: message.dataset.ts,
          actionId: button.dataset.actionId,
          blockId: button.dataset.blockId,
          userId: select.value,
          ephemeral: message.dataset.ephemeral === 'true'
        })
      }).then(function (r) { return r.json(); }).then(function (out) {
        if (out.status !== null && out.status !== undefined) {
          showStatus('block_actions → ' + out.url + ': HTTP ' + out.status + ' in ' + out.durationMs + ' ms', out.status >= 200 && out.status < 300);
          statusBox.dataset.status = String(out.status);
        } else {
          showStatus('block_actions not delivered: ' + out.error, false);
          statusBox.dataset.status = 'error';
        }
      }).finally(function () { button.disabled = false; return refresh(); });
    });
  });

  setInterval(refresh, 1000);
})();
`;

const PAGE_CSS = `
* { box-sizing: border-box; }
body { margin: 0; display: flex; min-height: 100vh; font: 15px/1.46 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1d1c1d; background: #fff; }
aside { width: 250px; flex: none; background: #3f0e40; color: #e8dfe8; padding: 14px 0; display: flex; flex-direction: column; gap: 14px; }
aside a { color: #e8dfe8; text-decoration: none; }
.org { padding: 0 16px 12px; font-weight: 700; font-size: 17px; border-bottom: 1px solid #5d2c5d; }
.org .muted { color: #bca8bc; font-weight: 400; font-size: 12px; }
.nav-title { padding: 0 16px 4px; font-size: 13px; color: #bca8bc; }
nav ul { list-style: none; margin: 0; padding: 0; }
nav li a { display: block; padding: 3px 16px; }
nav li.current a, nav li a:hover { background: #1164a3; color: #fff; }
.who, .target { padding: 0 16px; font-size: 12px; color: #bca8bc; }
.who select { width: 100%; margin-top: 4px; padding: 4px; border-radius: 4px; }
.target code { color: #fff; background: transparent; border: 0; padding: 0; word-break: break-all; }
main { flex: 1; min-width: 0; display: flex; flex-direction: column; }
header { padding: 12px 20px; border-bottom: 1px solid #ddd; display: flex; align-items: baseline; gap: 12px; }
h1 { font-size: 18px; margin: 0; }
h2 { font-size: 14px; margin: 0 0 8px; color: #616061; }
.muted { color: #868686; font-size: 12px; }
.messages { padding: 8px 0; flex: 1; }
.msg { display: flex; gap: 10px; padding: 8px 20px; }
.msg:hover { background: #f8f8f8; }
.msg.ephemeral { background: #f4f9fd; border-left: 3px solid #1d9bd1; }
.avatar { width: 36px; height: 36px; flex: none; border-radius: 6px; background: #9a7b9a; color: #fff; display: flex; align-items: center; justify-content: center; font-weight: 700; font-size: 13px; }
.avatar.app { background: #2eb67d; }
.msg-body { flex: 1; min-width: 0; }
.msg-meta .author { font-weight: 900; }
.msg-meta time { color: #616061; font-size: 12px; margin-left: 4px; }
.badge.private { background: #fdf1d6; color: #8a5a00; }
.badge { background: #e8e8e8; color: #616061; font-size: 10px; font-weight: 700; padding: 1px 4px; border-radius: 3px; }
.edited { color: #868686; font-size: 12px; }
.eph-note { color: #1d9bd1; font-size: 12px; }
.b-header { font-size: 18px; font-weight: 900; margin: 4px 0; }
.b-section { display: flex; gap: 12px; margin: 4px 0; }
.b-main { flex: 1; min-width: 0; }
.b-text { white-space: normal; overflow-wrap: anywhere; }
.b-fields { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 16px; margin-top: 4px; }
.b-field { overflow-wrap: anywhere; }
.b-context { color: #616061; font-size: 12px; margin: 4px 0; display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.b-divider { border: 0; border-top: 1px solid #ddd; margin: 8px 0; }
.b-actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0 4px; }
.b-image .img-title { color: #616061; font-size: 12px; }
.img-alt { color: #616061; font-style: italic; }
.unsupported { color: #a0a0a0; font-size: 12px; }
.tombstone { color: #868686; font-style: italic; }
.btn { font: inherit; font-size: 14px; font-weight: 700; padding: 4px 12px; border-radius: 4px; border: 1px solid #bbb; background: #fff; color: #1d1c1d; cursor: pointer; }
.btn:hover { background: #f4f4f4; }
.btn:disabled { opacity: .5; cursor: progress; }
.btn-primary { background: #007a5a; border-color: #007a5a; color: #fff; }
.btn-primary:hover { background: #148567; }
.btn-danger { background: #e01e5a; border-color: #e01e5a; color: #fff; }
.btn-danger:hover { background: #e23067; }
.link-mark { font-weight: 400; }
.mention { background: #e8f5fa; color: #1264a3; border-radius: 3px; padding: 0 2px; }
code { font-family: Menlo, Consolas, monospace; font-size: 12px; background: #f6f6f6; border: 1px solid #e8e8e8; border-radius: 3px; padding: 0 3px; color: #e01e5a; }
pre { font-family: Menlo, Consolas, monospace; font-size: 12px; background: #f8f8f8; border: 1px solid #e8e8e8; border-radius: 4px; padding: 8px; white-space: pre-wrap; }
.quote { border-left: 4px solid #ddd; padding-left: 8px; display: inline-block; }
a { color: #1264a3; }
.thread { margin-top: 6px; border-left: 2px solid #e8e8e8; }
.thread .msg { padding: 6px 12px; }
.thread-count { color: #1264a3; font-size: 13px; font-weight: 700; padding-left: 12px; }
.click-status { margin: 0 20px; padding: 6px 10px; font-size: 13px; border-radius: 4px; min-height: 1.5em; }
.click-status.ok { background: #e7f6ef; color: #00573f; }
.click-status.bad { background: #fdecef; color: #a0153e; }
.panel { margin: 12px 20px; padding: 10px 14px; border: 1px solid #e8e8e8; border-radius: 6px; }
.deliveries { list-style: none; margin: 0; padding: 0; font-size: 13px; }
.deliveries li.ok .outcome { color: #007a5a; font-weight: 700; }
.deliveries li.bad .outcome { color: #e01e5a; font-weight: 700; }
table.channels { border-collapse: collapse; width: 100%; }
table.channels th, table.channels td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #eee; }
.empty { color: #868686; padding: 12px 20px; }
dialog { border: none; border-radius: 8px; box-shadow: 0 10px 40px rgba(0,0,0,.35); padding: 20px 24px; max-width: 440px; }
dialog::backdrop { background: rgba(0,0,0,.45); }
dialog h3 { margin: 0 0 8px; }
.dialog-buttons { display: flex; justify-content: flex-end; gap: 8px; margin-top: 16px; }
`;
