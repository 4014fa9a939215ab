/**
 * The incident workflow: the `incident` orchestration and its activities, and `dispatchIncidents`
 * (the cycle's hand-off from detections), which needs the durable client binding to start and signal
 * incidents.
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { dispatchIncidentsActivity } from '../activities/dispatch-incidents';
import {
  notifyResponderActivity,
  postIncidentReplyActivity,
  publishIncidentAlertActivity,
} from '../activities/incident-alert';
import { incidentDeps } from '../activities/incident-deps';
import { recordResponseActivity } from '../activities/record-response';
import {
  authorizeResponderActivity,
  checkTargetsActivity,
  runResponseActionActivity,
} from '../activities/response-action';
import { incidentOrchestrator } from '../orchestrators/incident';
import { ActivityNames, OrchestratorNames } from '../contracts';
import { heldBackMessage } from '../slack/blocks/held-back';
import { callSlack } from '../slack/web-client';
import { findingsOfCycle } from '../activities/evaluate-detections';
import { configuredDetections } from '../detections/config';
import { TableFindingStore } from '../state/findings';

df.app.orchestration(OrchestratorNames.incident, incidentOrchestrator);

df.app.activity(ActivityNames.dispatchIncidents, {
  extraInputs: [df.input.durableClient()],
  handler: dispatchIncidentsActivity((context: InvocationContext) => {
    const deps = incidentDeps();
    return {
      client: df.getClient(context),
      config: deps.config,
      isSnoozed: (detectionId, subject, now) => deps.snoozes.isSnoozed(detectionId, subject, now),
      summary: (incidentId) => deps.incidents.getSummary(incidentId),
      reported: (cycleId) =>
        findingsOfCycle(
          new TableFindingStore(deps.config),
          cycleId,
          configuredDetections(deps.config.detectionsConfig),
        ),
      now: deps.now,
      responseKey: deps.responseKey,
      postHeldBack: async (heldBack) => {
        const channel = deps.config.slack.incidentChannel;
        if (channel === undefined) return;
        const content = heldBackMessage(heldBack);
        await callSlack(deps.bot(), 'chat.postMessage', {
          channel,
          text: content.text,
          blocks: content.blocks,
          unfurl_links: false,
          unfurl_media: false,
        });
      },
    };
  }),
});
df.app.activity(ActivityNames.publishIncidentAlert, { handler: publishIncidentAlertActivity });
df.app.activity(ActivityNames.postIncidentReply, { handler: postIncidentReplyActivity });
df.app.activity(ActivityNames.notifyResponder, { handler: notifyResponderActivity });
df.app.activity(ActivityNames.authorizeResponder, { handler: authorizeResponderActivity });
df.app.activity(ActivityNames.checkTargets, { handler: checkTargetsActivity });
df.app.activity(ActivityNames.runResponseAction, { handler: runResponseActionActivity });
df.app.activity(ActivityNames.recordResponse, { handler: recordResponseActivity });
