/**
 * Renders the Bicep-ready JSON under `infra/bicep/generated/` from the stream registry. Pure: the
 * generator script writes these strings, and a test regenerates them in memory to catch stale files.
 */
import { DCR_TO_TABLE_TYPE } from './columns';
import { type StreamDefinition, streamList } from './streams';

/** Name of the Log Analytics destination inside the DCR that every data flow targets. */
export const DCR_DESTINATION_NAME = 'sentryWorkspace';

export const GENERATED_DIR = 'infra/bicep/generated';

function render(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** File name (relative to `GENERATED_DIR`) → exact file content. */
export function renderStreamArtifacts(list: readonly StreamDefinition[] = streamList): Record<string, string> {
  const streamsJson = {
    streams: list.map((s) => ({
      stream: s.stream,
      table: s.table,
      columns: s.columns.map((c) => ({ name: c.name, type: c.type, description: c.description })),
    })),
  };
  const declarations = Object.fromEntries(
    list.map((s) => [s.stream, { columns: s.columns.map((c) => ({ name: c.name, type: c.type })) }]),
  );
  const dataFlows = list.map((s) => ({
    streams: [s.stream],
    destinations: [DCR_DESTINATION_NAME],
    transformKql: 'source',
    outputStream: s.outputStream,
  }));
  const tables = list.map((s) => ({
    name: s.table,
    columns: s.columns.map((c) => ({ name: c.name, type: DCR_TO_TABLE_TYPE[c.type], description: c.description })),
  }));
  return {
    'streams.json': render(streamsJson),
    'dcr-stream-declarations.json': render(declarations),
    'dcr-data-flows.json': render(dataFlows),
    'tables.json': render(tables),
  };
}
