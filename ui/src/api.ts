// The API client: every call carries the session's token, and every failure becomes an
// ApiError with the envelope's code and message (docs/api.md), never a swallowed rejection.
import { current } from "./session";

export class ApiError extends Error {
  constructor(
    readonly status: number, // 0: the request never got an answer
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }

  // unauthorized: the token is missing, expired or refused; signing in again helps.
  get unauthorized(): boolean {
    return this.status === 401;
  }

  // missingEndpoint: the server has no such route (an older server), as opposed to a route
  // that answers NOT_FOUND for a resource, e.g. an unknown metric.
  get missingEndpoint(): boolean {
    return (this.status === 404 && (this.code !== "NOT_FOUND" || /no route/i.test(this.message))) || this.status === 501;
  }
}

export interface Timed<T> {
  data: T;
  ms: number; // round trip as the browser saw it
}

export async function request<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<Timed<T>> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const s = current();
  if (s) headers.Authorization = "Bearer " + s.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const start = performance.now();
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit", cache: "no-store" });
  } catch (e) {
    throw new ApiError(0, "NETWORK_ERROR", `could not reach the server (${e instanceof Error ? e.message : String(e)})`);
  }
  const text = await res.text();
  const ms = performance.now() - start;
  if (!res.ok) throw toError(res, text);
  try {
    return { data: JSON.parse(text) as T, ms };
  } catch {
    throw new ApiError(res.status, "INVALID_RESPONSE", `the server answered ${method} ${path} with something that is not JSON`);
  }
}

export const get = <T>(path: string) => request<T>("GET", path);
export const post = <T>(path: string, body: unknown) => request<T>("POST", path, body);

function toError(res: Response, text: string): ApiError {
  try {
    const v = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    if (v && v.error && typeof v.error.code === "string") {
      return new ApiError(res.status, v.error.code, typeof v.error.message === "string" ? v.error.message : "", v.error.details);
    }
  } catch {
    // not the envelope: a proxy or an older server answered; show what it said
  }
  const snippet = text.trim().slice(0, 300);
  return new ApiError(res.status, `HTTP_${res.status}`, snippet || res.statusText || "request failed");
}

// Shapes of the API's answers (docs/api.md).
export interface MetricInfo {
  name: string;
  type: string;
  unit: string;
  seriesCount: number;
}
export interface MetricsResponse {
  metrics: MetricInfo[];
  count: number;
}
export interface DimensionsResponse {
  metricName: string;
  dimensions: string[];
  count: number;
}
export interface ValuesResponse {
  metricName: string;
  dimensionKey: string;
  values: string[];
  count: number;
  limit: number;
}
export interface QueryResponse {
  queryType: string;
  results: unknown[];
  executionTimeMs: number;
  seriesScanned: number;
  pointsScanned: number;
}

const seg = encodeURIComponent;
export const listMetrics = () => get<MetricsResponse>("/api/v1/metrics");
export const listDimensions = (metric: string) => get<DimensionsResponse>(`/api/v1/metrics/${seg(metric)}/dimensions`);
export const listValues = (metric: string, key: string, limit: number) =>
  get<ValuesResponse>(`/api/v1/metrics/${seg(metric)}/dimensions/${seg(key)}/values?limit=${limit}`);
export const runQuery = (body: unknown) => post<QueryResponse>("/api/v1/query", body);
