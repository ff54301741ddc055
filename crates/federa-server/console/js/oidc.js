// Single sign-on through the exchange's OpenID Connect issuer: the
// authorization code flow with PKCE, as a public client. The issuer's access
// token then serves as the API bearer, exactly as for any other client.

import { token } from './api.js';

const PENDING = 'federa.oidc';

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function random() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

const redirectUri = () => `${location.origin}/console/`;

export async function oidcSignIn({ issuer, clientId }) {
  const discovery = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`).then((r) => r.json());
  const verifier = random();
  const state = random();
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, clientId, tokenEndpoint: discovery.token_endpoint }));
  const params = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri(), scope: 'openid',
    state, code_challenge: challenge, code_challenge_method: 'S256',
  });
  location.assign(`${discovery.authorization_endpoint}?${params}`);
}

// Completes a sign-on the issuer redirected back from; answers a problem to
// show, or null (signed in, or nothing to complete).
export async function finishOidcSignIn() {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', `/console/${location.hash}`);
  if (params.has('error')) return `Single sign-on failed: ${params.get('error_description') || params.get('error')}`;
  if (!pending || pending.state !== params.get('state')) return 'Single sign-on failed: the answer does not belong to this sign-in.';
  try {
    const response = await fetch(pending.tokenEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code: params.get('code'), redirect_uri: redirectUri(),
        client_id: pending.clientId, code_verifier: pending.verifier,
      }),
    });
    const body = await response.json();
    if (!response.ok || !body.access_token) return `Single sign-on failed: ${body.error_description || body.error || response.status}`;
    token.set(body.access_token);
    return null;
  } catch (error) {
    return `Single sign-on failed: ${error.message}`;
  }
}
