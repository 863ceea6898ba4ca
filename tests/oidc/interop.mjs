// OpenID Connect interoperability: the library's client (oidc_flow, C++) against oidc-provider,
// an OpenID Certified server from npm, laid out as Discord lays out its endpoints (authorize at
// /oauth2/authorize, the rest under /api/v10/oauth2) and speaking Discord's scopes.
//
//   node interop.mjs OIDC_FLOW_PROGRAM
//
// Plays the browser (follows redirects with cookies; the login and consent are granted by the
// provider's interaction route for the test account) and checks each line oidc_flow prints.
// Exits 1 on any failure.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import { createInterface } from 'node:readline';

let Provider;
try {
  Provider = (await import('oidc-provider')).default;
} catch {
  console.error('oidc-provider is missing: run "npm ci" in tests/oidc (the test command does)');
  process.exit(1);
}

const [flowProgram] = process.argv.slice(2);
const account = '80351110224678912';
const clientId = '159799960412356608';
const clientSecret = randomBytes(24).toString('hex');

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
const redirectUri = `${issuer}/callback`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'interop-1', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic', id_token_signed_response_alg: 'RS256',
  }],
  jwks: { keys: [jwk] },
  routes: {
    authorization: '/oauth2/authorize', token: '/api/v10/oauth2/token', revocation: '/api/v10/oauth2/token/revoke',
    jwks: '/api/v10/oauth2/keys', userinfo: '/api/v10/oauth2/userinfo',
  },
  scopes: ['openid', 'identify', 'email'],
  claims: { openid: ['sub'], identify: ['preferred_username', 'nickname', 'locale'], email: ['email', 'email_verified'] },
  conformIdTokenClaims: false, // the scopes' claims in the ID token too, as Discord's carry them
  features: { devInteractions: { enabled: false }, revocation: { enabled: true }, userinfo: { enabled: true } },
  pkce: { methods: ['S256'], required: () => true },
  issueRefreshToken: async () => true,
  rotateRefreshToken: () => true, // Discord rotates the refresh token on every refresh
  ttl: { AccessToken: 604800, IdToken: 3600, RefreshToken: 2592000, AuthorizationCode: 600, Grant: 2592000,
         Interaction: 600, Session: 3600 },
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, preferred_username: 'Nelly', nickname: 'Nelly', locale: 'en-US',
                           email: 'nelly@example.com', email_verified: true }),
  }),
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: [randomBytes(32).toString('hex')] },
});

// The person at the provider: signed in as the test account, consenting to what was asked.
const callback = provider.callback();
server.on('request', async (req, res) => {
  if (!req.url.startsWith('/interaction/')) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    const grant = new provider.Grant({ accountId: account, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId: account }, consent: { grantId } },
                                       { mergeWithLastSubmission: false });
  } catch (e) {
    res.statusCode = 500;
    res.end(String(e));
  }
});

// A browser: follows redirects, keeping cookies, until it reaches the redirect URI.
async function browse(url) {
  const jar = new Map();
  for (let hops = 0; hops < 10; hops++) {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const r = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    // getSetCookie is recent (Node 19.7, 18.14.1); older fetches join the headers with commas.
    const setCookies = typeof r.headers.getSetCookie === 'function' ? r.headers.getSetCookie()
      : (r.headers.get('set-cookie') ?? '').split(/,(?=\s*[^;,=\s]+=)/).filter(Boolean);
    for (const c of setCookies) {
      const pair = c.trim().split(';')[0];
      jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    const location = r.headers.get('location');
    if (!location) throw new Error(`${url} answered ${r.status} without a redirect: ${await r.text()}`);
    url = new URL(location, url).toString();
    if (url.startsWith(redirectUri)) return url;
  }
  throw new Error('too many redirects');
}

let failed = 0;
const expect = (label, ok, detail) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}${ok ? '' : `: ${detail}`}`);
  if (!ok) failed++;
};

const flow = spawn(flowProgram, [issuer, clientId, redirectUri], { stdio: ['pipe', 'pipe', 'inherit'] });
flow.stdin.write(`${clientSecret}\n`);
const lines = createInterface({ input: flow.stdout });
const steps = {};
for await (const text of lines) {
  const message = JSON.parse(text);
  if (message.authorize) {
    expect('the link asks for a nonce and S256', /[?&]nonce=/.test(message.authorize) && /code_challenge_method=S256/.test(message.authorize), message.authorize);
    try {
      flow.stdin.write(`${await browse(message.authorize)}\n`);
    } catch (e) {
      expect('the browser reaches the callback', false, e.message);
      flow.kill();
    }
  } else {
    steps[message.step] = message;
    console.log(`     ${text}`);
  }
}
const code = await new Promise((resolve) => (flow.exitCode !== null ? resolve(flow.exitCode) : flow.once('exit', resolve)));
expect('exchange: an ID token and a refresh token', steps.exchange?.id_token && steps.exchange?.refresh_token, JSON.stringify(steps.exchange));
expect('the ID token verified: subject and nonce', steps.verify?.sub === account && steps.verify?.nonce?.length > 0, JSON.stringify(steps.verify));
expect('userinfo names the same subject', steps.userinfo?.sub === account && steps.userinfo?.preferred_username === 'Nelly', JSON.stringify(steps.userinfo));
expect('refresh: rotated, with a verified ID token', steps.refresh?.rotated && steps.refresh?.id_token_sub === account, JSON.stringify(steps.refresh));
expect('revoked: the refresh token is dead; a replayed nonce refused', steps.revoke?.refresh_after === 'invalid_grant' && steps.revoke?.replay_refused, JSON.stringify(steps.revoke));
expect('oidc_flow exited 0', code === 0, `exit ${code}${steps.failed ? `: ${steps.failed.error}` : ''}`);
server.close();
console.log(`${failed ? 'FAIL' : 'ok'}: ${failed} failed`);
process.exit(failed ? 1 : 0);
