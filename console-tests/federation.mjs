// A whole federation for the browser tests: `federa demo` on a free port,
// its tokens read from its summary, and REST helpers to add consumers and
// order services behind the console's back.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

const READY_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 60_000;

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The value after `label` on a summary line such as `  Admin token:    abc`. */
function field(line, label) {
  const trimmed = line.trim();
  return trimmed.startsWith(label) ? trimmed.slice(label.length).trim() : null;
}

/**
 * Starts `federa demo` and resolves once it printed its summary.
 * The result holds `baseUrl`, `adminToken`, `consumerToken`, `services`
 * (name → id, as listed in the summary), an `api(token)` client and `stop()`.
 */
export async function startDemo(
  binary,
  { log = () => {}, readyTimeoutMs = READY_TIMEOUT_MS, stopTimeoutMs = STOP_TIMEOUT_MS } = {},
) {
  if (!existsSync(binary)) throw new Error(`${binary} does not exist; build it with cargo build -p federa-cli`);
  const port = await freePort();
  const listen = `127.0.0.1:${port}`;
  const started = Date.now();
  // Its own process group, so a Ctrl-C on the runner's terminal reaches the
  // runner, which then stops the demo the orderly way.
  const child = spawn(binary, ['demo', '--listen', listen], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, NO_COLOR: '1' },
  });
  const output = [];
  const remember = (line) => {
    output.push(line);
    if (output.length > 400) output.shift();
  };
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    // A binary that could not be started never exits.
    child.on('error', (error) => {
      if (child.pid === undefined) resolve({ code: null, signal: null, error });
    });
  });
  let exitStatus = null;
  exited.then((status) => {
    exitStatus = status;
  });
  // Its services run in process groups of their own, which outlive the demo
  // when it dies before stopping them: note them, to kill what is left.
  const groups = new Set();
  const noteGroups = () => {
    for (const group of childGroups(child.pid)) groups.add(group);
  };
  const killLeftovers = () => {
    for (const group of groups) killGroup(group);
  };
  let summarized = false;
  createInterface({ input: child.stderr }).on('line', remember);

  const summary = { services: {} };
  const ready = new Promise((resolve, reject) => {
    let inServices = false;
    let done = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
      remember(line);
      if (done) return;
      const admin = field(line, 'Admin token:');
      const consumer = field(line, 'Consumer token:');
      if (admin) summary.adminToken = admin;
      if (consumer) summary.consumerToken = consumer;
      const data = field(line, 'Data:');
      if (data) summary.dataDir = data;
      if (line.trim() === 'Services:') {
        inServices = true;
      } else if (inServices) {
        const parts = line.trim().split(/\s+/);
        if (line.startsWith('    ') && parts.length >= 2) {
          summary.services[parts[0]] = parts[1];
        } else {
          inServices = false;
        }
      }
      if (line.startsWith('Press Ctrl-C')) {
        done = true;
        summarized = true;
        noteGroups();
        if (summary.adminToken && summary.consumerToken) resolve();
        else reject(new Error('the demo summary lacks the admin or the consumer token'));
      }
    });
    child.on('error', reject);
    exited.then((status) => {
      if (!done) reject(new Error(`federa demo exited (${status.signal ?? `code ${status.code}`}) before it was ready`));
    });
  });

  const stop = async () => {
    if (!exitStatus) {
      noteGroups();
      // Before its summary the demo has no Ctrl-C handler yet, and SIGINT
      // kills it outright; the leftovers are killed below.
      signal(child.pid, 'SIGINT');
      const timer = new Promise((resolve) => setTimeout(() => resolve(null), stopTimeoutMs).unref());
      if (!(await Promise.race([exited, timer]))) {
        log(`federa demo did not stop within ${stopTimeoutMs / 1000} s; killing it`);
        killGroup(child.pid);
      }
    }
    const status = await exited;
    killLeftovers();
    // A demo that was killed could not remove its temporary directory.
    if (status.signal && summary.dataDir?.includes('federa-demo-')) {
      rmSync(summary.dataDir, { recursive: true, force: true });
    }
    return status;
  };
  // A last resort when the runner exits without stopping the demo: once it
  // is ready it cleans up after a Ctrl-C by itself; before, kill it all.
  process.once('exit', () => {
    if (exitStatus) return;
    noteGroups();
    if (summarized) {
      signal(child.pid, 'SIGINT');
    } else {
      killGroup(child.pid);
      killLeftovers();
    }
  });

  const timeout = new Promise((_, reject) =>
    setTimeout(
      () => reject(new Error(`federa demo was not ready after ${readyTimeoutMs / 1000} s`)),
      readyTimeoutMs,
    ).unref(),
  );
  try {
    await Promise.race([ready, timeout]);
  } catch (error) {
    await stop();
    error.message += `\n--- federa demo output (last lines) ---\n${output.slice(-40).join('\n')}`;
    throw error;
  }
  const baseUrl = `http://${listen}`;
  return {
    pid: child.pid,
    baseUrl,
    consoleUrl: `${baseUrl}/console/`,
    adminToken: summary.adminToken,
    consumerToken: summary.consumerToken,
    services: summary.services,
    startupMs: Date.now() - started,
    api: (token) => new Api(baseUrl, token),
    output: () => output.join('\n'),
    stop,
  };
}

/** Sends `name` to `pid` (a negative pid names a process group), if it still exists. */
function signal(pid, name) {
  try {
    process.kill(pid, name);
  } catch {
    // Gone already.
  }
}

/** Sends SIGKILL to the process group led by `pid`. */
function killGroup(pid) {
  signal(-pid, 'SIGKILL');
}

/** The process groups led by the direct children of `pid` (Linux /proc). */
function childGroups(pid) {
  const groups = [];
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return groups;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command: state ppid pgrp …
      const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid && Number(pgrp) === Number(entry)) groups.push(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return groups;
}

/** An error for an answer the test did not expect, with its body. */
export class ApiError extends Error {
  constructor(method, path, status, body) {
    super(`${method} ${path} answered ${status}: ${JSON.stringify(body)}`);
    this.status = status;
    this.body = body;
  }
}

/** A minimal REST client for /api/v1 with one bearer token. */
export class Api {
  constructor(baseUrl, token) {
    this.baseUrl = baseUrl;
    this.token = token;
  }

  /** The answer's status and parsed body, whatever the status. */
  async request(method, path, body) {
    const response = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON: keep the text.
    }
    return { status: response.status, body: parsed };
  }

  /** The parsed body of a 2xx answer; throws ApiError otherwise. */
  async call(method, path, body) {
    const { status, body: answer } = await this.request(method, path, body);
    if (status < 200 || status >= 300) throw new ApiError(method, path, status, answer);
    return answer;
  }

  get(path) {
    return this.call('GET', path);
  }

  post(path, body) {
    return this.call('POST', path, body);
  }

  /** Every item of a paged list (`{items, totalItems}`). */
  async list(path) {
    const items = [];
    for (let page = 1; ; page += 1) {
      const separator = path.includes('?') ? '&' : '?';
      const answer = await this.get(`${path}${separator}page=${page}&pageSize=100`);
      items.push(...answer.items);
      if (answer.items.length === 0 || items.length >= answer.totalItems) return items;
    }
  }
}

/**
 * As admin: a new enabled consumer with a participant token and one
 * service group. Resolves to `{id, token, groupId, api}`.
 */
export async function createConsumer(federation, name) {
  const admin = federation.api(federation.adminToken);
  const { id } = await admin.post('/participants', { name, status: 'Enabled' });
  const token = await participantToken(federation, id, `${name} token`);
  const api = federation.api(token);
  const group = await api.post('/service-groups', { name: `${name} group`, consumerId: id });
  return { id, token, groupId: group.id, api };
}

/** As admin: a new participant token, valid for 30 days, acting for `participantId`. */
export async function participantToken(federation, participantId, name) {
  const expireAt = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString();
  const token = await federation.api(federation.adminToken).post('/tokens', {
    name,
    role: 'participant',
    scopeId: participantId,
    expireAt,
  });
  return token.value;
}

/** The participant called `name`, as admin. */
export async function participantNamed(federation, name) {
  const found = (await federation.api(federation.adminToken).list('/participants')).find((p) => p.name === name);
  if (!found) throw new Error(`no participant is called ${JSON.stringify(name)}`);
  return found;
}

/** The service type called `name`, as the caller sees it. */
export async function serviceType(api, name) {
  const found = (await api.list('/service-types')).find((type) => type.name === name);
  if (!found) throw new Error(`no service type is called ${JSON.stringify(name)}`);
  return found;
}

/** Every agent, as admin. */
export function agents(federation) {
  return federation.api(federation.adminToken).list('/agents');
}

/** Orders a service through the API with the consumer's client; resolves to the answer. */
export function orderService(api, { name, serviceTypeId, groupId, agentId, properties }) {
  return api.post('/services', {
    name,
    serviceTypeId,
    groupId,
    ...(agentId ? { agentId } : {}),
    properties,
  });
}

/** The caller's services called exactly `name`. */
export async function servicesNamed(api, name) {
  const listed = await api.list(`/services?name=${encodeURIComponent(name)}`);
  return listed.filter((service) => service.name === name);
}
