// SPDX-License-Identifier: GPL-3.0-or-later
//
// The portal's only way to the server: the JSON protocol of
// sync/protocol/PROTOCOL.md, authenticated by the HttpOnly session cookie
// and, on every state change, the X-CSRF-Token the server handed out at
// login. The page is one more client of the protocol, like the desktop.

const BASE = 'api/v1/';

let csrfToken = null;
const STORAGE_KEY = 'sv-portal-csrf';

export class ApiError extends Error {
  constructor (status, code, message, field, retryAfter) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.field = field || null;
    this.retryAfter = retryAfter;
  }
}

/* A failure to reach the server at all (offline, server down). */
export class NetworkError extends Error {}

export function setCsrf (token) {
  csrfToken = token || null;
  try {
    if (csrfToken)
      sessionStorage.setItem(STORAGE_KEY, csrfToken);
    else
      sessionStorage.removeItem(STORAGE_KEY);
  } catch (e) {
    // storage disabled: the token stays in memory only
  }
}

export function restoreCsrf () {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch (e) {
    return null;
  }
}

let unauthenticatedHandler = null;

/* Called when a request of a logged-in page answers 401 unauthenticated:
 * the session expired or was ended elsewhere. */
export function onUnauthenticated (handler) {
  unauthenticatedHandler = handler;
}

export async function request (method, path, body, { quiet401 = false } = {}) {
  const headers = { 'Accept': 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken)
    headers['X-CSRF-Token'] = csrfToken;

  let response;
  try {
    response = await fetch(BASE + path, init);
  } catch (e) {
    throw new NetworkError(e.message);
  }

  let data = null;
  const type = response.headers.get('Content-Type') || '';
  if (response.status !== 204 && type.includes('json')) {
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
  }

  if (!response.ok) {
    const err = (data && data.error) || {};
    const retry = parseInt(response.headers.get('Retry-After') || '', 10);
    const error = new ApiError(response.status, err.code || `http-${response.status}`,
                               err.message, err.field,
                               Number.isFinite(retry) ? retry : null);
    if (response.status === 401 && error.code !== 'login-failed' && !quiet401 &&
        unauthenticatedHandler)
      unauthenticatedHandler(error);
    if (response.status >= 502 && response.status <= 504 && !data)
      throw new NetworkError(`HTTP ${response.status}`);
    throw error;
  }
  return data || {};
}

const enc = encodeURIComponent;

export const api = {
  info: () => request('GET', ''),
  signUp: (phone, password) => request('POST', 'accounts', { phone, password }),
  logIn: (phone, password) => request('POST', 'session', { phone, password }),
  session: () => request('GET', 'session', undefined, { quiet401: true }),
  logOut: () => request('DELETE', 'session'),
  changePassword: (current, next) =>
    request('POST', 'account/password', { current_password: current, new_password: next }),
  createRestoreCode: () => request('POST', 'account/restore-codes', {}),
  audit: () => request('GET', 'account/audit'),
  cards: () => request('GET', 'cards'),
  card: (iccid) => request('GET', `cards/${enc(iccid)}`),
  deregister: (iccid) => request('DELETE', `cards/${enc(iccid)}`, { confirm: iccid }),
  contacts: (iccid) => request('GET', `cards/${enc(iccid)}/contacts`),
  addContact: (iccid, contact) => request('POST', `cards/${enc(iccid)}/contacts`, contact),
  editContact: (iccid, set, index, contact) =>
    request('PUT', `cards/${enc(iccid)}/contacts/${enc(set)}/${enc(index)}`, contact),
  deleteContact: (iccid, set, index) =>
    request('DELETE', `cards/${enc(iccid)}/contacts/${enc(set)}/${enc(index)}`),
  messages: (iccid) => request('GET', `cards/${enc(iccid)}/messages`),
  deleteMessage: (iccid, id) => request('DELETE', `cards/${enc(iccid)}/messages/${enc(id)}`),
  exportUrl: (iccid, kind) => `${BASE}cards/${enc(iccid)}/contacts.${kind}`,
};
