// The tenant's metric list, fetched once per page view and shared by the views that need it
// (explorer, query builder's metric picker and units, cardinality fallback).
import { listMetrics, MetricInfo } from "./api";

let cached: Promise<MetricInfo[]> | null = null;

export function metrics(refresh = false): Promise<MetricInfo[]> {
  if (!cached || refresh) {
    cached = listMetrics().then((r) => r.data.metrics ?? []);
    cached.catch(() => (cached = null)); // a failure is retried by the next caller
  }
  return cached;
}

export function forget(): void {
  cached = null;
}

export async function unitOf(name: string): Promise<string> {
  try {
    return (await metrics()).find((m) => m.name === name)?.unit ?? "";
  } catch {
    return "";
  }
}
