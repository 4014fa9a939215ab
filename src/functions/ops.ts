/**
 * Ops: `GET /api/ops/status` and `POST /api/ops/cycle` (function key; `POST /api/ops/backfill`
 * lives with collection), and the hook that tags every activity and orchestration log line with its
 * orchestration instance and cycle id. Logic lives in ops/; this module only registers.
 */
import * as df from 'durable-functions';

import { handleOpsStatus, handleRunCycle } from '../ops/handlers';
import { checkDeclaredLength } from './http-body';
import { registerLogScopeHook, scopedLogger } from '../ops/log';
import { CYCLE_INSTANCE_ID } from '../contracts';

registerLogScopeHook();

df.app.client.http('opsStatus', {
  route: 'ops/status',
  methods: ['GET'],
  authLevel: 'function',
  handler: (request, client, context) => {
    const tooLarge = checkDeclaredLength(request);
    if (tooLarge !== undefined && !tooLarge.ok) return Promise.resolve(tooLarge.response);
    const log = scopedLogger(context);
    return handleOpsStatus({
      durable: client,
      log: (message) => {
        log.warn(message);
      },
    });
  },
});

df.app.client.http('runCycle', {
  route: 'ops/cycle',
  methods: ['POST'],
  authLevel: 'function',
  handler: (request, client, context) => {
    // The endpoint reads no body: one over the cap is refused unread, like every trigger's.
    const tooLarge = checkDeclaredLength(request);
    if (tooLarge !== undefined && !tooLarge.ok) return Promise.resolve(tooLarge.response);
    const log = scopedLogger(context, { instanceId: CYCLE_INSTANCE_ID });
    return handleRunCycle(request, client, new Date(), (message) => {
      log.info(message);
    });
  },
});
