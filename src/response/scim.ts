/**
 * Slack SCIM 1.1 (`/scim/v1/Users`) for deactivation. SCIM is a REST API (GET/DELETE), not a Web
 * API method, so it cannot go through WebClient. Slack documents DELETE as deactivating the user
 * (the user is kept, marked inactive, signed out everywhere); we read the user first so a repeat is
 * a no-op. Errors come as `{"Errors":{"description","code"}}`.
 */
import { AppError, ErrorCode, HttpStatusError } from '../errors';

type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface ScimUser {
  id: string;
  userName?: string | undefined;
  active: boolean;
}

export interface ScimClientOptions {
  baseUrl: string;
  token: string;
  fetch?: FetchLike;
  timeoutMs?: number;
}

export class ScimClient {
  private readonly base: string;
  private readonly fetch: FetchLike;

  constructor(private readonly options: ScimClientOptions) {
    if (options.token.trim() === '') throw new AppError(ErrorCode.ConfigInvalid, 'SENTRY_SLACK_SCIM_TOKEN is not set');
    this.base = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** The user, or undefined when SCIM does not know the id. */
  async getUser(id: string): Promise<ScimUser | undefined> {
    const response = await this.send('GET', id);
    if (response.status === 404) return undefined;
    await this.ensureOk(response, 'GET');
    const body = (await response.json()) as { id?: unknown; userName?: unknown; active?: unknown };
    return {
      id: typeof body.id === 'string' ? body.id : id,
      userName: typeof body.userName === 'string' ? body.userName : undefined,
      active: body.active !== false,
    };
  }

  /** Deactivates the user (DELETE); throws HttpStatusError on refusal. */
  async deactivate(id: string): Promise<void> {
    const response = await this.send('DELETE', id);
    await this.ensureOk(response, 'DELETE');
    await response.arrayBuffer();
  }

  private async send(method: 'GET' | 'DELETE', id: string): Promise<Response> {
    try {
      return await this.fetch(`${this.base}Users/${encodeURIComponent(id)}`, {
        method,
        headers: { authorization: `Bearer ${this.options.token}`, accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new AppError(
        ErrorCode.SlackApiError,
        `Slack SCIM ${method} could not be reached: ${(error as Error).message}`,
        {
          retriable: true,
          cause: error,
        },
      );
    }
  }

  private async ensureOk(response: Response, method: string): Promise<void> {
    if (response.ok) return;
    let detail = response.statusText;
    try {
      const body = (await response.json()) as { Errors?: { description?: string } };
      detail = body.Errors?.description ?? detail;
    } catch {
      // not JSON: keep the status text
    }
    throw new HttpStatusError(`Slack SCIM ${method}`, response.status, detail);
  }
}
