/**
 * Host loggers. Every line names the function, the invocation id and (for durable work) the
 * orchestration instance id when the caller knows them, so one grep follows one invocation.
 */
import type { HostLogger, LogFields, LogLevel } from './invoker';

const LEVEL_RANK: Record<LogLevel, number> = {
  trace: 0,
  debug: 1,
  information: 2,
  warning: 3,
  error: 4,
  critical: 5,
  none: 6,
};

const LEVEL_LABEL: Record<LogLevel, string> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  information: 'INFO ',
  warning: 'WARN ',
  error: 'ERROR',
  critical: 'CRIT ',
  none: '     ',
};

const LEVEL_COLOR: Partial<Record<LogLevel, string>> = {
  trace: '\x1b[90m',
  debug: '\x1b[90m',
  warning: '\x1b[33m',
  error: '\x1b[31m',
  critical: '\x1b[35m',
};

export interface LogRecord {
  time: Date;
  level: LogLevel;
  message: string;
  fields: LogFields;
}

/** One readable line: `time LEVEL [function] message (invocationId=…, instanceId=…, key=value)`. */
export function formatLogLine(record: LogRecord): string {
  const { functionName, invocationId, instanceId, ...rest } = record.fields;
  const scope = functionName === undefined ? '' : `[${functionName}] `;
  const tags: string[] = [];
  if (invocationId !== undefined) tags.push(`invocationId=${invocationId}`);
  if (instanceId !== undefined) tags.push(`instanceId=${instanceId}`);
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) tags.push(`${key}=${String(value)}`);
  }
  const suffix = tags.length > 0 ? ` (${tags.join(', ')})` : '';
  return `${record.time.toISOString()} ${LEVEL_LABEL[record.level]} ${scope}${record.message}${suffix}`;
}

export interface ConsoleLoggerOptions {
  /** Lines below this level are dropped. Default: information. */
  minLevel?: LogLevel;
  /** Default: process.stderr for warnings and errors, process.stdout otherwise. */
  write?: (line: string, level: LogLevel) => void;
  /** Default: when the stream is a TTY. */
  color?: boolean;
}

export function createConsoleLogger(options: ConsoleLoggerOptions = {}): HostLogger {
  const minRank = LEVEL_RANK[options.minLevel ?? 'information'];
  const color = options.color ?? (process.stdout.isTTY && process.env.NO_COLOR === undefined);
  const write =
    options.write ??
    ((line: string, level: LogLevel) => {
      const stream = LEVEL_RANK[level] >= LEVEL_RANK.warning ? process.stderr : process.stdout;
      stream.write(`${line}\n`);
    });
  return (level, message, fields = {}) => {
    if (level === 'none' || LEVEL_RANK[level] < minRank) return;
    const line = formatLogLine({ time: new Date(), level, message, fields });
    const tint = color ? LEVEL_COLOR[level] : undefined;
    write(tint === undefined ? line : `${tint}${line}\x1b[0m`, level);
  };
}

export interface MemoryLogger {
  logger: HostLogger;
  records: LogRecord[];
  /** All lines, formatted as the console logger would. */
  text(): string;
}

/** Captures records for tests; optionally forwards them (e.g. to the console while debugging). */
export function createMemoryLogger(forward?: HostLogger): MemoryLogger {
  const records: LogRecord[] = [];
  return {
    records,
    logger: (level, message, fields = {}) => {
      records.push({ time: new Date(), level, message, fields: { ...fields } });
      forward?.(level, message, fields);
    },
    text: () => records.map(formatLogLine).join('\n'),
  };
}

/** The message and stack of an error for a host-side log line (never sent to HTTP clients). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  if (typeof error === 'string') return error;
  // JSON.stringify returns undefined for undefined and functions.
  const json = JSON.stringify(error) as unknown;
  return typeof json === 'string' ? json : String(error);
}

/** The message of anything thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : describeError(error);
}
