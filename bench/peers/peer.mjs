// The complete OAuth2 flow (code exchange, GET /users/@me, refresh, revoke) through a library a
// bot author would otherwise use, driven by bench/peers_bench, which runs discord-oauth2 through
// the same flows against the same emulator in the same run.
//
// Protocol (one JSON object per line; secrets only on stdin, never on argv):
//   stdin, first line:  {"base", "client_id", "client_secret", "bot_token", "redirect_uri", "user_id"}
//   stdout:             {"ready": true}
//   stdin, then:        {"library": "discordjs" | "openid-client", "in_flight": N, "codes": [...]}
//   stdout, for each:   {"ok": flows that read the expected user, "total", "seconds", "cpu_us"}
// "cpu_us" is this process's own CPU (user + system, every thread) around the flows only.
import { createInterface } from 'node:readline';
import { API } from '@discordjs/core/http-only';
import { REST } from '@discordjs/rest';
import { Issuer } from 'openid-client';

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })[Symbol.asyncIterator]();
const next_line = async () => {
    const { value, done } = await lines.next();
    if (done)
        process.exit(0);
    return JSON.parse(value);
};

const config = await next_line();
const api_base = `${config.base}/api`;

// @discordjs/core with one REST for the application's calls (the bot token set, as the library
// requires even where Discord ignores it) and one for the users' calls, each request bearing its
// user's token in its own Authorization header. That is the leanest way the library allows: a REST
// per user (setToken takes one token per instance) costs two sweeper timers and a bucket map per
// user. The global limit of 50 requests a second that @discordjs/rest enforces by default is
// lifted: the emulator runs without rate limits, and discord-oauth2 is measured without one too.
const rest_options = { api: api_base, version: '10', globalRequestsPerSecond: Number.MAX_SAFE_INTEGER };
const bot_api = new API(new REST(rest_options).setToken(config.bot_token));
const user_rest = new REST(rest_options);
const basic = 'Basic ' + Buffer.from(`${config.client_id}:${config.client_secret}`).toString('base64');

async function discordjs_flow(code) {
    const tokens = await bot_api.oauth2.tokenExchange({
        client_id: config.client_id, client_secret: config.client_secret,
        grant_type: 'authorization_code', code, redirect_uri: config.redirect_uri,
    });
    const me = await user_rest.get('/users/@me', {
        auth: false,
        headers: { Authorization: `Bearer ${tokens.access_token}` },
    });
    const refreshed = await bot_api.oauth2.refreshToken({
        client_id: config.client_id, client_secret: config.client_secret,
        grant_type: 'refresh_token', refresh_token: tokens.refresh_token,
    });
    // @discordjs/core 1.x has no revocation call; its REST sends the request as the library does.
    await bot_api.rest.post('/oauth2/token/revoke', {
        auth: false,
        passThroughBody: true,
        body: new URLSearchParams({ token: refreshed.access_token }),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic },
    });
    return me.id === config.user_id;
}

// openid-client (Issuer and Client as its README sets up a provider without discovery).
const issuer = new Issuer({
    issuer: 'https://discord.com',
    authorization_endpoint: `${config.base}/oauth2/authorize`,
    token_endpoint: `${api_base}/v10/oauth2/token`,
    revocation_endpoint: `${api_base}/v10/oauth2/token/revoke`,
    userinfo_endpoint: `${api_base}/v10/users/@me`,
});
const oidc_client = new issuer.Client({
    client_id: config.client_id, client_secret: config.client_secret,
    redirect_uris: [config.redirect_uri], response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
});

async function openid_client_flow(code) {
    const tokens = await oidc_client.oauthCallback(config.redirect_uri, { code });
    const me = await oidc_client.userinfo(tokens.access_token);
    const refreshed = await oidc_client.refresh(tokens.refresh_token);
    await oidc_client.revoke(refreshed.access_token);
    return me.id === config.user_id;
}

const flows = { 'discordjs': discordjs_flow, 'openid-client': openid_client_flow };

async function run(job) {
    const flow = flows[job.library];
    if (!flow)
        throw new Error(`unknown library ${job.library}`);
    let next = 0;
    let ok = 0;
    const worker = async () => {
        while (next < job.codes.length) {
            const code = job.codes[next++];
            try {
                // Not `ok += await ...`: that reads `ok` before the await and loses other workers' counts.
                if (await flow(code))
                    ++ok;
            } catch (e) {
                process.stderr.write(`${job.library}: ${e.message}\n`);
            }
        }
    };
    const cpu_start = process.cpuUsage();
    const start = process.hrtime.bigint();
    await Promise.all(Array.from({ length: Math.min(job.in_flight, job.codes.length) }, worker));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = process.cpuUsage(cpu_start);
    return { ok, total: job.codes.length, seconds, cpu_us: cpu.user + cpu.system };
}

process.stdout.write(JSON.stringify({ ready: true }) + '\n');
for (;;)
    process.stdout.write(JSON.stringify(await run(await next_line())) + '\n');
