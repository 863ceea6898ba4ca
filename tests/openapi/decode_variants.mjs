// The decoders against everything Discord's OpenAPI document allows, generated from the document:
//
//   node decode_variants.mjs DECODE_DRIVER OPENAPI_JSON FIXTURES_DIR
//
// For each schema the client decodes, it builds a complete valid instance (every property the
// schema lists), then variants one change at a time: each nullable field set to null, each field
// the schema does not require removed, each enum value replaced by one Discord has not invented
// yet, an unknown field added, each snowflake at 2^64-1 as a string and as a number, and one past
// it. All of those must decode. Each required field removed must fail with invalid_response naming
// the field, except where Discord's own documented example (FIXTURES_DIR) leaves that field out:
// Discord documents it as omittable, so it must decode.
//
// The variants go to DECODE_DRIVER (tests/openapi/decode_driver.cpp, the library's decoders), one
// per line; prints a line per schema and every mismatch; exits 1 on any.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadSpec } from './spec.mjs';

const [driverPath, specPath, fixturesDir] = process.argv.slice(2);
const spec = loadSpec(specPath);
const schemas = spec.components.schemas;
const ours = JSON.parse(readFileSync(new URL('./token_response.schema.json', import.meta.url), 'utf8'));
for (const [name, schema] of Object.entries(ours)) if (!name.startsWith('$')) schemas[name] = schema;

// What the client decodes: the root schema of each decoder (`list`: the route whose answer is a
// list of them), and every schema met inside them
// that the decoders read (other nested objects are skipped whole, as unknown fields are).
const roots = [
  { decoder: 'user', schema: 'UserPIIResponse' },
  { decoder: 'partial_guilds', schema: 'MyGuildResponse', list: '/users/@me/guilds' },
  { decoder: 'guild_member', schema: 'PrivateGuildMemberResponse' },
  { decoder: 'guild_member', schema: 'GuildMemberResponse' },
  { decoder: 'connections', schema: 'ConnectedAccountResponse', list: '/users/@me/connections' },
  { decoder: 'authorization_info', schema: 'OAuth2GetAuthorizationResponse' },
  { decoder: 'application', schema: 'PrivateApplicationResponse' },
  { decoder: 'role_connection', schema: 'ApplicationUserRoleConnectionResponse' },
  { decoder: 'role_connection_metadata', schema: 'ApplicationRoleConnectionsMetadataItemResponse',
    list: '/applications/{application_id}/role-connections/metadata' },
  { decoder: 'api_error', schema: 'ErrorResponse' },
  { decoder: 'rate_limit', schema: 'RatelimitedResponse' },
  { decoder: 'access_token', schema: 'TokenResponse' },
  { decoder: 'oauth_error', schema: 'OAuthErrorResponse' },
  { decoder: 'command_permissions_list', schema: 'CommandPermissionsResponse',
    list: '/applications/{application_id}/guilds/{guild_id}/commands/permissions' },
  { decoder: 'private_channel', schema: 'PrivateGroupChannelResponse' },
  { decoder: 'private_channel', schema: 'PrivateChannelResponse' },
  { decoder: 'openid_userinfo', schema: 'OAuth2GetOpenIDConnectUserInfoResponse' },
  // Not OAuth2GetKeys: a JWKS is read as RFC 7517 says (only kty required), not as the spec's
  // Discord-only key shape, so that keys of other types and members are kept or skipped.
];
const decoded = new Set([
  ...roots.map((r) => r.schema),
  'UserResponse', 'UserAvatarDecorationResponse', 'UserPrimaryGuildResponse', 'ApplicationResponse',
  'GuildResponse', 'GuildRoleResponse', 'TokenWebhookResponse', 'CommandPermissionResponse',
]);

// Fields of decoded schemas that the library's models do not carry: the decoders check that a
// required one is there, and otherwise skip it whole like an unknown field, so no variant looks
// inside them.
const notModelled = {
  PrivateGuildMemberResponse: ['avatar_decoration_data', 'collectibles'],
  GuildMemberResponse: ['avatar_decoration_data', 'collectibles'],
  ApplicationResponse: ['bot', 'primary_sku_id', 'guild_id', 'install_params', 'integration_types_config'],
  PrivateApplicationResponse: ['bot', 'primary_sku_id', 'guild_id', 'install_params', 'integration_types_config',
                               'owner', 'team'],
  TokenWebhookResponse: ['user'],
  GuildResponse: ['application_id', 'afk_channel_id', 'system_channel_id', 'widget_channel_id', 'rules_channel_id',
                  'safety_alerts_channel_id', 'public_updates_channel_id', 'emojis', 'stickers', 'incidents_data'],
  UserResponse: ['collectibles'],
  UserPIIResponse: ['collectibles'],
};

// Discord's documented examples: [schema, fixture, path to the object inside it]. A field the
// schema requires but one of these leaves out is documented as omittable. (The guild member
// example's `user` is a placeholder, {}, so it documents nothing about users.)
const documented = [
  ['UserPIIResponse', 'user-object-example-user.json', []],
  ['UserResponse', 'user-object-example-user.json', []],
  ['UserResponse', 'get-current-authorization-information-example-authorization-information.json', ['user']],
  ['MyGuildResponse', 'get-current-user-guilds-example-partial-guild.json', []],
  ['PrivateGuildMemberResponse', 'guild-member-object-example-guild-member.json', []],
  ['GuildMemberResponse', 'guild-member-object-example-guild-member.json', []],
  ['OAuth2GetAuthorizationResponse', 'get-current-authorization-information-example-authorization-information.json', []],
  ['ApplicationResponse', 'get-current-authorization-information-example-authorization-information.json', ['application']],
  ['ErrorResponse', 'json-example-json-error-response.json', []],
  ['ErrorResponse', 'reference-error-array.json', []],
  ['ErrorResponse', 'reference-error-object.json', []],
  ['ErrorResponse', 'reference-error-request.json', []],
  ['RatelimitedResponse', 'ratelimit-429-user.txt', []],
  ['RatelimitedResponse', 'ratelimit-429-shared.txt', []],
  ['RatelimitedResponse', 'ratelimit-429-global.txt', []],
  ['TokenResponse', 'authorization-code-grant-access-token-response.json', []],
  ['TokenResponse', 'client-credentials-grant-client-credentials-access-token-response.json', []],
  ['TokenResponse', 'webhooks-webhook-token-response-example.json', []],
  ['TokenResponse', 'advanced-bot-authorization-extended-bot-authorization-access-token-example.json', []],
  ['TokenWebhookResponse', 'webhooks-webhook-token-response-example.json', ['webhook']],
  ['GuildResponse', 'guild-object-example-guild.json', []],
  ['GuildResponse', 'advanced-bot-authorization-extended-bot-authorization-access-token-example.json', ['guild']],
  ['GuildRoleResponse', 'guild-object-example-guild.json', ['roles', '*']],
  ['GuildRoleResponse', 'advanced-bot-authorization-extended-bot-authorization-access-token-example.json', ['guild', 'roles', '*']],
];

const refName = (schema) => schema?.$ref?.split('/').pop();

// A schema with $ref followed and allOf merged into one object schema.
function resolve(schema) {
  while (schema?.$ref) schema = schemas[refName(schema)];
  if (!schema?.allOf) return schema;
  const merged = { ...schema, type: 'object', properties: { ...(schema.properties ?? {}) }, required: [...(schema.required ?? [])] };
  delete merged.allOf;
  for (const part of schema.allOf) {
    const p = resolve(part);
    Object.assign(merged.properties, p.properties ?? {});
    merged.required.push(...(p.required ?? []));
  }
  return merged;
}

const isNullType = (s) => s?.type === 'null';
function nullable(schema) {
  const s = resolve(schema);
  if (Array.isArray(s.type) && s.type.includes('null')) return true;
  return (s.oneOf ?? s.anyOf ?? []).some(isNullType);
}
// The schema without its null alternative.
function nonNull(schema) {
  let s = resolve(schema);
  if (Array.isArray(s.type)) {
    const types = s.type.filter((t) => t !== 'null');
    s = { ...s, type: types.length === 1 ? types[0] : types };
  }
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives?.some(isNullType)) {
    const rest = alternatives.filter((a) => !isNullType(a));
    if (rest.length === 1) return rest[0];
    return { ...s, oneOf: rest, anyOf: undefined };
  }
  return schema.$ref && !schema.allOf ? schema : s;
}
function enumValues(schema) {
  const s = resolve(nonNull(schema));
  if (s.enum) return s.enum;
  if (s.oneOf?.length && s.oneOf.every((a) => 'const' in a)) return s.oneOf.map((a) => a.const);
  if (s.allOf) for (const part of s.allOf) { const v = enumValues(part); if (v) return v; }
  return null;
}
function isSnowflake(schema) {
  const s = nonNull(schema);
  return refName(s) === 'SnowflakeType' || resolve(s)?.format === 'snowflake';
}
// The decoded schema an object field holds, or (for an array) its items hold.
function decodedName(schema) {
  const s = nonNull(schema);
  if (decoded.has(refName(s))) return { name: refName(s), array: false };
  const r = resolve(s);
  if (r?.type === 'array' && decoded.has(refName(r.items))) return { name: refName(r.items), array: true };
  return null;
}

// A valid value for `schema`, with every property listed down to a depth, then required ones only.
function instance(schema, depth = 0) {
  const values = enumValues(schema);
  if (values) return values[0];
  let s = resolve(nonNull(schema));
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives && !s.type) return instance(alternatives[0], depth + 1);
  const type = Array.isArray(s.type) ? s.type[0] : s.type ?? (s.properties ? 'object' : undefined);
  switch (type) {
    case 'object': {
      const out = {};
      const names = Object.keys(s.properties ?? {});
      for (const name of names)
        if (depth < 4 || (s.required ?? []).includes(name)) out[name] = instance(s.properties[name], depth + 1);
      if (!names.length && typeof s.additionalProperties === 'object' && depth < 4)
        out.key = instance(s.additionalProperties, depth + 1);
      return out;
    }
    case 'array': return depth < 4 ? [instance(s.items, depth + 1)] : [];
    case 'integer': return Math.max(s.minimum ?? 1, Math.min(1, s.maximum ?? 1));
    case 'number': return 1.5;
    case 'boolean': return true;
    case 'null': return null;
    case 'string':
      if (s.format === 'snowflake' || s.pattern === '^(0|[1-9][0-9]*)$') return '175928847299117063';
      if (s.format === 'date-time') return '2026-11-30T12:34:56.789000+00:00';
      if (s.format === 'uri') return 'https://example.com/path';
      if (s.pattern?.startsWith('^#')) return '#aabbcc';
      return '1234'; // digits: some plain strings carry numbers (permissions, flags_new)
    default: return 'text';
  }
}

function fixtureObject(file, path) {
  let text = readFileSync(join(fixturesDir, file), 'utf8');
  if (file.endsWith('.txt')) text = text.split('\n').filter((l) => !l.startsWith('< ')).join('\n');
  let objects = [JSON.parse(text)];
  for (const step of path) objects = objects.flatMap((o) => (step === '*' ? o : [o[step]]));
  return objects;
}
const omittable = new Map();
for (const [name, file, path] of documented) {
  const set = omittable.get(name) ?? new Set();
  for (const object of fixtureObject(file, path))
    for (const field of resolve(schemas[name]).required ?? []) if (!(field in object)) set.add(field);
  omittable.set(name, set);
}

// Variants of one root: [label, json text, expectation], expectation null (decodes) or the
// text the error must contain.
const BIG = '18446744073709551615';
function variants(root) {
  const base = root.list ? [instance({ $ref: `#/components/schemas/${root.schema}` })] : instance({ $ref: `#/components/schemas/${root.schema}` });
  const out = [[`${root.schema}: complete`, JSON.stringify(base), null]];
  const edit = (label, change, expect, raw) => {
    const copy = structuredClone(base);
    change(copy);
    let text = JSON.stringify(copy);
    if (raw) text = text.replace(`"${raw.marker}"`, raw.text);
    out.push([`${root.schema}: ${label}`, text, expect]);
  };
  // Walks the object at `steps` (keys into `base`) whose schema is `name`.
  const walk = (name, steps) => {
    const schema = resolve(schemas[name]);
    const at = (o) => steps.reduce((x, k) => x[k], o);
    const where = steps.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('').replace(/^\./, '');
    const required = new Set(schema.required ?? []);
    edit(`${where || 'body'} + unknown field`, (o) => { at(o).field_discord_adds_later = { nested: [1, null] }; }, null);
    for (const [field, fieldSchema] of Object.entries(schema.properties ?? {})) {
      const path = where ? `${where}.${field}` : field;
      if (nullable(fieldSchema)) edit(`${path} = null`, (o) => { at(o)[field] = null; }, null);
      if (!required.has(field)) edit(`${path} absent`, (o) => { delete at(o)[field]; }, null);
      else if (omittable.get(name)?.has(field)) edit(`${path} absent (documented)`, (o) => { delete at(o)[field]; }, null);
      else edit(`${path} absent (required)`, (o) => { delete at(o)[field]; }, `${where || 'the body'} has no ${field}`);
      if ((notModelled[name] ?? []).includes(field)) continue;
      const values = enumValues(fieldSchema);
      if (values) {
        const unknown = typeof values[0] === 'number' ? 1000 + Math.max(...values) : 'a_value_discord_adds_later';
        edit(`${path} = unknown ${JSON.stringify(unknown)}`, (o) => { at(o)[field] = unknown; }, null);
      }
      const items = resolve(nonNull(fieldSchema));
      if (items?.type === 'array' && enumValues(items.items) && Array.isArray(at(base)[field]))
        edit(`${path}[] = unknown`, (o) => { at(o)[field] = ['a_value_discord_adds_later']; }, null);
      if (isSnowflake(fieldSchema)) {
        edit(`${path} = "${BIG}"`, (o) => { at(o)[field] = BIG; }, null);
        edit(`${path} = ${BIG} (a number)`, (o) => { at(o)[field] = '@big@'; }, null, { marker: '@big@', text: BIG });
        edit(`${path} = 2^64 (too big)`, (o) => { at(o)[field] = '18446744073709551616'; }, path);
      }
      const inner = decodedName(fieldSchema);
      if (inner && at(base)[field] != null)
        walk(inner.name, inner.array ? [...steps, field, 0] : [...steps, field]);
    }
  };
  walk(root.schema, root.list ? [0] : []);
  if (root.list) {
    out.push([`${root.schema}: an empty list`, '[]', null]);
    // The route's answer itself may be null where the spec types it `array | null`.
    const answer = spec.paths[root.list].get.responses['200'].content['application/json'].schema;
    if (nullable(answer)) out.push([`${root.schema}: the list is null`, 'null', null]);
  }
  return out;
}

const cases = roots.flatMap((root) => variants(root).map((v) => ({ decoder: root.decoder, schema: root.schema, label: v[0], text: v[1], expect: v[2] })));

const driver = spawn(driverPath, [], { stdio: ['pipe', 'pipe', 'inherit'] });
driver.stdin.on('error', () => {}); // a driver that dies is reported by its exit below
const answers = [];
const lines = createInterface({ input: driver.stdout });
lines.on('line', (line) => answers.push(line));
for (const c of cases) driver.stdin.write(`${c.decoder}\t${c.text}\n`);
driver.stdin.end();
const code = await new Promise((resolve) => driver.on('close', resolve));
if (code !== 0 || answers.length !== cases.length) {
  console.log(`FAIL the driver exited with ${code} after ${answers.length} of ${cases.length} answers`);
  process.exit(1);
}

let failed = 0;
const perSchema = new Map();
cases.forEach((c, i) => {
  const [kind, message = ''] = answers[i].split('\t');
  const ok = c.expect === null ? kind === 'ok' : kind === 'invalid_response' && message.includes(c.expect);
  const tally = perSchema.get(c.schema) ?? { n: 0, bad: 0 };
  tally.n++;
  if (!ok) {
    tally.bad++;
    failed++;
    console.log(`FAIL ${c.label}: expected ${c.expect === null ? 'to decode' : `invalid_response naming "${c.expect}"`}, got ${answers[i]}\n     ${c.text.slice(0, 400)}`);
  }
  perSchema.set(c.schema, tally);
});
for (const [schema, t] of perSchema) console.log(`${t.bad ? 'FAIL' : 'ok  '} ${schema}: ${t.n - t.bad} of ${t.n} variants as the spec says`);
for (const name of decoded) {
  const set = omittable.get(name) ?? new Set();
  const required = (resolve(schemas[name]).required ?? []).filter((f) => !set.has(f));
  console.log(`     ${name} requires ${required.join(', ') || 'nothing'}${set.size ? `; documented as omittable: ${[...set].join(', ')}` : ''}`);
}
console.log(`${cases.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
