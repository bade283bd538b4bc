// fleet.inventory web page: the API client (docs/web.md).
// Every request goes to the service's own API with "Authorization: Bearer <token>"; the token lives in
// sessionStorage only (never in a URL, a cookie or localStorage) and is dropped by sign-out.

const KEY = "fleet.inventory.token";

export const session = {
  get() { return sessionStorage.getItem(KEY); },
  set(value) { sessionStorage.setItem(KEY, value); },
  clear() { sessionStorage.removeItem(KEY); },
};

const STATUS_TEXT = {
  0: "Network error", 400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
  405: "Not allowed", 409: "Conflict", 413: "Too large", 500: "Server error", 503: "Service unavailable",
};

/** The text of an AWX error body: detail, error, or "field: message" lines. */
export function bodyText(body) {
  if (body === null || body === undefined) return "";
  if (typeof body === "string") return body;
  if (typeof body !== "object") return String(body);
  const parts = [];
  for (const [key, value] of Object.entries(body)) {
    if (key === "results" || key === "active_jobs") continue;
    const text = Array.isArray(value) ? value.map(String).join(" ") : (typeof value === "object" ? JSON.stringify(value) : String(value));
    parts.push(key === "detail" || key === "error" ? text : key + ": " + text);
  }
  return parts.join("; ");
}

export class ApiError extends Error {
  constructor(status, body, path) {
    const text = bodyText(body);
    super(status + " " + (STATUS_TEXT[status] || "Error") + (text ? ": " + text : ""));
    this.status = status;
    this.body = body;
    this.path = path;
  }
}

/** Listeners told about a 401 (the page then offers to sign in again). */
const unauthorized = new Set();
export function onUnauthorized(fn) { unauthorized.add(fn); }

/**
 * Call the API: ``api("/api/v2/hosts/?page=2", {method, body, signal, text})``.
 * Resolves to ``{status, data, headers}``; a non-2xx answer rejects with ApiError (status, parsed body);
 * an aborted request rejects with the AbortError (callers ignore it).
 */
export async function api(path, options = {}) {
  if (!String(path).startsWith("/api/")) throw new Error("not an API path: " + path);
  const headers = { Accept: options.text ? "text/plain" : "application/json" };
  const token = options.token !== undefined ? options.token : session.get();
  if (token) headers.Authorization = "Bearer " + token;
  let body;
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  let resp;
  try {
    resp = await fetch(path, {
      method: options.method || "GET", headers, body, signal: options.signal,
      credentials: "omit", cache: "no-store", redirect: "error", referrerPolicy: "no-referrer",
    });
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(0, "the service did not answer (" + (err && err.message ? err.message : err) + ")", path);
  }
  const raw = await resp.text();
  let data = raw;
  if (raw && (resp.headers.get("content-type") || "").includes("json")) {
    try { data = JSON.parse(raw); } catch (_err) { data = raw; }
  }
  if (!resp.ok) {
    const error = new ApiError(resp.status, data, path);
    if (resp.status === 401) unauthorized.forEach((fn) => fn(error));
    throw error;
  }
  return { status: resp.status, data, headers: resp.headers };
}

/** ``path`` with the query ``params`` (an object; empty values left out). */
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === "") continue;
    query.append(key, String(value));
  }
  const text = query.toString();
  return text ? path + (path.includes("?") ? "&" : "?") + text : path;
}

export function isAbort(err) {
  return err && err.name === "AbortError";
}
