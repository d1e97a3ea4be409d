import { get } from 'node:http';

/** What a GET to the local server gave: its status and parsed JSON body, or why there was none. */
export type LocalAnswer = { readonly status: number; readonly body: unknown } | { readonly error: string };

/**
 * GET a JSON document from the Nexus server on this machine. `node:http` rather than `fetch`: commands
 * that ask the server (`nexus start`, `nexus usage`) must not pay for loading fetch's client.
 */
export function getLocalJson(
  url: string,
  options: { readonly headers?: Record<string, string>; readonly timeoutMs: number },
): Promise<LocalAnswer> {
  return new Promise((resolve) => {
    const request = get(
      url,
      { timeout: options.timeoutMs, headers: { accept: 'application/json', ...options.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          try {
            resolve({
              status: res.statusCode ?? 0,
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            });
          } catch (error) {
            resolve({ error: `HTTP ${res.statusCode}: ${(error as Error).message}` });
          }
        });
        res.on('error', (error) => resolve({ error: error.message }));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    request.on('error', (error) => resolve({ error: error.message }));
  });
}
