/**
 * The single entry point (package.json `main`). Every registration module is imported here
 * explicitly, so what the Functions host indexes is exactly this list.
 */
import { app } from '@azure/functions';

import './functions/collection';
import './functions/detections';
import './functions/health';
import './functions/incident';
import './functions/ops';
import './functions/slack-interactivity';

app.setup({ enableHttpStream: false });
