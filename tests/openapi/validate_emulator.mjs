// Validates every JSON body the emulator returns on a route that Discord's OpenAPI spec describes
// against that route's response schema, read from the spec at run time.
//
//   node validate_emulator.mjs EMULATOR_PROGRAM OPENAPI_JSON
//
// Prints one line per checked answer and a closing "N passed, M failed"; exits 1 on any failure.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { loadSpec } from './spec.mjs';

let Ajv2020, addFormats;
try {
  Ajv2020 = (await import('ajv/dist/2020.js')).default;
  addFormats = (await import('ajv-formats')).default;
} catch {
  console.error('ajv is missing: run "npm ci" in tests/openapi (the test command does)');
  process.exit(1);
}

const [emulatorPath, specPath] = process.argv.slice(2);
const spec = loadSpec(specPath);
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addFormat('snowflake', /^(0|[1-9][0-9]*)$/);
// One known disagreement: the spec types a field error's `code` as an integer, while Discord's
// documentation (tests/data/discord-docs/reference-error-*.json) and its servers send strings such as
// "BASE_TYPE_REQUIRED". Field errors are checked against the documented shape instead.
spec.components.schemas.InnerErrors.properties._errors.items = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string' }, message: { type: 'string' } },
};
ajv.addSchema({ $id: 'spec', components: spec.components });

// The schema for one answer: paths[path][method].responses[status or NXX], following a
// components/responses reference; null when the spec gives none (204, or a status it omits).
function schemaFor(path, method, status) {
  const responses = spec.paths[path]?.[method]?.responses;
  if (!responses) throw new Error(`the spec has no ${method.toUpperCase()} ${path}`);
  let response = responses[String(status)] ?? responses[`${String(status)[0]}XX`];
  if (!response) return null;
  if (response.$ref) response = spec.components.responses[response.$ref.split('/').pop()];
  const schema = response.content?.['application/json']?.schema;
  if (!schema) return null;
  const rewrite = (node) => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (node && typeof node === 'object') {
      const out = {};
      for (const [k, v] of Object.entries(node)) out[k] = k === '$ref' && v.startsWith('#/') ? `spec${v}` : rewrite(v);
      return out;
    }
    return node;
  };
  return rewrite(schema);
}

let passed = 0;
let failed = 0;
const validators = new Map();

async function check(label, specPath, method, response, expectedStatus) {
  const text = await response.text();
  if (response.status !== expectedStatus) {
    failed++;
    console.log(`FAIL ${label}: status ${response.status}, expected ${expectedStatus}: ${text}`);
    return null;
  }
  const schema = schemaFor(specPath, method, response.status);
  if (!schema) {
    passed++;
    console.log(`ok   ${label} (${response.status}, no body schema in the spec)`);
    return text ? JSON.parse(text) : null;
  }
  const key = `${method} ${specPath} ${response.status}`;
  if (!validators.has(key)) validators.set(key, ajv.compile(schema));
  const validate = validators.get(key);
  const body = JSON.parse(text);
  if (validate(body)) {
    passed++;
    console.log(`ok   ${label} (${response.status})`);
  } else {
    failed++;
    console.log(`FAIL ${label}: ${ajv.errorsText(validate.errors)}\n     body: ${text}`);
  }
  return body;
}

// Start the emulator and read its ready line. The spec check's event webhook URL (bot.example.com)
// is not reachable from here, so the emulator does not PING it first.
const emulator = spawn(emulatorPath, ['--auto-approve', '--no-event-url-check'], { stdio: ['ignore', 'pipe', 'inherit'] });
const ready = await new Promise((resolve, reject) => {
  createInterface({ input: emulator.stdout }).once('line', (line) => resolve(JSON.parse(line)));
  emulator.once('exit', (code) => reject(new Error(`the emulator exited with ${code}`)));
});
const base = ready.url;
const app = ready.applications.find((a) => !a.public_client);
const basic = 'Basic ' + Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64');
const redirect = app.redirect_uris[0];

async function token(scopes, extra = {}) {
  const query = new URLSearchParams({ client_id: app.client_id, redirect_uri: redirect, response_type: 'code', scope: scopes, ...extra });
  const r = await fetch(`${base}/oauth2/authorize?${query}`, { redirect: 'manual' });
  const code = new URL(r.headers.get('location')).searchParams.get('code');
  const t = await fetch(`${base}/api/v10/oauth2/token`, {
    method: 'POST',
    headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirect }),
  });
  return (await t.json()).access_token;
}
const bearer = (t) => ({ headers: { Authorization: `Bearer ${t}` } });

try {
  const api = `${base}/api/v10`;
  const all = await token('identify email connections guilds guilds.members.read role_connections.write');
  await check('GET /oauth2/@me', '/oauth2/@me', 'get', await fetch(`${api}/oauth2/@me`, bearer(all)), 200);
  await check('GET /users/@me', '/users/@me', 'get', await fetch(`${api}/users/@me`, bearer(all)), 200);
  const guilds = await check('GET /users/@me/guilds', '/users/@me/guilds', 'get',
    await fetch(`${api}/users/@me/guilds?with_counts=true`, bearer(all)), 200);
  await check('GET /users/@me/guilds (no counts)', '/users/@me/guilds', 'get', await fetch(`${api}/users/@me/guilds`, bearer(all)), 200);
  for (const g of guilds ?? [])
    await check(`GET /users/@me/guilds/${g.id}/member`, '/users/@me/guilds/{guild_id}/member', 'get',
      await fetch(`${api}/users/@me/guilds/${g.id}/member`, bearer(all)), 200);
  await check('GET /users/@me/guilds/{unknown}/member', '/users/@me/guilds/{guild_id}/member', 'get',
    await fetch(`${api}/users/@me/guilds/42/member`, bearer(all)), 404);
  await check('GET /users/@me/connections', '/users/@me/connections', 'get', await fetch(`${api}/users/@me/connections`, bearer(all)), 200);

  const rolePath = '/users/@me/applications/{application_id}/role-connection';
  const roleUrl = `${api}/users/@me/applications/${app.client_id}/role-connection`;
  await check('GET role-connection (empty)', rolePath, 'get', await fetch(roleUrl, bearer(all)), 200);
  await check('PUT role-connection', rolePath, 'put', await fetch(roleUrl, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${all}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ platform_name: 'Chess Club', platform_username: 'nelly', metadata: { elo: '1800' } }),
  }), 200);
  await check('GET role-connection', rolePath, 'get', await fetch(roleUrl, bearer(all)), 200);
  await check('PUT role-connection (invalid)', rolePath, 'put', await fetch(roleUrl, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${all}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ metadata: { 'Bad-Key': '1' } }),
  }), 400);

  // A bot joins a guild, then adds a user who granted guilds.join.
  const guildId = guilds[0].id;
  await token('bot', { guild_id: guildId, permissions: '0' });
  const joiner = ready.users.find((u) => u.username === 'xiaolong');
  const joinToken = await token('identify guilds.join', { emulator_user: joiner.id });
  const join = (body) => fetch(`${api}/guilds/${guildId}/members/${joiner.id}`, {
    method: 'PUT',
    headers: { Authorization: `Bot ${app.bot_token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  await check('PUT /guilds/{guild}/members/{user}', '/guilds/{guild_id}/members/{user_id}', 'put', await join({ access_token: joinToken, nick: 'xl' }), 201);
  await check('PUT /guilds/{guild}/members/{user} (again)', '/guilds/{guild_id}/members/{user_id}', 'put', await join({ access_token: joinToken }), 204);

  // The application behind the bot token, and its event webhook settings.
  const botHeaders = { Authorization: `Bot ${app.bot_token}`, 'Content-Type': 'application/json' };
  await check('GET /applications/@me', '/applications/@me', 'get', await fetch(`${api}/applications/@me`, { headers: botHeaders }), 200);
  await check('PATCH /applications/@me', '/applications/@me', 'patch', await fetch(`${api}/applications/@me`, {
    method: 'PATCH',
    headers: botHeaders,
    body: JSON.stringify({ event_webhooks_url: 'https://bot.example.com/discord/events', event_webhooks_status: 2,
                           event_webhooks_types: ['APPLICATION_AUTHORIZED', 'APPLICATION_DEAUTHORIZED'] }),
  }), 200);
  await check('PATCH /applications/@me (bad status)', '/applications/@me', 'patch', await fetch(`${api}/applications/@me`, {
    method: 'PATCH', headers: botHeaders, body: JSON.stringify({ event_webhooks_status: 3 }),
  }), 400);

  // The application's role connection metadata records.
  const metaPath = '/applications/{application_id}/role-connections/metadata';
  const metaUrl = `${api}/applications/${app.client_id}/role-connections/metadata`;
  await check('GET role-connections/metadata (empty)', metaPath, 'get', await fetch(metaUrl, { headers: botHeaders }), 200);
  await check('PUT role-connections/metadata', metaPath, 'put', await fetch(metaUrl, {
    method: 'PUT', headers: botHeaders,
    body: JSON.stringify([{ type: 2, key: 'level', name: 'Level', description: 'Player level', name_localizations: { fr: 'Niveau' } },
                          { type: 7, key: 'verified', name: 'Verified', description: 'A verified account' }]),
  }), 200);
  await check('GET role-connections/metadata', metaPath, 'get', await fetch(metaUrl, { headers: botHeaders }), 200);
  await check('PUT role-connections/metadata (invalid)', metaPath, 'put', await fetch(metaUrl, {
    method: 'PUT', headers: botHeaders, body: JSON.stringify([{ type: 9, key: 'level', name: 'Level', description: 'x' }]),
  }), 400);

  await check('GET /oauth2/applications/@me', '/oauth2/applications/@me', 'get',
    await fetch(`${api}/oauth2/applications/@me`, { headers: botHeaders }), 200);

  // Slash command permissions, with the Bearer token of the 1337 Krew's owner (the first user).
  const krew = guilds.find((g) => g.owner);
  const command = app.commands.find((c) => !c.guild_id);
  const admin = await token('identify applications.commands.permissions.update');
  const permsBase = `${api}/applications/${app.client_id}/guilds/${krew.id}/commands`;
  const onePath = '/applications/{application_id}/guilds/{guild_id}/commands/{command_id}/permissions';
  const allPath = '/applications/{application_id}/guilds/{guild_id}/commands/permissions';
  await check('GET command permissions (none yet)', onePath, 'get', await fetch(`${permsBase}/${command.id}/permissions`, bearer(admin)), 404);
  const putPerms = (t, body) => fetch(`${permsBase}/${command.id}/permissions`, {
    method: 'PUT', headers: { Authorization: t, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  await check('PUT command permissions', onePath, 'put', await putPerms(`Bearer ${admin}`, {
    permissions: [{ id: krew.id, type: 1, permission: false }, { id: joiner.id, type: 2, permission: true }],
  }), 200);
  await check('PUT command permissions (bot token)', onePath, 'put', await putPerms(`Bot ${app.bot_token}`, { permissions: [] }), 403);
  await check('PUT command permissions (invalid type)', onePath, 'put',
    await putPerms(`Bearer ${admin}`, { permissions: [{ id: krew.id, type: 4, permission: true }] }), 400);
  await check('GET command permissions', onePath, 'get', await fetch(`${permsBase}/${command.id}/permissions`, bearer(admin)), 200);
  await check('GET guild command permissions', allPath, 'get', await fetch(`${permsBase}/permissions`, bearer(admin)), 200);
  await check('GET guild command permissions (bot token)', allPath, 'get', await fetch(`${permsBase}/permissions`, { headers: botHeaders }), 200);

  // Group DMs from users' tokens with gdm.join.
  const gdmA = await token('identify gdm.join');
  const gdmB = await token('identify gdm.join', { emulator_user: joiner.id });
  const group = await check('POST /users/@me/channels', '/users/@me/channels', 'post', await fetch(`${api}/users/@me/channels`, {
    method: 'POST', headers: botHeaders, body: JSON.stringify({ access_tokens: [gdmA], nicks: { [joiner.id]: 'xl' } }),
  }), 200);
  const recipient = (body) => fetch(`${api}/channels/${group.id}/recipients/${joiner.id}`, {
    method: 'PUT', headers: botHeaders, body: JSON.stringify(body),
  });
  const recipientPath = '/channels/{channel_id}/recipients/{user_id}';
  await check('PUT /channels/{channel}/recipients/{user}', recipientPath, 'put', await recipient({ access_token: gdmB, nick: 'xl' }), 201);
  await check('PUT /channels/{channel}/recipients/{user} (again)', recipientPath, 'put', await recipient({ access_token: gdmB }), 204);
  await check('POST /users/@me/channels (DM)', '/users/@me/channels', 'post', await fetch(`${api}/users/@me/channels`, {
    method: 'POST', headers: botHeaders, body: JSON.stringify({ recipient_id: joiner.id }),
  }), 200);

  // OpenID Connect: userinfo with openid, and the JWKS (RSA keys, as Discord's spec describes them).
  const openid = await token('openid identify email');
  await check('GET /oauth2/userinfo', '/oauth2/userinfo', 'get', await fetch(`${api}/oauth2/userinfo`, bearer(openid)), 200);
  await check('GET /oauth2/userinfo (no openid)', '/oauth2/userinfo', 'get', await fetch(`${api}/oauth2/userinfo`, bearer(all)), 401);
  await check('GET /oauth2/keys', '/oauth2/keys', 'get', await fetch(`${api}/oauth2/keys`), 200);

  // Errors: a bad token, and the rate limit.
  await check('GET /users/@me (bad token)', '/users/@me', 'get', await fetch(`${api}/users/@me`, bearer('nope')), 401);
  let limited = null;
  for (let i = 0; i < 20 && !limited; i++) {
    const r = await fetch(`${api}/users/@me/connections`, bearer(all));
    if (r.status === 429) limited = r;
    else await r.text();
  }
  if (limited) await check('GET /users/@me/connections (429)', '/users/@me/connections', 'get', limited, 429);
  else { failed++; console.log('FAIL no 429 within 20 requests'); }
} catch (e) {
  failed++;
  console.log(`FAIL ${e.stack}`);
} finally {
  emulator.kill('SIGTERM');
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
