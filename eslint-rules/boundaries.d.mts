import type { Linter } from 'eslint';

export interface Zone {
  name: string;
  files: string;
  forbidPaths: string[];
  forbidModules: RegExp[];
  typeImportsAllowed?: boolean;
  why: string;
}
export declare const ZONES: Zone[];
export declare function violations(
  file: string,
  specifier: string,
  typeOnly: boolean,
  zones?: Zone[],
): { zone: Zone; target: string }[];
export declare const boundariesConfig: Linter.Config;
