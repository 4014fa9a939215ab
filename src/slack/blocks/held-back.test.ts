import { describe, expect, it } from 'vitest';

import { checkBlocks } from '../../../dev/emulators/slack/blocks';
import { HELD_BACK_SHOWN, heldBackMessage } from './held-back';

const EVIL = '<!channel> *boom* <https://evil.example|login>';

describe('the held-back summary', () => {
  it('names what was held back, says where it is, and stays valid, safe Block Kit', () => {
    const findings = Array.from({ length: HELD_BACK_SHOWN + 4 }, (_, i) => ({
      severity: 'high',
      title: `t${String(i)}`,
      subject: { type: 'device', id: `Q2XX-${String(i)}`, name: i === 0 ? EVIL : undefined },
      firstSeen: '2026-03-02T09:00:00.000Z',
      lastSeen: '2026-03-02T09:05:00.000Z',
      count: 2,
    }));
    const message = heldBackMessage({
      detectionId: 'meraki.uplink.public-ip-change',
      detectionTitle: 'Meraki appliance public IP changed',
      opened: 10,
      limit: 10,
      findings,
    });
    expect(checkBlocks(message.blocks).ok).toBe(true);
    const all = JSON.stringify(message);
    expect(all).toContain(`${String(HELD_BACK_SHOWN + 4)} more findings`);
    expect(all).toContain('SentryFinding_CL');
    expect(all).toContain('SENTRY_INCIDENT_MAX_NEW_PER_DETECTION');
    expect(all).toContain('… and 4 more');
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('<https://');
    expect(JSON.stringify(message.blocks)).not.toContain('"type":"actions"');
  });
});
