/**
 * Durable runtime statuses as Sentry reads them, in one place (the files that read them used to
 * disagree about `Suspended`):
 * - live: the instance exists and has not ended, so starting another with its id would clash;
 *   a suspended instance is live (it resumes where it stopped);
 * - running: live and not suspended, so it reacts to events and timers now.
 */
export const LIVE_STATUSES: ReadonlySet<string> = new Set(['Running', 'Pending', 'ContinuedAsNew', 'Suspended']);
export const RUNNING_STATUSES: ReadonlySet<string> = new Set(['Running', 'Pending', 'ContinuedAsNew']);
/** Ended without completing: the id may be started again. */
export const RESTARTABLE_STATUSES: ReadonlySet<string> = new Set(['Failed', 'Terminated', 'Canceled']);

export const isLive = (status: string | undefined): boolean => status !== undefined && LIVE_STATUSES.has(status);
export const isRunning = (status: string | undefined): boolean => status !== undefined && RUNNING_STATUSES.has(status);
