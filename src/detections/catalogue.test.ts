import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { format, resolveConfig } from 'prettier';
import { describe, expect, it } from 'vitest';

import { CATALOGUE_END, CATALOGUE_START, renderDetectionCatalogue, withCatalogue } from './catalogue';
import { DETECTIONS } from './registry';

const DOC = resolve(__dirname, '../../docs/detections.md');

describe('docs/detections.md', () => {
  it('holds the catalogue of the registry as it is (run `npm run gen:detections`)', async () => {
    const doc = readFileSync(DOC, 'utf8');
    const expected = await format(withCatalogue(doc, renderDetectionCatalogue(DETECTIONS)), {
      ...(await resolveConfig(DOC)),
      filepath: DOC,
    });
    expect(expected, 'docs/detections.md is stale').toBe(doc);
  });

  it('names every rule, the rules that need configuration and what they assume', () => {
    const catalogue = renderDetectionCatalogue(DETECTIONS);
    for (const d of DETECTIONS) expect(catalogue).toContain(`### ${d.id}`);
    expect(catalogue).toMatch(/slack\.audit\.sensitive-file-downloads.*needs configuration/);
    expect(catalogue).toContain('**Needs configuration:** what the organization calls sensitive');
    expect(catalogue).toMatch(/slack\.audit\.blocked-mfa-login.*check the assumption/);
    expect(catalogue).toMatch(/slack\.audit\.mass-download\S* \| medium \| 7 \|/);
  });

  it('replaces only its own part of the page', () => {
    const doc = `# Title\n\nintro\n\n${CATALOGUE_START}\nold\n${CATALOGUE_END}\n\nafter\n`;
    expect(withCatalogue(doc, `${CATALOGUE_START}\nnew\n${CATALOGUE_END}`)).toBe(
      `# Title\n\nintro\n\n${CATALOGUE_START}\nnew\n${CATALOGUE_END}\n\nafter\n`,
    );
    expect(withCatalogue('# Bare\n', 'X')).toBe('# Bare\n\nX\n');
  });
});
