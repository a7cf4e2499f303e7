// The API client: same origin, the key from sessionStorage on every call, the API's one
// error shape ({"error": {"code", "message", "request_id"}}) turned into an ApiError.

const KEY = "mlpoc.apiKey";

export class ApiError extends Error {
  constructor(status, code, message, requestId) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }

  describe() {
    const id = this.requestId ? ` (request ${this.requestId})` : "";
    return `${this.message} [${this.status}${this.code ? " " + this.code : ""}]${id}`;
  }
}

export function getKey() {
  return sessionStorage.getItem(KEY);
}

export function setKey(key) {
  sessionStorage.setItem(KEY, key);
}

export function clearKey() {
  sessionStorage.removeItem(KEY);
}

export const enc = encodeURIComponent;

export async function request(method, path, { json, form, query, key } = {}) {
  const token = key ?? getKey();
  const headers = { Accept: "application/json" };
  if (token) headers["X-API-Key"] = token;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form; // the browser sets the multipart boundary
  }
  let url = path;
  if (query) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== "") params.set(name, String(value));
    }
    const text = params.toString();
    if (text) url += "?" + text;
  }
  let response;
  try {
    response = await fetch(url, { method, headers, body });
  } catch (err) {
    throw new ApiError(0, "network", `the API did not answer: ${err.message}`, null);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const detail = data && data.error ? data.error : {};
    const message = detail.message || `${response.status} ${response.statusText}`;
    const error = new ApiError(response.status, detail.code, message, detail.request_id);
    if (response.status === 401) window.dispatchEvent(new CustomEvent("mlpoc:unauthorized"));
    throw error;
  }
  return data;
}

export const get = (path, query) => request("GET", path, { query });

// A file the API serves (an export) saved by the browser: fetched with the key, which a plain
// link could not send, then handed to a temporary link with the server's file name.
export async function download(path, fallbackName) {
  const token = getKey();
  let response;
  try {
    response = await fetch(path, { headers: token ? { "X-API-Key": token } : {} });
  } catch (err) {
    throw new ApiError(0, "network", `the API did not answer: ${err.message}`, null);
  }
  if (!response.ok) {
    let detail = {};
    try {
      detail = (await response.json()).error || {};
    } catch {
      detail = {};
    }
    throw new ApiError(response.status, detail.code,
      detail.message || `${response.status} ${response.statusText}`, detail.request_id);
  }
  const disposition = response.headers.get("Content-Disposition") || "";
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] || fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}

// Every page of a paginated listing (items + next_token), up to `max` items.
export async function getAll(path, query = {}, max = 10000) {
  const items = [];
  let token = null;
  do {
    const page = await get(path, { ...query, page_token: token, limit: query.limit ?? 1000 });
    items.push(...page.items);
    token = page.next_token;
  } while (token && items.length < max);
  return items;
}
