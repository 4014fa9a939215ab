/**
 * The orchestrator result (`OrchestratorState`) and its action shapes as durable-functions 3.x
 * emits them (lib/src/actions/*, OrchestratorState), and the `$OutOfProcData$` failure envelope.
 */
import type { FailureDetailsDto } from './history';
import type { RetryOptionsDto } from './model';

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

export interface OrchestratorAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  retryOptions?: RetryOptionsDto;
  instanceId?: string;
  version?: string;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  operation?: string;
  compoundActions?: OrchestratorAction[];
  httpRequest?: unknown;
}

export interface OrchestratorStateDto {
  isDone: boolean;
  actions: OrchestratorAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion?: number;
  failureDetails?: FailureDetailsDto;
}

/**
 * Action types that take a DTFx sequence number when the extension replays them. WaitForExternalEvent
 * and ContinueAsNew do not; the compound WhenAny/WhenAll do not (their children do).
 */
const CONSUMES_SEQUENCE = new Set<number>([
  ActionType.CallActivity,
  ActionType.CallActivityWithRetry,
  ActionType.CallSubOrchestrator,
  ActionType.CallSubOrchestratorWithRetry,
  ActionType.CreateTimer,
  ActionType.CallEntity,
  ActionType.CallHttp,
  ActionType.SignalEntity,
]);

export function consumesSequence(action: OrchestratorAction): boolean {
  return CONSUMES_SEQUENCE.has(action.actionType);
}

/** Depth-first, in scheduling order: how the extension walks WhenAll/WhenAny children. */
export function flattenActions(actions: readonly OrchestratorAction[]): OrchestratorAction[] {
  const out: OrchestratorAction[] = [];
  const visit = (action: OrchestratorAction): void => {
    if (action.actionType === ActionType.WhenAll || action.actionType === ActionType.WhenAny) {
      for (const child of action.compoundActions ?? []) visit(child);
    } else {
      out.push(action);
    }
  };
  for (const action of actions) visit(action);
  return out;
}

const OUT_OF_PROC_LABEL = '\n\n$OutOfProcData$:';

/**
 * An orchestrator that throws does not return its state: the SDK throws an error whose message is
 * `<friendly>\n\n$OutOfProcData$:<OrchestratorState JSON>` (and the friendly part is literally "false"
 * in 3.x). Returns the embedded state, or undefined for any other error.
 */
export function parseOutOfProcData(error: unknown): OrchestratorStateDto | undefined {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : undefined;
  if (message === undefined) return undefined;
  const at = message.indexOf(OUT_OF_PROC_LABEL);
  if (at < 0) return undefined;
  try {
    return JSON.parse(message.slice(at + OUT_OF_PROC_LABEL.length)) as OrchestratorStateDto;
  } catch {
    return undefined;
  }
}

export function isOrchestratorState(value: unknown): value is OrchestratorStateDto {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as OrchestratorStateDto).isDone === 'boolean' &&
    Array.isArray((value as OrchestratorStateDto).actions)
  );
}
