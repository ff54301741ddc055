// Single sign-on for the browser tests: a small OpenID Connect issuer (RS256
// keys, discovery, an authorization page, a PKCE-checking token endpoint)
// and a `federa serve` that trusts it and offers it to the console.

import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Api, freePort } from './federation.mjs';

export const AUDIENCE = 'federa';
export const CLIENT_ID = 'federa-console';

const base64url = (data) => Buffer.from(data).toString('base64url');

/** An issuer that signs in one user, `user` ({ name, participantId }), once approved. */
async function startIssuer(user) {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'console-test', alg: 'RS256', use: 'sig' };
  const codes = new Map();
  const seen = [];

  const jwt = (claims) => {
    const head = base64url(JSON.stringify({ alg: 'RS256', kid: jwk.kid, typ: 'JWT' }));
    const body = base64url(JSON.stringify(claims));
    return `${head}.${body}.${base64url(sign('sha256', Buffer.from(`${head}.${body}`), privateKey))}`;
  };
  const json = (response, status, value) => {
    response.writeHead(status, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' });
    response.end(JSON.stringify(value));
  };

  const server = createServer(async (request, response) => {
    const url = new URL(request.url, issuer);
    seen.push(`${request.method} ${url.pathname}`);
    if (url.pathname === '/.well-known/openid-configuration') {
      json(response, 200, {
        issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`,
      });
    } else if (url.pathname === '/jwks') {
      json(response, 200, { keys: [jwk] });
    } else if (url.pathname === '/authorize') {
      const q = url.searchParams;
      if (q.get('client_id') !== CLIENT_ID || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) {
        response.writeHead(400, { 'Content-Type': 'text/plain' });
        response.end('unknown client or no PKCE challenge');
        return;
      }
      const code = randomBytes(16).toString('hex');
      codes.set(code, { challenge: q.get('code_challenge'), redirectUri: q.get('redirect_uri') });
      const back = new URL(q.get('redirect_uri'));
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state'));
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end(`<!doctype html><html lang="en"><title>Example ID</title><h1>Example ID</h1>
        <a href="${back.href.replace(/"/g, '&quot;')}">Continue as ${user.name}</a></html>`);
    } else if (url.pathname === '/token' && request.method === 'POST') {
      let text = '';
      for await (const chunk of request) text += chunk;
      const form = new URLSearchParams(text);
      const pending = codes.get(form.get('code'));
      codes.delete(form.get('code'));
      const verifier = form.get('code_verifier') || '';
      if (!pending || form.get('grant_type') !== 'authorization_code' || form.get('client_id') !== CLIENT_ID
        || form.get('redirect_uri') !== pending.redirectUri
        || createHash('sha256').update(verifier).digest('base64url') !== pending.challenge) {
        json(response, 400, { error: 'invalid_grant' });
        return;
      }
      const now = Math.floor(Date.now() / 1000);
      json(response, 200, {
        token_type: 'Bearer', expires_in: 600,
        access_token: jwt({
          iss: issuer, aud: AUDIENCE, sub: 'sso-user', iat: now, nbf: now - 5, exp: now + 600,
          role: 'participant', participant_id: user.participantId,
        }),
      });
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { issuer, seen, stop: () => new Promise((resolve) => server.close(resolve)) };
}

async function waitReady(url, child) {
  for (let i = 0; i < 150; i += 1) {
    if (child.exitCode !== null) throw new Error(`federa serve exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/ready`)).ok) return;
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('federa serve did not become ready');
}

/**
 * An exchange trusting a fresh issuer, with one participant that signs in
 * through it. Resolves to { consoleUrl, participant, issuer, stop }.
 */
export async function startSingleSignOn(binary, participantName) {
  const user = { name: participantName };
  // The participant must exist before the issuer vouches for it; the issuer
  // reads `user` when it signs, so it is filled in below.
  const issuer = await startIssuer(user);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'federa-sso-'));
  const adminToken = randomBytes(18).toString('base64url');
  const child = spawn(binary, [
    'serve', '--listen', `127.0.0.1:${port}`, '--database-url', `sqlite://${join(dir, 'federa.db')}`,
    '--oidc-issuer', issuer.issuer, '--oidc-audience', AUDIENCE, '--oidc-console-client-id', CLIENT_ID,
  ], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, FEDERA_ADMIN_TOKEN: adminToken } });
  const stderr = [];
  child.stderr.on('data', (chunk) => stderr.push(String(chunk)));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await issuer.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child);
    const admin = new Api(url, adminToken);
    const participant = await admin.post('/participants', { name: participantName, status: 'Enabled' });
    user.participantId = participant.id;
    return { consoleUrl: `${url}/console/`, participant, issuer, stop, log: () => stderr.join('') };
  } catch (error) {
    await stop();
    throw new Error(`${error.message}\n${stderr.join('')}`);
  }
}
