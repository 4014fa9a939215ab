export {
  DEFAULT_DCR_ID,
  ERROR_CODES,
  MAX_REQUEST_BYTES,
  MONITOR_AUDIENCE,
  startIngestionEmulator,
  SUPPORTED_API_VERSIONS,
} from './ingestion-emulator';
export type {
  DcrDefinition,
  IngestionEmulator,
  IngestionEmulatorOptions,
  TableInfo,
  UploadRecord,
} from './ingestion-emulator';
export { AZURE_BUDGET, DcrBudget } from './budget';
export type { BudgetOptions } from './budget';
export { RECEIVED_COLUMN, RowStore } from './store';
export type { QueryOptions, RequestRecord, Row, TableStats } from './store';
export {
  checkRows,
  COLUMN_TYPES,
  DEFAULT_STREAMS_FILE,
  loadStreamDeclarations,
  SCHEMA_POLICIES,
  StreamDeclaration,
  StreamsFile,
} from './streams';
export type { ColumnType, SchemaIssue, SchemaPolicy } from './streams';
