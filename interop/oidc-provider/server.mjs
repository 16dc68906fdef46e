// A real OpenID provider (npm `oidc-provider`) for the interoperability tests.
//
// It serves discovery, a JWKS and a token endpoint for the client credentials grant on
// 127.0.0.1 only, and issues JWT access tokens (RFC 9068) whose `aud` and signing algorithm
// depend on the requested resource indicator (RFC 8707).
//
// Environment:
//   PORT             required; the issuer is exactly `http://127.0.0.1:${PORT}` (no slash).
//   EXIT_WITH_STDIN  optional; when `1`, the process exits once its standard input closes, so
//                    a test harness that dies without cleaning up does not leave it running.
//
// Client (client credentials only; registered for `client_secret_post`, and oidc-provider also
// accepts HTTP Basic):
//   client_id `zt-interop`, client_secret `zt-interop-test-secret`, scopes `read admin`.
//   Access tokens carry `sub` = `client_id` = `zt-interop`, `scope`, `iss`, `aud`, `jti`,
//   `iat`, `exp`, and the header `typ: at+jwt` with the `kid` of the signing key.
//
// Resource indicators (the `resource` parameter of the token request):
//   https://api.interop.test              RS256, aud = itself, lives 300 s (the default)
//   https://api-es.interop.test           ES256, aud = itself, lives 300 s
//   https://api.interop.test/es256        ES256, aud = https://api.interop.test
//   https://api.interop.test/short-lived  RS256, aud = https://api.interop.test, lives 1 s
//   https://api.interop.test/expired      RS256, aud = https://api.interop.test, issued with
//                                         `iat` two hours and `exp` one hour in the past
//   https://other.interop.test            RS256, aud = itself (an API nobody under test serves)
//   Any other value is refused with `invalid_target`.
//
// Keys: one RSA (RS256) and one P-256 (ES256) signing key, generated at start, each with a
// unique `kid`. oidc-provider reads its key set only when a Provider is constructed, so a
// rotation builds a new Provider with a fresh key pair for each algorithm and swaps it in behind
// the same listening socket; the issuer, port and client stay the same:
//   POST /__rotate                  new keys sign from now on; the previous public keys stay in
//                                   the JWKS (the overlap real identity providers keep)
//   POST /__rotate?retire=previous  new keys sign and are the only keys published
// Both answer `{"signing":{"RS256":kid,"ES256":kid},"published":[kid,...]}`. The rotation route
// accepts loopback peers only (the server listens on 127.0.0.1 anyway).
//
// Standard output gets one line, `ready`, once the socket listens. Errors go to standard error
// as their name and message only: no token, key or secret is ever printed.

import * as crypto from 'node:crypto';
import * as http from 'node:http';

import { Provider, errors } from 'oidc-provider';

const HOST = '127.0.0.1';

const port = Number.parseInt(process.env.PORT ?? '', 10);
if (!Number.isInteger(port) || port < 1 || port > 65535 || String(port) !== process.env.PORT) {
  console.error('PORT must be set to a TCP port number (1-65535)');
  process.exit(2);
}

const ISSUER = `http://${HOST}:${port}`;

const CLIENT = {
  client_id: 'zt-interop',
  client_secret: 'zt-interop-test-secret',
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
  scope: 'read admin',
  token_endpoint_auth_method: 'client_secret_post',
};

const SCOPES = 'read admin';
const DEFAULT_TTL_SECONDS = 300;
const DEFAULT_RESOURCE = 'https://api.interop.test';

const RESOURCES = new Map([
  ['https://api.interop.test', { audience: 'https://api.interop.test', alg: 'RS256' }],
  ['https://api-es.interop.test', { audience: 'https://api-es.interop.test', alg: 'ES256' }],
  ['https://api.interop.test/es256', { audience: 'https://api.interop.test', alg: 'ES256' }],
  [
    'https://api.interop.test/short-lived',
    { audience: 'https://api.interop.test', alg: 'RS256', ttl: 1 },
  ],
  [
    'https://api.interop.test/expired',
    { audience: 'https://api.interop.test', alg: 'RS256', backdated: true },
  ],
  ['https://other.interop.test', { audience: 'https://other.interop.test', alg: 'RS256' }],
]);

let generation = 0;

// Keys are generated as PKCS#8 PEM and parsed again before the JWK export. Exporting the key
// object that generateKeyPairSync returns can deadlock on Node.js 20: garbage collection during
// the export may finalize the key generation job, which then waits on a lock the export holds.
function generateSigningJwk(type, options, alg, kid) {
  const { privateKey } = crypto.generateKeyPairSync(type, {
    ...options,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const jwk = crypto.createPrivateKey(privateKey).export({ format: 'jwk' });
  return { ...jwk, kid, alg, use: 'sig' };
}

function generateKeySet() {
  generation += 1;
  const suffix = `${generation}-${crypto.randomBytes(6).toString('base64url')}`;

  return {
    RS256: generateSigningJwk('rsa', { modulusLength: 2048 }, 'RS256', `rs256-${suffix}`),
    ES256: generateSigningJwk('ec', { namedCurve: 'P-256' }, 'ES256', `es256-${suffix}`),
  };
}

function buildProvider(current, published) {
  const provider = new Provider(ISSUER, {
    clients: [CLIENT],
    scopes: ['openid', 'offline_access', ...SCOPES.split(' ')],
    jwks: { keys: published },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf ?? DEFAULT_RESOURCE,
        getResourceServerInfo: async (_ctx, resourceIndicator) => {
          const resource = RESOURCES.get(resourceIndicator);
          if (!resource) {
            throw new errors.InvalidTarget();
          }

          return {
            scope: SCOPES,
            audience: resource.audience,
            accessTokenTTL: resource.ttl ?? DEFAULT_TTL_SECONDS,
            accessTokenFormat: 'jwt',
            // Pins the key as well as the algorithm: after a rotation with overlap, the
            // previous key of the same algorithm is still in the key set.
            jwt: { sign: { alg: resource.alg, kid: current[resource.alg].kid } },
          };
        },
      },
    },
    formats: {
      customizers: {
        jwt: async (_ctx, token, jwt) => {
          const resource = RESOURCES.get(token.resourceServer?.identifier());
          if (resource?.backdated) {
            const now = Math.floor(Date.now() / 1000);
            jwt.payload.iat = now - 2 * 60 * 60;
            jwt.payload.exp = now - 60 * 60;
          }
        },
      },
    },
    ttl: {
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL
        ?? DEFAULT_TTL_SECONDS,
    },
  });

  for (const event of ['server_error', 'grant.error', 'jwks.error', 'discovery.error']) {
    provider.on(event, (_ctx, error) => {
      console.error(`${event}: ${error?.name ?? 'Error'}: ${error?.message ?? ''}`);
    });
  }

  return provider;
}

let current = generateKeySet();
let publishedKeys = [current.RS256, current.ES256];
let handler = buildProvider(current, publishedKeys).callback();

function isLoopback(address) {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

function sendJson(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function rotate(req, res, url) {
  if (!isLoopback(req.socket.remoteAddress)) {
    sendJson(res, 403, { error: 'loopback only' });
    return;
  }
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    sendJson(res, 405, { error: 'use POST' });
    return;
  }

  const retire = url.searchParams.get('retire');
  if (retire !== null && retire !== 'previous') {
    sendJson(res, 400, { error: 'retire accepts only "previous"' });
    return;
  }

  const next = generateKeySet();
  const nextPublished = retire === 'previous'
    ? [next.RS256, next.ES256]
    : [next.RS256, next.ES256, current.RS256, current.ES256];

  let nextHandler;
  try {
    nextHandler = buildProvider(next, nextPublished).callback();
  } catch (error) {
    console.error(`rotation failed: ${error?.name ?? 'Error'}: ${error?.message ?? ''}`);
    sendJson(res, 500, { error: 'rotation failed' });
    return;
  }

  current = next;
  publishedKeys = nextPublished;
  handler = nextHandler;
  console.error(`keys rotated to generation ${generation}`);

  sendJson(res, 200, {
    signing: { RS256: current.RS256.kid, ES256: current.ES256.kid },
    published: publishedKeys.map((key) => key.kid),
  });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', ISSUER);
  if (url.pathname === '/__rotate') {
    rotate(req, res, url);
    return;
  }
  handler(req, res);
});

server.on('error', (error) => {
  console.error(`listen failed: ${error.code ?? error.name}: ${error.message}`);
  process.exit(1);
});

server.listen(port, HOST, () => {
  console.error(`oidc-provider issuer ${ISSUER}`);
  process.stdout.write('ready\n');
});

function shutdown() {
  server.close();
  server.closeAllConnections();
  process.exit(0);
}

process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

if (process.env.EXIT_WITH_STDIN === '1') {
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}
