import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';

import { configStatus } from '../config';
import { checkDeclaredLength } from './http-body';
import { APP_VERSION } from '../version';

/** Liveness and configuration state; anonymous, so it reports problems by setting name only, never values. */
export async function health(request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const tooLarge = checkDeclaredLength(request);
  if (tooLarge !== undefined && !tooLarge.ok) return tooLarge.response;
  const status = configStatus();
  return Promise.resolve({
    status: status.loaded ? 200 : 503,
    jsonBody: {
      status: status.loaded ? 'ok' : 'degraded',
      version: APP_VERSION,
      config: status.loaded ? { loaded: true } : { loaded: false, problems: status.problems },
    },
    headers: { 'cache-control': 'no-store' },
  });
}

app.http('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: health });
