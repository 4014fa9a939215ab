/**
 * Billable size of a row the way Log Analytics meters it: the sum of the sizes of the non-empty
 * column values in their string form (strings as UTF-8, numbers and booleans as text, dynamic values
 * as compact JSON). Column names and empty values cost nothing.
 */
import { utf8Length } from './columns';

export function billableBytes(row: Readonly<Record<string, unknown>>): number {
  let total = 0;
  for (const value of Object.values(row)) {
    if (value === undefined || value === null || value === '') continue;
    if (typeof value === 'string') total += utf8Length(value);
    else if (typeof value === 'number' || typeof value === 'boolean') total += String(value).length;
    else total += utf8Length(JSON.stringify(value));
  }
  return total;
}
