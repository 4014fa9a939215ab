/**
 * Detections: the `evaluateDetections` activity. The detections configuration document is
 * validated when the app loads (when the rest of the configuration is valid), so a bad value stops
 * the app at startup with a message naming the detection, the field and the fix.
 */
import * as df from 'durable-functions';

import { evaluateDetectionsActivity } from '../activities/evaluate-detections';
import { configStatus, getConfig } from '../config';
import { configuredDetections } from '../detections/config';
import { ActivityNames } from '../contracts';

if (configStatus().loaded) configuredDetections(getConfig().detectionsConfig);

df.app.activity(ActivityNames.evaluateDetections, { handler: evaluateDetectionsActivity });
