import { describe, expect, it } from 'vitest';

import type { DetectionStream } from './define';
import { massDownload } from './slack/mass-download';
import { privilegeEscalation } from './slack/privilege-escalation';
import { sensitiveFileDownloads } from './slack/sensitive-file-downloads';
import { siteOffline } from './meraki/site-offline';
import { coverageSince, detectionStatus } from './status';

const DAY = 86_400;
const NOW = 1_767_225_600;
const covered = (entries: [DetectionStream, number][]) => new Map(entries);

describe('detection status', () => {
  it('a rule with a baseline learns for its learning days from the first data, then judges', () => {
    const d = massDownload.configure();
    expect(detectionStatus(d, covered([]), NOW)).toMatchObject({ state: 'learning', learningUntil: null });
    expect(detectionStatus(d, covered([]), NOW).note).toContain('No data yet');
    const learning = detectionStatus(d, covered([['slackAudit', NOW - 6 * DAY]]), NOW);
    expect(learning).toMatchObject({ state: 'learning', learningDays: 7 });
    expect(learning.learningUntil).toBe(new Date((NOW + DAY) * 1000).toISOString());
    // A backfill that reaches back seven days ends the learning at once.
    expect(detectionStatus(d, covered([['slackAudit', NOW - 7 * DAY]]), NOW).state).toBe('active');
    expect(
      detectionStatus(massDownload.configure({ learningDays: 1 }), covered([['slackAudit', NOW - DAY]]), NOW).state,
    ).toBe('active');
  });

  it('a rule that needs configuration says what; one switched off says so', () => {
    const needs = detectionStatus(sensitiveFileDownloads.configure(), covered([]), NOW);
    expect(needs.state).toBe('needs-configuration');
    expect(needs.note).toMatch(/sensitiveChannelIds.*sensitiveFileNamePatterns.*sensitiveFileIds/);
    expect(
      detectionStatus(sensitiveFileDownloads.configure({ sensitiveChannelIds: ['C1'] }), covered([]), NOW).state,
    ).toBe('active');
    expect(detectionStatus(privilegeEscalation.configure({ enabled: false }), covered([]), NOW).state).toBe('disabled');
    expect(detectionStatus(privilegeEscalation.configure(), covered([]), NOW)).toMatchObject({
      state: 'active',
      note: null,
    });
  });

  it('a rule over several streams counts from the latest start among those with data', () => {
    expect(coverageSince(siteOffline.streams, covered([]))).toBeUndefined();
    expect(coverageSince(['merakiUplink', 'merakiDevice'], covered([['merakiUplink', 5]]))).toBe(5);
    expect(
      coverageSince(
        ['merakiUplink', 'merakiDevice'],
        covered([
          ['merakiUplink', 5],
          ['merakiDevice', 9],
        ]),
      ),
    ).toBe(9);
  });
});
