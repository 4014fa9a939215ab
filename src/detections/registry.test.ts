import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { ALL_DETECTION_IDS } from '../../dev/scenario';
import { DETECTIONS } from './registry';

describe('the detection registry', () => {
  it('lists unique, well-formed ids with metadata a responder can use', () => {
    const ids = DETECTIONS.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const d of DETECTIONS) {
      expect(d.id).toMatch(/^(slack\.audit|meraki\.[a-z]+)\.[a-z0-9-]+$/);
      expect(d.title.length).toBeGreaterThan(5);
      expect(d.description.length).toBeGreaterThan(40);
      for (const t of d.mitre) expect(t).toMatch(/^TA\d{4}:T\d{4}(\.\d{3})?$/);
      expect(d.defaults).toMatchObject({ enabled: true });
    }
  });

  it('covers every detection id the scenario tags its incidents with', () => {
    const ids = DETECTIONS.map((d) => d.id);
    for (const id of ALL_DETECTION_IDS) expect(ids).toContain(id);
  });

  it('has a colocated test for every detection file', () => {
    for (const d of DETECTIONS) {
      const [source = '', area = '', name = ''] = d.id.split('.');
      const folder = join(__dirname, source);
      const base = [join(folder, name), join(folder, `${area}-${name}`)].find((c) => existsSync(`${c}.ts`));
      expect(base, `${d.id} has a file`).toBeDefined();
      expect(existsSync(`${base ?? ''}.test.ts`), `${d.id} has a colocated test`).toBe(true);
    }
  });
});
