/** The data coverage in memory: per stream the oldest event time, only ever moving back. */
import type { DetectionStream } from '../../src/detections/define';
import type { CoverageStore } from '../../src/state/coverage';

export class MemoryCoverageStore implements CoverageStore {
  readonly since = new Map<DetectionStream, number>();

  read(): Promise<Map<DetectionStream, number>> {
    return Promise.resolve(new Map(this.since));
  }

  extend(stream: DetectionStream, since: number): Promise<void> {
    const known = this.since.get(stream);
    if (known === undefined || since < known) this.since.set(stream, since);
    return Promise.resolve();
  }
}
