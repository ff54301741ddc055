// The API client: every call carries the signed-in token; the console sees
// what the API lets that token see, nothing more.

const KEY = 'federa.token';

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error : `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }

  // One line per failing field as the API names it, or the error itself.
  get lines() {
    const errors = this.body.errors;
    if (Array.isArray(errors) && errors.length) {
      return errors.map((e) => `${e.path}: ${e.message}`);
    }
    return [this.body.error || this.body.status || this.message];
  }
}

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

let onSignedOut = () => {};
export function whenSignedOut(handler) { onSignedOut = handler; }

export async function call(method, path, body, { accept } = {}) {
  const headers = { Authorization: `Bearer ${token.get()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (accept) headers.Accept = accept;
  let response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, { error: `the exchange cannot be reached (${error.message})` });
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = accept ? text : null; }
  if (!response.ok) {
    const error = new ApiError(response.status, parsed);
    // A refused token (expired, revoked) answers 403 like a refused action;
    // only asking who we are tells the two apart.
    if (response.status === 401) onSignedOut(error);
    else if (response.status === 403 && path !== '/session') {
      call('GET', '/session').catch((again) => { if (again.status === 403) onSignedOut(again); });
    }
    throw error;
  }
  return parsed === null && accept ? text : parsed;
}

export const get = (path) => call('GET', path);
export const post = (path, body = {}) => call('POST', path, body);
export const patch = (path, body) => call('PATCH', path, body);
export const del = (path) => call('DELETE', path);

// A query string from an object, leaving out empty values.
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

// Every item of a list, page by page, up to `limit` items.
export async function all(path, limit = 500) {
  const items = [];
  const separator = path.includes('?') ? '&' : '?';
  for (let page = 1; items.length < limit; page += 1) {
    const answer = await get(`${path}${separator}page=${page}&pageSize=100`);
    items.push(...answer.items);
    if (!answer.hasNext) break;
  }
  return items;
}
