/**
 * Fault injection shared by every emulator. Faults are switched on at runtime, by tests in-process
 * (`emulator.faults.add(...)`) or from another process over HTTP (`POST /_faults`), and each one
 * applies to matching requests until its count is used up (or forever without a count).
 *
 * Generic kinds are applied by the server before routing:
 * - `status`: answer with a status (429 storms with Retry-After, 5xx bursts) instead of the route;
 * - `latency`: delay the route by `ms`;
 * - `drop`: destroy the socket without answering;
 * - `malformed`: run the route but cut its body in half (a truncated JSON page).
 * Emulator-specific kinds (e.g. `invalidRecords`, `tokenExpiry`) are consumed by the emulator itself
 * through `take(kind, request)`.
 */
import { z } from 'zod';

export const FaultSpec = z.object({
  kind: z.string().min(1),
  /** How many matching requests it applies to; absent means until cleared. */
  count: z.number().int().positive().optional(),
  /** Restrict to a method and/or a path prefix or regex source (`^/audit/v1/logs`). */
  match: z
    .object({
      method: z.string().optional(),
      path: z.string().optional(),
    })
    .optional(),
  status: z.number().int().min(100).max(599).optional(),
  retryAfterSec: z.number().nonnegative().optional(),
  body: z.string().optional(),
  ms: z.number().int().nonnegative().optional(),
  /** Free-form parameters for emulator-specific kinds. */
  params: z.record(z.string(), z.unknown()).optional(),
});
export type FaultSpec = z.infer<typeof FaultSpec>;

export interface ActiveFault extends FaultSpec {
  id: number;
  remaining: number;
  hits: number;
}

export interface RequestLike {
  method?: string | undefined;
  url?: string | undefined;
}

function matches(fault: FaultSpec, request: RequestLike): boolean {
  const match = fault.match;
  if (match === undefined) return true;
  if (match.method !== undefined && match.method.toUpperCase() !== (request.method ?? 'GET').toUpperCase()) return false;
  if (match.path !== undefined) {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (match.path.startsWith('^')) return new RegExp(match.path).test(path);
    return path.startsWith(match.path);
  }
  return true;
}

export class FaultInjector {
  private readonly active: ActiveFault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): number {
    const parsed = FaultSpec.parse(spec);
    const id = this.nextId++;
    this.active.push({ ...parsed, id, remaining: parsed.count ?? Number.POSITIVE_INFINITY, hits: 0 });
    return id;
  }

  remove(id: number): void {
    const index = this.active.findIndex((fault) => fault.id === id);
    if (index >= 0) this.active.splice(index, 1);
  }

  clear(): void {
    this.active.length = 0;
  }

  list(): readonly ActiveFault[] {
    return this.active.map((fault) => ({ ...fault }));
  }

  /** Consumes one application of the first active fault of one of these kinds matching the request. */
  take(kinds: string | readonly string[], request: RequestLike): ActiveFault | undefined {
    const wanted = typeof kinds === 'string' ? [kinds] : kinds;
    const fault = this.active.find((f) => wanted.includes(f.kind) && f.remaining > 0 && matches(f, request));
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    fault.hits += 1;
    if (fault.remaining <= 0) this.remove(fault.id);
    return { ...fault };
  }

  /** Whether a fault of this kind is active for the request, without consuming it. */
  peek(kind: string, request: RequestLike): ActiveFault | undefined {
    const fault = this.active.find((f) => f.kind === kind && f.remaining > 0 && matches(f, request));
    return fault === undefined ? undefined : { ...fault };
  }
}
