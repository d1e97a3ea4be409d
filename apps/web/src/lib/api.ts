import type { ErrorResponse } from '@nexus/protocol';

/** An HTTP error from the Nexus API, with its stable code when the body has one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** GET a JSON document from the server's API. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, { signal: signal ?? null, headers: { accept: 'application/json' } });
  if (!response.ok) {
    let body: Partial<ErrorResponse> = {};
    try {
      body = (await response.json()) as ErrorResponse;
    } catch {
      // Not JSON (a proxy's page): the status says enough.
    }
    throw new ApiError(response.status, body.message ?? `HTTP ${response.status}`, body.code);
  }
  return (await response.json()) as T;
}
