/**
 * The attribution the scenario tests judge findings by: each incident gets exactly its tags, every
 * finding belongs to an incident, none is raised twice, and each problem is named.
 */
import { describe, expect, it } from 'vitest';

import { generateScenario } from '../../dev/scenario';
import { attributeFindings, attributionProblems, type SeenFinding } from './scenario-detections';

const scenario = generateScenario({ seed: 20260302, now: '2026-03-02T12:00:00Z', days: 3 });
const exact: SeenFinding[] = scenario.incidents.flatMap((i) =>
  i.detectionIds.map((detectionId) => ({ detectionId, subjectId: i.subject })),
);

describe('attributeFindings', () => {
  it('finds nothing wrong when every incident got exactly its tagged findings', () => {
    expect(scenario.incidents.length).toBeGreaterThan(0);
    expect(attributionProblems(attributeFindings(scenario, exact))).toEqual([]);
  });

  it('names a missing finding, an extra one on an incident, one outside every incident, and a repeat', () => {
    const [first, second] = scenario.incidents;
    if (first === undefined || second === undefined) throw new Error('the scenario has fewer than 2 incidents');
    const seen = [
      ...exact.filter((f) => f.subjectId !== first.subject),
      { detectionId: 'slack.audit.user-many-ips', subjectId: second.subject },
      { detectionId: 'slack.audit.anomaly', subjectId: 'W0NOBODY' },
      ...exact.filter((f) => f.subjectId === second.subject),
    ];
    const problems = attributionProblems(attributeFindings(scenario, seen));
    expect(problems).toContain(`${first.id} (${first.subject}): missing ${first.detectionIds.join(', ')}`);
    expect(problems).toContain(`${second.id} (${second.subject}): extra slack.audit.user-many-ips`);
    expect(problems).toContain('finding outside every incident: slack.audit.anomaly|W0NOBODY');
    for (const d of second.detectionIds)
      expect(problems).toContain(`finding raised more than once: ${d}|${second.subject}`);
    expect(problems).toHaveLength(3 + second.detectionIds.length);
  });
});
