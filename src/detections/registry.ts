/** Every detection, listed explicitly (no globbing): what is not here does not run. */
import type { Detection } from './define';
import { massDownload } from './slack/mass-download';
import { sensitiveFileDownloads } from './slack/sensitive-file-downloads';

export const DETECTIONS: readonly Detection[] = Object.freeze([massDownload, sensitiveFileDownloads]);

export function detectionById(id: string): Detection | undefined {
  return DETECTIONS.find((d) => d.id === id);
}
