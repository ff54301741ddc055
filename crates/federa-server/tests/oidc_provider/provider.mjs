// A real OpenID provider (node-oidc-provider) for Federa's OIDC tests.
//
// It issues JWT access tokens by client credentials for the audience
// `federa`, signed with keys it generates itself: one RSA, one P-256 and
// one Ed25519 key to start with. The resource indicator picks the signing
// algorithm (`urn:federa:<alg>`) and `urn:federa:short` a token living one
// second. The key set is served with `Cache-Control: max-age=<MAX_AGE>`.
// A loopback-only control path changes the keys as an operator would:
// `POST /control/rotate` puts a new RSA key first (it signs from then on,
// the old one stays published), `POST /control/withdraw` drops every RSA
// key but the newest. Prints `issuer <url>` once listening.
//
// Environment: OIDC_PROVIDER_MODULES (a node_modules holding
// oidc-provider), MAX_AGE (seconds).

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';

const modules = process.env.OIDC_PROVIDER_MODULES;
const { default: Provider } = await import(join(modules, 'oidc-provider', 'lib', 'index.js'));
const maxAge = process.env.MAX_AGE ?? '2';

function privateJwk(type, options) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig' };
}
const rsa = () => privateJwk('rsa', { modulusLength: 2048 });

let rsaKeys = [rsa()];
const otherKeys = [privateJwk('ec', { namedCurve: 'P-256' }), privateJwk('ed25519')];

const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'];

function build(issuer) {
  const provider = new Provider(issuer, {
    jwks: { keys: [...rsaKeys, ...otherKeys] },
    clients: [{
      client_id: 'federa-admin',
      client_secret: 'federa-admin-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    }],
    scopes: ['api'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'urn:federa:RS256',
        useGrantedResource: () => true,
        getResourceServerInfo(ctx, resource) {
          const name = resource.replace('urn:federa:', '');
          const short = name === 'short';
          const alg = short ? 'RS256' : name;
          if (!ALGORITHMS.includes(alg)) throw new Error(`no resource ${resource}`);
          return {
            scope: 'api',
            audience: 'federa',
            accessTokenTTL: short ? 1 : 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg } },
          };
        },
      },
    },
    extraTokenClaims: () => ({ role: 'admin' }),
  });
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/jwks') ctx.set('cache-control', `max-age=${maxAge}`);
  });
  return provider.callback();
}

let handler;
const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/control/rotate') {
    rsaKeys = [rsa(), ...rsaKeys];
  } else if (req.method === 'POST' && req.url === '/control/withdraw') {
    rsaKeys = rsaKeys.slice(0, 1);
  } else {
    handler(req, res);
    return;
  }
  handler = build(issuer);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ rsaKids: rsaKeys.map((k) => k.kid) }));
});
let issuer;
server.listen(0, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  handler = build(issuer);
  console.log(`issuer ${issuer}`);
});
