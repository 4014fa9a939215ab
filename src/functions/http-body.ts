/**
 * Reading an HTTP trigger's body with a size cap, after the headers were checked: a declared
 * `Content-Length` over the cap is refused with 413 before a byte is read, and a body sent without one
 * (chunked) is read only until it passes the cap, then dropped. Nothing past the cap is buffered.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';

/** The largest body any Sentry HTTP trigger accepts. */
export const MAX_BODY_BYTES = 1024 * 1024;

export type BodyResult = { ok: true; text: string } | { ok: false; response: HttpResponseInit };

const refuse = (status: number, error: string): BodyResult => ({
  ok: false,
  response: { status, jsonBody: { error }, headers: { 'cache-control': 'no-store' } },
});

/** The request's `Content-Length` over `maxBytes` (or not a number): the refusal; else undefined. */
export function checkDeclaredLength(request: HttpRequest, maxBytes = MAX_BODY_BYTES): BodyResult | undefined {
  const declared = request.headers.get('content-length');
  if (declared === null) return undefined;
  if (!/^\d{1,15}$/.test(declared.trim())) return refuse(400, 'invalid_content_length');
  return Number(declared) > maxBytes ? refuse(413, 'payload_too_large') : undefined;
}

/** The body as UTF-8 text, or a 413/400 refusal; never reads more than `maxBytes` (+ one chunk). */
export async function readBody(request: HttpRequest, maxBytes = MAX_BODY_BYTES): Promise<BodyResult> {
  const declared = checkDeclaredLength(request, maxBytes);
  if (declared !== undefined) return declared;
  const body = request.body as ReadableStream<Uint8Array> | null;
  if (body === null) return { ok: true, text: '' };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return refuse(413, 'payload_too_large');
    }
    chunks.push(value);
  }
  return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
}
