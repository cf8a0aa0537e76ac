/** Requests a client sends to the gateway (or the simulator), over real HTTP or `yoga.fetch`. */

export type FetchLike = (url: string, init: RequestInit) => Response | Promise<Response>;

/**
 * POSTs `body` as JSON: an object is stringified, a string is sent as is (for malformed bodies),
 * no body at all when it is undefined. `options.fetch` is the global fetch by default, or
 * `gateway.yoga.fetch` to stay in process.
 */
export async function postJson(
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
  options: { fetch?: FetchLike; signal?: AbortSignal } = {},
): Promise<Response> {
  return (options.fetch ?? fetch)(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or `{}` when it is not JSON. */
  json: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; extensions: Record<string, unknown> }>;
  };
}

/** Reads a response whole: status, headers, text and the JSON in it, if any. */
export async function read(response: Response): Promise<HttpAnswer> {
  const text = await response.text();
  let json: HttpAnswer['json'] = {};
  try {
    json = JSON.parse(text);
  } catch {
    json = {};
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** POSTs JSON to `url` (postJson) and reads the answer (read). */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return read(await postJson(url, body, headers));
}
