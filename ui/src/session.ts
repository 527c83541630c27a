// The signed-in token. It lives in sessionStorage only (gone when the tab closes, never in
// localStorage, a cookie or the URL) and is sent as "Authorization: Bearer" by api.ts.

const KEY = "luminate.token";

export interface Session {
  token: string;
  tenant: string;
  scopes: string[];
  exp: number | null; // Unix seconds
}

// decodeClaims reads a JWT's payload without verifying it: the server verifies every request;
// the UI only shows who the token says it is.
export function decodeClaims(token: string): Record<string, unknown> {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("this is not a JWT: expected three dot-separated parts");
  let json: string;
  try {
    const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    json = new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    throw new Error("the token's payload is not base64url");
  }
  const v: unknown = JSON.parse(json);
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error("the token's payload is not a JSON object");
  return v as Record<string, unknown>;
}

// sessionFromToken accepts a raw token or a pasted "Bearer <token>" / "Authorization: ..." line.
export function sessionFromToken(input: string): Session {
  const token = input.trim().replace(/^authorization:\s*/i, "").replace(/^bearer\s+/i, "").trim();
  if (!token) throw new Error("paste a token first");
  const c = decodeClaims(token);
  const tenant = typeof c.tenant_id === "string" ? c.tenant_id : "";
  if (!tenant) throw new Error("the token has no tenant_id claim");
  const raw = c.scopes ?? c.scope;
  const scopes = Array.isArray(raw) ? raw.map(String) : typeof raw === "string" ? raw.split(/\s+/).filter(Boolean) : [];
  const exp = typeof c.exp === "number" ? c.exp : null;
  return { token, tenant, scopes, exp };
}

export function current(): Session | null {
  const t = sessionStorage.getItem(KEY);
  if (!t) return null;
  try {
    return sessionFromToken(t);
  } catch {
    sessionStorage.removeItem(KEY);
    return null;
  }
}

export function store(s: Session): void {
  sessionStorage.setItem(KEY, s.token);
}

export function clear(): void {
  sessionStorage.removeItem(KEY);
}

// expiresIn describes exp relative to now: "in 59 min", "expired 3 h ago".
export function expiresIn(exp: number | null, nowMs = Date.now()): string {
  if (exp === null) return "no expiry";
  const s = Math.round(exp - nowMs / 1000);
  const abs = Math.abs(s);
  const txt = abs < 90 ? `${abs} s` : abs < 90 * 60 ? `${Math.round(abs / 60)} min` : abs < 48 * 3600 ? `${Math.round(abs / 3600)} h` : `${Math.round(abs / 86400)} d`;
  return s >= 0 ? `expires in ${txt}` : `expired ${txt} ago`;
}
