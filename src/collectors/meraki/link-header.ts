/**
 * RFC 8288 `Link` header parsing for Meraki paging. Meraki sends several links in one header with
 * an unquoted rel (`<…?startingAfter=0000>; rel=first, <…>; rel=next, <…>; rel=last`); other
 * servers quote it (`rel="next"`) or list several rels at once (`rel="prev first"`). URLs are taken
 * verbatim: paging tokens are opaque and must not be built by the client.
 */

/** Map of rel → URL (the first link wins when a rel repeats). */
export function parseLinkHeader(value: string | null | undefined): Record<string, string> {
  const links: Record<string, string> = {};
  if (value === null || value === undefined) return links;
  let position = 0;
  while (position < value.length) {
    const open = value.indexOf('<', position);
    if (open === -1) break;
    const close = value.indexOf('>', open + 1);
    if (close === -1) break;
    const url = value.slice(open + 1, close).trim();
    // Parameters run until the next link starts: a comma followed by optional space and '<'.
    const rest = value.slice(close + 1);
    const nextLink = rest.search(/,\s*</);
    const params = nextLink === -1 ? rest : rest.slice(0, nextLink);
    position = nextLink === -1 ? value.length : close + 1 + nextLink + 1;
    for (const param of params.split(';')) {
      const match = /^\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))\s*$/i.exec(param);
      if (match === null) continue;
      for (const rel of (match[1] ?? match[2] ?? '').split(/\s+/)) {
        const key = rel.toLowerCase();
        if (key !== '' && links[key] === undefined) links[key] = url;
      }
    }
  }
  return links;
}
