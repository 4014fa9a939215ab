import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { ConfigError } from '../errors';
import { parseDetectionsConfig } from './config';
import { DETECTIONS } from './registry';

function problemsOf(value: string): string[] {
  try {
    parseDetectionsConfig(value);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('SENTRY_DETECTIONS_CONFIG', () => {
  it('configures every registered detection with its defaults when unset', () => {
    const configured = parseDetectionsConfig(undefined);
    expect(configured.map((d) => d.detection.id)).toEqual(DETECTIONS.map((d) => d.id));
    expect(configured.every((d) => d.enabled)).toBe(true);
    const mass = configured.find((d) => d.detection.id === 'slack.audit.mass-download');
    expect(mass?.config).toMatchObject({ threshold: 20, windowMinutes: 1440 });
  });

  it('applies per-detection overrides and the "*" switch', () => {
    const configured = parseDetectionsConfig(
      JSON.stringify({ '*': { enabled: false }, 'slack.audit.mass-download': { enabled: true, threshold: 40 } }),
    );
    expect(configured.filter((d) => d.enabled).map((d) => d.detection.id)).toEqual(['slack.audit.mass-download']);
    expect(configured.find((d) => d.enabled)?.config).toMatchObject({ threshold: 40 });
  });

  it('names the detection, the field and the fix for a bad value', () => {
    const problems = problemsOf(
      JSON.stringify({ 'slack.audit.mass-download': { threshold: -3, windowMinutes: 'a day' } }),
    );
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(
      /detection slack\.audit\.mass-download, field threshold: .*fix: use a value of at least 0/,
    );
    expect(problems[1]).toMatch(
      /detection slack\.audit\.mass-download, field windowMinutes: .*fix: use a number value/,
    );
  });

  it('rejects unknown fields (a typo never silently keeps a default) and lists the known ones', () => {
    const [problem] = problemsOf(JSON.stringify({ 'slack.audit.user-many-ips': { treshold: 5 } }));
    expect(problem).toMatch(/field treshold: .*fix: remove treshold; known fields: enabled, severity, threshold/);
  });

  it('rejects unknown detection ids with a suggestion, bad severities, and non-objects', () => {
    expect(problemsOf(JSON.stringify({ 'slack.mass-download': {} }))[0]).toMatch(
      /unknown detection "slack.mass-download".*did you mean slack\.audit\.mass-download/,
    );
    expect(problemsOf(JSON.stringify({ 'slack.audit.anomaly': { severity: 'urgent' } }))[0]).toMatch(
      /field severity: .*use one of "informational", "low", "medium", "high", "critical"/,
    );
    expect(problemsOf(JSON.stringify({ 'slack.audit.anomaly': true }))[0]).toMatch(
      /slack\.audit\.anomaly must be an object of overrides/,
    );
    expect(problemsOf('[1,2]')[0]).toMatch(/must be a JSON object keyed by detection id/);
    expect(problemsOf('{"a":')[0]).toMatch(/is not valid JSON/);
  });

  it('reads the document from a file path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'detections-config-'));
    try {
      const file = join(dir, 'detections.json');
      writeFileSync(file, JSON.stringify({ 'slack.audit.anomaly': { enabled: false } }));
      expect(parseDetectionsConfig(file).find((d) => d.detection.id === 'slack.audit.anomaly')?.enabled).toBe(false);
      expect(problemsOf(join(dir, 'missing.json'))[0]).toMatch(/neither a JSON object nor a readable file \(ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
