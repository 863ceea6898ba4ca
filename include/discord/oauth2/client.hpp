// The OAuth2 client: every Discord OAuth2 and Bearer-token operation as an awaitable. What it
// throws, on which threads and for how long it must live: the documentation of `client` below.
#pragma once

#include <discord/oauth2/application.hpp>
#include <discord/oauth2/channel.hpp>
#include <discord/oauth2/command_permissions.hpp>
#include <discord/oauth2/device_authorization.hpp>
#include <discord/oauth2/async.hpp>
#include <discord/oauth2/detail/gcc12.hpp>
#include <discord/oauth2/endpoints.hpp>
#include <discord/oauth2/guild.hpp>
#include <discord/oauth2/log.hpp>
#include <discord/oauth2/metrics.hpp>
#include <discord/oauth2/openid.hpp>
#include <discord/oauth2/scope.hpp>
#include <discord/oauth2/secret.hpp>
#include <discord/oauth2/snowflake.hpp>
#include <discord/oauth2/token.hpp>
#include <discord/oauth2/user.hpp>

#include <discord/oauth2/detail/asio_config.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <concepts>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace discord::oauth2 {

/// How the client behaves towards Discord's limits and failures.
struct retry_policy {
    /// Attempts for requests that are safe to repeat (reads, revocation, client credentials)
    /// on connection failures and 502/503/504. A code exchange or refresh is never repeated.
    int max_attempts = 3;
    std::chrono::milliseconds backoff{250};      ///< doubled per attempt, with jitter
    std::chrono::milliseconds max_backoff{4000}; ///< the longest backoff between attempts
    /// A 429 (or a known empty bucket) is waited out up to this long, then raised as rate_limited.
    /// Buckets and the global limit are kept per credential (each user's token, the bot token)
    /// and major parameter (a route's guild, channel or webhook): one user never waits on another.
    std::chrono::seconds max_rate_limit_wait{60};
    /// After this many 401/403 answers in a row to one credential (a bearer token, the bot token,
    /// the client's own credentials) the client stops sending with that credential for
    /// `invalid_cooldown`: Discord bans callers that keep failing. Other credentials go on.
    int invalid_request_limit = 10;
    std::chrono::seconds invalid_cooldown{60}; ///< how long a credential is held back
    /// And a net under all of them: Cloudflare bans an address after 10,000 invalid requests in
    /// 10 minutes, so after this many 401, 403 and 429 answers (not those of a `shared` limit, which
    /// Discord does not count) in `invalid_window` the client stops sending
    /// Bearer requests until the window ends. The token endpoint (code exchanges, refreshes) is
    /// never stopped by other users' tokens.
    int invalid_requests_per_window = 5000;
    std::chrono::minutes invalid_window{10}; ///< the window `invalid_requests_per_window` counts in
};

/// What a client is: the application's credentials, where Discord is, and how to talk to it.
struct client_config {
    snowflake client_id{}; ///< the application's id (its OAuth2 client id)
    /// Absent for public clients, which must use PKCE.
    std::optional<secret> client_secret{};
    /// The redirect URI registered for the application; sent with every code exchange.
    std::string redirect_uri{};
    oauth2::endpoints endpoints{}; ///< Discord's URLs (discord.com), or the emulator's
    /// The application's bot token, for add_guild_member.
    std::optional<secret> bot_token{};
    /// For each request, connection included.
    std::chrono::milliseconds timeout{30'000};
    /// A PEM file of trusted CAs; empty uses the system's.
    std::string ca_file{};
    std::string proxy{}; ///< an HTTP(S) proxy URL; empty: none (the *_proxy variables are ignored)
    /// Sent with every request; Discord asks bots for this form.
    std::string user_agent = "DiscordBot (https://github.com/discord-oauth2/discord-oauth2, 0.1)";
    /// Refuse an operation locally (missing_scope) when the token lacks its scope.
    bool check_scopes = true;
    retry_policy retries{}; ///< retries, waits and the 401/403 breaker
    /// OpenID Connect: the clock difference allowed when an ID token's `exp` and `iat` are checked.
    std::chrono::seconds clock_skew{60};
    /// OpenID Connect: an ID token naming a key the cached JWKS lacks fetches the JWKS again,
    /// at most this often (so forged `kid`s cannot make the client hammer the issuer); a JWKS
    /// that could not be fetched is tried again at most this often too.
    std::chrono::milliseconds jwks_refetch_interval{10'000};
    /// Told about every request, retry and wait (log.hpp); never given a secret.
    oauth2::logger logger{};
    /// The same lines as records with their fields apart (route, status, duration_ms, ...), for
    /// structured logs such as JSON (log.hpp). Both are called when both are set.
    oauth2::record_logger log_records{};
    /// Told what the client counts (metrics.hpp): every request to Discord, its status and
    /// duration, every wait for Discord's limits, the invalid requests in Discord's window. Web
    /// servers and refreshers made with this client report to it too (links, callbacks,
    /// waiters, refreshes, grants, webhook events). Null: nothing is counted.
    std::shared_ptr<metrics_observer> metrics{};
};

/// The OAuth2 flow of an authorization URL.
enum class response_type {
    code, ///< the authorization code grant: the callback gets a code to exchange
    token ///< the implicit grant: the redirect's fragment carries the access token
};

/// What authorization_url puts into the URL.
struct authorization_request {
    scope_list scopes{}; ///< the scopes to ask for: `{scope::identify, scope::guilds}` or `{"identify", "guilds"}`
    /// Echoed back to the redirect URI. A random one is made when empty.
    std::string state{};
    /// "consent" or "none"; empty leaves it to Discord.
    std::string prompt{};
    oauth2::response_type response_type = response_type::code; ///< the flow
    /// PKCE S256 (default for the code flow; never with role_connections.write, which Discord rejects).
    bool pkce = true;
    /// The PKCE verifier to use, when the caller made it (to seal it into the state first);
    /// a new one is made when absent.
    std::optional<secret> code_verifier{};
    std::optional<int> integration_type{};     ///< 0 guild install, 1 user install
    std::optional<std::uint64_t> permissions{}; ///< bot flow
    std::optional<snowflake> guild_id{};        ///< bot flow
    bool disable_guild_select = false;        ///< bot flow
    /// OpenID Connect: the `nonce` the ID token must carry. With `openid` among the scopes a
    /// random one is made when this is empty; without `openid` it is not sent.
    std::string nonce{};
};

/// Whether authorization_url uses PKCE for `request` (the code flow, without role_connections.write).
[[nodiscard]] bool uses_pkce(const authorization_request& request);

/// An authorization URL and what the callback will need.
struct authorization_link {
    std::string url;   ///< where to send the user
    std::string state; ///< the `state` in it; the callback must carry the same
    /// Keep it for the exchange; present when PKCE was used.
    std::optional<secret> code_verifier;
    /// With the `openid` scope, the nonce sent: keep it for verify_id_token. Empty otherwise.
    std::string nonce;
};

/// What kind of token revoke() is given (RFC 7009); Discord finds out itself without one.
enum class token_type_hint {
    none,         ///< no hint
    access_token, ///< an access token
    refresh_token ///< a refresh token
};

/// What add_guild_member did.
struct guild_join {
    bool added = false;                  ///< false: the user was already a member (Discord's 204)
    std::optional<guild_member> member;  ///< the new member, when added
};

/// What add_guild_member sets on the new member; each needs the bot's permission for it.
struct add_member_options {
    std::optional<std::string> nick{}; ///< nickname (MANAGE_NICKNAMES)
    std::vector<snowflake> roles{};    ///< roles to give (MANAGE_ROLES)
    std::optional<bool> mute{};        ///< server mute (MUTE_MEMBERS)
    std::optional<bool> deaf{};        ///< server deafen (DEAFEN_MEMBERS)
};

/// The values of an implicit grant's redirect fragment (`#access_token=...&state=...`).
struct implicit_grant {
    access_token token; ///< the access token (never a refresh token in this flow)
    std::string state;  ///< the state, to compare with the link's
};
/// Parses the fragment (with or without '#'); throws `error` for an error fragment (its code,
/// e.g. access_denied) or one without a token.
[[nodiscard]] implicit_grant parse_implicit_fragment(std::string_view fragment);

/// PKCE (RFC 7636): a 64-character random verifier and its S256 challenge.
struct pkce_pair {
    secret verifier;       ///< kept by the caller, sent with the code exchange
    std::string challenge; ///< BASE64URL(SHA-256(verifier)), sent in the URL
};
/// A new verifier (64 characters from 48 random bytes) and its challenge. Thread-safe.
[[nodiscard]] pkce_pair make_pkce();
/// The S256 challenge of `verifier`.
[[nodiscard]] std::string pkce_challenge(std::string_view verifier);

/// Which page of the user's guilds to read.
struct guild_page {
    std::optional<snowflake> before{}; ///< guilds with ids below this one
    std::optional<snowflake> after{};  ///< guilds with ids above this one
    int limit = 200; ///< 1..200
    bool with_counts = false;        ///< ask for approximate member and presence counts
};

/// The OAuth2 client: every Discord OAuth2 and Bearer-token operation as an awaitable.
///
/// @code
/// discord::oauth2::client discord(io.get_executor(), config);
/// auto link = discord.authorization_url(request);
/// // ... the user authorizes; the callback receives `code`
/// auto token = co_await discord.exchange_code(code, link.code_verifier);
/// auto me = co_await discord.get_current_user(token);
/// @endcode
///
/// Errors are thrown as discord::oauth2::error (error.hpp). Every operation may also throw what
/// any request may meet: timeout, connection_failed, connection_lost, tls, transport (the
/// network), rate_limited (a 429 longer than retry_policy::max_rate_limit_wait, or the breaker
/// holding the credential back), server_error (5xx after the retries), invalid_response (an
/// answer that is not what Discord sends, naming the field). Each operation lists only the
/// errors particular to it.
///
/// Threads and lifetimes: the client keeps no per-user state and may be shared by coroutines,
/// also on a multi-threaded io_context. It must outlive every operation it started, and its
/// executor must run for them to complete. Arguments taken by value are moved into the
/// operation; those the awaitable forms take by reference (the access_token) must stay alive
/// until it completes, which they do in `co_await client.get_connections(grant.token)`. The
/// `async_` forms take everything by value, as Asio does. An operation completes through its
/// caller's own executor, never inside libcurl: at once, in the client's turn of the event loop,
/// when that executor is the one running there (as asio::dispatch does), else posted to it.
class client {
public:
    /// The executor the client's I/O runs on.
    using executor_type = asio::any_io_executor;

    /// A client whose requests run on `executor`. Throws `error` (invalid_argument) when
    /// `client_id` is not set, or `client_secret` is set but empty.
    client(executor_type executor, client_config config);
    /// Destroys the client; no operation of it may still be in flight.
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    /// The configuration it was made with.
    [[nodiscard]] const client_config& config() const noexcept;

    /// Discord's invalid requests (401, 403, and 429 but shared ones) this client drew in
    /// Discord's current 10-minute window, 0 once it has passed: the distance to the ban
    /// Cloudflare gives an address past 10,000 (the client itself stops sending Bearer requests
    /// at retry_policy::invalid_requests_per_window). Also reported to config().metrics, so that
    /// a gauge falls back to 0 after a quiet window: ask it before a scrape. Any thread.
    [[nodiscard]] std::size_t invalid_requests_in_window() const;

    /// The URL to send the user to. Every value is percent-encoded.
    [[nodiscard]] authorization_link authorization_url(const authorization_request& request) const;

    // Token endpoints (https://discord.com/developers/docs/topics/oauth2). A code exchange or a
    // refresh is never retried once it may have reached Discord: losing the answer raises
    // outcome_unknown (the code may be spent, the refresh token rotated away).

    /// Exchanges the code of a callback for the user's tokens (POST /oauth2/token,
    /// authorization_code), with the redirect URI of the config and the PKCE verifier of the
    /// link when it used one. Throws invalid_grant (the code is unknown, expired or spent),
    /// invalid_client (wrong id or secret), invalid_request (a missing or wrong verifier),
    /// outcome_unknown.
    [[nodiscard]] asio::awaitable<access_token> exchange_code(std::string code,
                                                              std::optional<secret> code_verifier = std::nullopt);
    /// A new access token for a grant (refresh_token). Discord rotates the refresh token: the one
    /// returned replaces `refresh_token`, which stops working; keep the new one before using the
    /// access token. Throws invalid_grant (revoked, expired or already rotated), invalid_client,
    /// outcome_unknown.
    [[nodiscard]] asio::awaitable<access_token> refresh(secret refresh_token);
    /// A token for the application's owner (client_credentials), without a refresh token; needs
    /// the client secret. Throws invalid_scope (a scope Discord does not give this way),
    /// invalid_client, invalid_argument (no scopes, or a public client).
    [[nodiscard]] asio::awaitable<access_token> client_credentials(scope_list scopes);
    /// Revokes the whole grant the token belongs to (every access and refresh token of it).
    /// Revoking an unknown or already revoked token succeeds (RFC 7009). Throws invalid_argument
    /// (an empty token), invalid_client, unsupported_token_type.
    [[nodiscard]] asio::awaitable<void> revoke(secret token, token_type_hint hint = token_type_hint::none);

    // Bearer endpoints (https://discord.com/developers/docs/resources/user and docs/topics/oauth2).
    // Each needs the scope it names; with config.check_scopes (the default) a token without it
    // fails locally with missing_scope, before anything is sent. All throw unauthorized (401:
    // the token is invalid, expired or revoked) and forbidden (403).

    /// `GET /oauth2/@me`: the application, the granted scopes, the expiry and, with `identify`,
    /// the user. Any scope.
    [[nodiscard]] asio::awaitable<authorization_info> get_authorization_info(const access_token& token);
    /// `GET /users/@me`. Scope `identify`; `email` adds the email and whether it is verified.
    [[nodiscard]] asio::awaitable<user> get_current_user(const access_token& token);
    /// `GET /users/@me/connections`: the accounts the user linked. Scope `connections`.
    [[nodiscard]] asio::awaitable<std::vector<connection>> get_connections(const access_token& token);

    using guild_page = oauth2::guild_page; ///< which page of the user's guilds to read
    /// `GET /users/@me/guilds`: one page of the user's guilds, in ascending id order. Scope
    /// `guilds`. Throws invalid_argument for a limit outside 1..200.
    [[nodiscard]] asio::awaitable<std::vector<partial_guild>> get_guilds(const access_token& token, guild_page page);
    /// Every guild of the user, fetched a page at a time as they are consumed:
    ///
    ///   auto guilds = discord.get_all_guilds(token);
    ///   while (auto g = co_await guilds.next()) { ... }
    ///
    /// `page.after` is where it starts (after that id), `page.limit` the page size; `before` is
    /// not allowed. The stream keeps the client's state alive but must not outlive its executor.
    /// Scope `guilds`: missing_scope, and invalid_argument for `page.before` or a limit outside
    /// 1..200, are thrown here, at once; the page requests' errors by next() and next_page().
    class guild_stream;
    /// Every guild from `page` on (see above).
    [[nodiscard]] guild_stream get_all_guilds(access_token token, guild_page page);
    /// The same from the first guild, 200 a page.
    [[nodiscard]] guild_stream get_all_guilds(access_token token);
    /// `GET /users/@me/guilds/{guild}/member`: the user's membership in a guild. Scope
    /// `guilds.members.read`. Throws not_found when the user is not in that guild.
    [[nodiscard]] asio::awaitable<guild_member> get_guild_member(const access_token& token, snowflake guild_id);

    /// PUT /guilds/{guild}/members/{user}: adds the token's user to a guild with the
    /// application's bot (config.bot_token); the user must have granted `guilds.join` and the bot
    /// must be in the guild with the permission to invite (and to set the nick, roles, mute and
    /// deaf given in `options`). Throws invalid_argument without a bot token, forbidden (the bot
    /// may not), not_found (unknown guild), api_error with Discord's code otherwise. `options`
    /// is copied or moved into the operation.
    template <class Options>
        requires std::same_as<std::remove_cvref_t<Options>, add_member_options>
    [[nodiscard]] asio::awaitable<guild_join> add_guild_member(const access_token& token, snowflake guild_id,
                                                               snowflake user_id, Options&& options)
    {
        return add_guild_member_with(token, guild_id, user_id, std::forward<Options>(options));
    }
    /// The same with options written as a braced list in the call (`{.nick = "..."}`). Under
    /// g++ 12 this does not compile: that compiler destroys such a list twice inside a co_await
    /// (docs/compilers.md); name the options first.
    template <class Braced = add_member_options>
    [[nodiscard]] asio::awaitable<guild_join> add_guild_member(const access_token& token, snowflake guild_id,
                                                               snowflake user_id, const volatile add_member_options&& options)
    {
        detail::refuse_braced_list_under_gcc12<Braced>();
        return add_guild_member_with(token, guild_id, user_id, detail::braced_value(std::move(options)));
    }
    /// The same without options.
    [[nodiscard]] asio::awaitable<guild_join> add_guild_member(const access_token& token, snowflake guild_id,
                                                               snowflake user_id);

    // Role connections of this application for the token's user (linked roles). Scope
    // `role_connections.write` for all three.

    /// GET .../role-connection: empty fields when the user has none yet.
    [[nodiscard]] asio::awaitable<role_connection> get_role_connection(const access_token& token);
    /// PUT .../role-connection: replaces it; returns what Discord stored. Discord's limits
    /// (name 50, username 100, at most 5 metadata keys of [a-z0-9_]{1,50}, values 100) are
    /// checked before sending: invalid_argument naming the field. Discord's own refusals (keys
    /// the application's metadata records do not declare) are api_error with its field errors.
    /// `connection` is copied or moved into the operation.
    template <class Connection>
        requires std::same_as<std::remove_cvref_t<Connection>, role_connection>
    [[nodiscard]] asio::awaitable<role_connection> update_role_connection(const access_token& token,
                                                                          Connection&& connection)
    {
        return update_role_connection_with(token, std::forward<Connection>(connection));
    }
    /// The same with the connection written as a braced list in the call. Under g++ 12 this
    /// does not compile (docs/compilers.md): name it first.
    template <class Braced = role_connection>
    [[nodiscard]] asio::awaitable<role_connection> update_role_connection(const access_token& token,
                                                                          const volatile role_connection&& connection)
    {
        detail::refuse_braced_list_under_gcc12<Braced>();
        return update_role_connection_with(token, detail::braced_value(std::move(connection)));
    }
    /// DELETE .../role-connection.
    [[nodiscard]] asio::awaitable<void> delete_role_connection(const access_token& token);

    // The application itself, with the bot token (client_config::bot_token; invalid_argument
    // without one).

    /// `GET /applications/@me`: the application with its own settings (verify_key, redirect
    /// URIs, the event webhook URL, status and types, the linked roles verification URL).
    [[nodiscard]] asio::awaitable<application> get_current_application();
    /// `PATCH /applications/@me`: changes what `changes` sets and returns the application as it
    /// is then. Checked before sending (invalid_argument naming the field): a status of 1 or 2,
    /// absolute https URLs (http only on loopback) or "" for none, event types that are
    /// non-empty upper-case names. Discord's refusals (a URL that did not answer its PING with
    /// 204) are api_error with its field errors. `changes` is copied or moved into the
    /// operation.
    template <class Changes>
        requires std::same_as<std::remove_cvref_t<Changes>, application_changes>
    [[nodiscard]] asio::awaitable<application> edit_current_application(Changes&& changes)
    {
        return edit_current_application_with(std::forward<Changes>(changes));
    }
    /// The same with the changes written as a braced list in the call. Under g++ 12 this does
    /// not compile (docs/compilers.md): name them first.
    template <class Braced = application_changes>
    [[nodiscard]] asio::awaitable<application> edit_current_application(const volatile application_changes&& changes)
    {
        detail::refuse_braced_list_under_gcc12<Braced>();
        return edit_current_application_with(detail::braced_value(std::move(changes)));
    }

    /// RFC 8628 §3.1: starts a device authorization for `scopes`, a POST to
    /// endpoints.device_authorization with the client's authentication as for the token
    /// endpoint. Show the person the user code and the verification URI, then await
    /// wait_for_device_token. Errors: invalid_argument (no scopes, or one with a space), and the
    /// token endpoint's (invalid_client, invalid_scope, ...).
    [[nodiscard]] asio::awaitable<device_authorization> start_device_authorization(scope_list scopes);
    /// Polls the token endpoint until the person has authorized, and returns the grant. Polls
    /// are `interval` apart (at least 1 s, and 5 s longer after each slow_down), and go on
    /// through authorization_pending. Throws access_denied when the person cancelled,
    /// expired_token when the codes expired (as the server says, or once expires_at has passed
    /// here), and cancelled when the awaiting coroutine is cancelled (for instance
    /// `co_await (client.wait_for_device_token(a) || timer.async_wait(use_awaitable))`).
    /// `authorization` must stay alive until the wait ends.
    [[nodiscard]] asio::awaitable<access_token> wait_for_device_token(const device_authorization& authorization);

    /// `GET /applications/{client_id}/role-connections/metadata` (Bot token): the application's
    /// role connection metadata records, the values its linked roles can require. Errors:
    /// invalid_argument without a bot token, unauthorized for a wrong one, as other operations.
    [[nodiscard]] asio::awaitable<std::vector<role_connection_metadata>> get_role_connection_metadata();
    /// `PUT /applications/{client_id}/role-connections/metadata` (Bot token): replaces every
    /// record with `records` (an empty vector removes them all) and returns them as Discord
    /// stored them. Checked before sending, invalid_argument naming the record and field: at
    /// most 5 records, types 1 to 8, keys of 1 to 50 of [a-z0-9_] and unique, names of 1 to 100
    /// and descriptions of 1 to 200 characters, localizations only for Discord's locales and of
    /// the same lengths. Discord's own refusals are api_error with its field errors.
    [[nodiscard]] asio::awaitable<std::vector<role_connection_metadata>>
    update_role_connection_metadata(std::vector<role_connection_metadata> records);

    // OpenID Connect (experimental; docs/oidc.md). Ask for `openid` in authorization_url, keep
    // the link's nonce, and the token endpoint's answer carries access_token::id_token.

    /// Verifies `id_token` and returns its claims. The signature must verify with a key of the
    /// issuer's JWKS (config.endpoints.jwks; cached, fetched again once for an unknown `kid`,
    /// at most every config.jwks_refetch_interval, and after an hour) under RS256, ES256 or EdDSA
    /// (never `none` nor an HMAC algorithm, whatever the token says; the key's type must be the
    /// algorithm's); `iss` must be config.endpoints.issuer, `aud` must hold config.client_id
    /// (and `azp` be it, when there are several or it is sent), `exp` must be in the future and
    /// `iat` not, each within config.clock_skew; `nonce`, when not empty, must be the token's.
    /// Throws invalid_id_token naming the check that failed, or the JWKS request's errors.
    [[nodiscard]] asio::awaitable<id_token_claims> verify_id_token(std::string id_token, std::string nonce);
    /// `GET /oauth2/userinfo` (config.endpoints.userinfo): the user's OpenID Connect claims.
    /// Scope `openid`; errors as the Bearer reads.
    [[nodiscard]] asio::awaitable<openid_userinfo> get_userinfo(const access_token& token);

    /// `GET /oauth2/applications/@me` (Bot token): the bot's application, as Discord's OAuth2
    /// routes see it (the same fields as get_current_application). Errors as that operation.
    [[nodiscard]] asio::awaitable<application> get_oauth2_application();

    // Slash command permissions in a guild, with the Bearer token of someone who may manage the
    // guild and its roles (Discord answers forbidden otherwise). Scope
    // `applications.commands.permissions.update`; the commands are this application's
    // (config.client_id). Errors: missing_scope, forbidden, not_found (unknown guild or command,
    // or no overwrites set yet for get_command_permissions), api_error with Discord's code.

    /// `GET /applications/{client_id}/guilds/{guild}/commands/permissions`: the overwrites of
    /// every command of the application that has some in the guild.
    [[nodiscard]] asio::awaitable<std::vector<guild_command_permissions>>
    get_guild_command_permissions(const access_token& token, snowflake guild_id);
    /// `GET .../commands/{command}/permissions`: one command's overwrites in the guild.
    [[nodiscard]] asio::awaitable<guild_command_permissions>
    get_command_permissions(const access_token& token, snowflake guild_id, snowflake command_id);
    /// `PUT .../commands/{command}/permissions`: replaces the command's overwrites in the guild
    /// with `permissions` (an empty vector removes them) and returns them as Discord stored them.
    /// Checked before sending (invalid_argument): at most max_command_permissions, types 1 to 3.
    /// Only a user's Bearer token may do this: Discord refuses the bot token here.
    [[nodiscard]] asio::awaitable<guild_command_permissions>
    edit_command_permissions(const access_token& token, snowflake guild_id, snowflake command_id,
                             std::vector<command_permission> permissions);

    // Group DMs (scope `gdm.join` on each user's token), sent with the application's bot token
    // (config.bot_token; invalid_argument without one). Discord keeps at most 10 active group
    // DMs an application made; the eleventh is api_error 30011.

    /// `POST /users/@me/channels`: a new group DM of the users whose `tokens` are given, each
    /// with `gdm.join`; `nicks` names them in it (user id to nickname; optional). Checked before
    /// sending (invalid_argument): at least one token, none twice. Errors: missing_scope,
    /// forbidden (a token of another application or without the scope, at Discord's end),
    /// api_error (30011 at the limit).
    [[nodiscard]] asio::awaitable<private_channel>
    create_group_dm(std::vector<access_token> tokens, std::vector<std::pair<snowflake, std::string>> nicks);
    /// `PUT /channels/{channel}/recipients/{user}`: adds the token's user (`user_id`, scope
    /// `gdm.join`) to a group DM the application made, named `nick` there when it is not empty.
    /// added is false when they already were in it. Errors: missing_scope, not_found (unknown
    /// channel), forbidden (a channel the application did not make, or a token of another
    /// user), api_error.
    [[nodiscard]] asio::awaitable<group_dm_join>
    add_group_dm_recipient(const access_token& token, snowflake channel_id, snowflake user_id, std::string nick);

    // The same operations as Asio asynchronous operations, for any completion token (a callback,
    // asio::use_future, asio::experimental::deferred, asio::use_awaitable, as_tuple, with_details;
    // async.hpp says it once): each completes with void(std::error_code, T) (void(std::error_code)
    // for revoke and delete_role_connection), the code an `errc` (cancelled through the token's
    // cancellation slot). Each runs the coroutine of its awaitable form on the client's
    // executor, and completes on the handler's executor.

    /// The executor operations run on (the one the client was made with).
    [[nodiscard]] executor_type get_executor() const noexcept;

    /// exchange_code as an asynchronous operation: void(std::error_code, access_token).
    template <class CompletionToken>
    auto async_exchange_code(std::string code, std::optional<secret> code_verifier, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), exchange_code(std::move(code), std::move(code_verifier)),
                                       std::forward<CompletionToken>(completion));
    }
    /// refresh as an asynchronous operation: void(std::error_code, access_token).
    template <class CompletionToken>
    auto async_refresh(secret refresh_token, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), refresh(std::move(refresh_token)),
                                       std::forward<CompletionToken>(completion));
    }
    /// client_credentials as an asynchronous operation: void(std::error_code, access_token).
    template <class CompletionToken>
    auto async_client_credentials(scope_list scopes, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), client_credentials(std::move(scopes)),
                                       std::forward<CompletionToken>(completion));
    }
    /// revoke as an asynchronous operation: void(std::error_code).
    template <class CompletionToken>
    auto async_revoke(secret token, token_type_hint hint, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), revoke(std::move(token), hint),
                                       std::forward<CompletionToken>(completion));
    }
    /// get_authorization_info as an asynchronous operation: void(std::error_code,
    /// authorization_info).
    /// `token` is taken by value and kept by the operation, as Asio takes its arguments.
    template <class CompletionToken>
    auto async_get_authorization_info(access_token token, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(),
                                       detail::keeping(std::move(token), this, &client::get_authorization_info),
                                       std::forward<CompletionToken>(completion));
    }
    /// get_current_user as an asynchronous operation: void(std::error_code, user).
    /// `token` is taken by value and kept by the operation, as Asio takes its arguments.
    template <class CompletionToken>
    auto async_get_current_user(access_token token, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(),
                                       detail::keeping(std::move(token), this, &client::get_current_user),
                                       std::forward<CompletionToken>(completion));
    }
    /// get_connections as an asynchronous operation: void(std::error_code,
    /// std::vector<connection>).
    /// `token` is taken by value and kept by the operation, as Asio takes its arguments.
    template <class CompletionToken>
    auto async_get_connections(access_token token, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(),
                                       detail::keeping(std::move(token), this, &client::get_connections),
                                       std::forward<CompletionToken>(completion));
    }
    /// get_guilds as an asynchronous operation: void(std::error_code, std::vector<partial_guild>).
    /// `token` is taken by value and kept by the operation, as Asio takes its arguments.
    template <class CompletionToken>
    auto async_get_guilds(access_token token, guild_page page, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(),
                                       detail::keeping(std::move(token), this, &client::get_guilds, page),
                                       std::forward<CompletionToken>(completion));
    }
    /// get_guild_member as an asynchronous operation: void(std::error_code, guild_member).
    /// `token` is taken by value and kept by the operation, as Asio takes its arguments.
    template <class CompletionToken>
    auto async_get_guild_member(access_token token, snowflake guild_id, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(),
                                       detail::keeping(std::move(token), this, &client::get_guild_member, guild_id),
                                       std::forward<CompletionToken>(completion));
    }
    /// add_guild_member as an asynchronous operation: void(std::error_code, guild_join). The
    /// token and the options are taken by value and kept by the operation, as Asio takes its
    /// arguments.
    template <class CompletionToken, class Options>
        requires std::same_as<std::remove_cvref_t<Options>, add_member_options>
    auto async_add_guild_member(access_token token, snowflake guild_id, snowflake user_id, Options&& options,
                                CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(),
                                       detail::keeping(std::move(token), this, &client::add_guild_member_with, guild_id,
                                                       user_id, add_member_options(std::forward<Options>(options))),
                                       std::forward<CompletionToken>(completion));
    }
    /// The same with options written as a braced list in the call; under g++ 12 this does not
    /// compile (docs/compilers.md): name them first.
    template <class CompletionToken, class Braced = add_member_options>
    auto async_add_guild_member(access_token token, snowflake guild_id, snowflake user_id,
                                const volatile add_member_options&& options, CompletionToken&& completion)
    {
        detail::refuse_braced_list_under_gcc12<Braced>();
        return async_add_guild_member(std::move(token), guild_id, user_id, detail::braced_value(std::move(options)),
                                      std::forward<CompletionToken>(completion));
    }
    /// get_role_connection as an asynchronous operation: void(std::error_code, role_connection).
    /// `token` is taken by value and kept by the operation, as Asio takes its arguments.
    template <class CompletionToken>
    auto async_get_role_connection(access_token token, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(),
                                       detail::keeping(std::move(token), this, &client::get_role_connection),
                                       std::forward<CompletionToken>(completion));
    }
    /// update_role_connection as an asynchronous operation: void(std::error_code,
    /// role_connection). The token and the connection are taken by value and kept by the
    /// operation, as Asio takes its arguments.
    template <class CompletionToken, class Connection>
        requires std::same_as<std::remove_cvref_t<Connection>, role_connection>
    auto async_update_role_connection(access_token token, Connection&& connection, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(),
                                       detail::keeping(std::move(token), this, &client::update_role_connection_with,
                                                       role_connection(std::forward<Connection>(connection))),
                                       std::forward<CompletionToken>(completion));
    }
    /// The same with the connection written as a braced list in the call; under g++ 12 this
    /// does not compile (docs/compilers.md): name it first.
    template <class CompletionToken, class Braced = role_connection>
    auto async_update_role_connection(access_token token, const volatile role_connection&& connection,
                                      CompletionToken&& completion)
    {
        detail::refuse_braced_list_under_gcc12<Braced>();
        return async_update_role_connection(std::move(token), detail::braced_value(std::move(connection)),
                                            std::forward<CompletionToken>(completion));
    }
    /// delete_role_connection as an asynchronous operation: void(std::error_code).
    /// `token` is taken by value and kept by the operation, as Asio takes its arguments.
    template <class CompletionToken>
    auto async_delete_role_connection(access_token token, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(),
                                       detail::keeping(std::move(token), this, &client::delete_role_connection),
                                       std::forward<CompletionToken>(completion));
    }

    /// get_current_application as an asynchronous operation: void(std::error_code, application).
    template <class CompletionToken>
    auto async_get_current_application(CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), get_current_application(),
                                       std::forward<CompletionToken>(completion));
    }
    /// edit_current_application as an asynchronous operation: void(std::error_code, application).
    /// `changes` is taken by value and kept by the operation.
    template <class CompletionToken, class Changes>
        requires std::same_as<std::remove_cvref_t<Changes>, application_changes>
    auto async_edit_current_application(Changes&& changes, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), edit_current_application_with(std::forward<Changes>(changes)),
                                       std::forward<CompletionToken>(completion));
    }
    /// The same with the changes written as a braced list in the call; under g++ 12 this does
    /// not compile (docs/compilers.md): name them first.
    template <class CompletionToken, class Braced = application_changes>
    auto async_edit_current_application(const volatile application_changes&& changes, CompletionToken&& completion)
    {
        detail::refuse_braced_list_under_gcc12<Braced>();
        return async_edit_current_application(detail::braced_value(std::move(changes)),
                                              std::forward<CompletionToken>(completion));
    }
    /// start_device_authorization as an asynchronous operation: void(std::error_code,
    /// device_authorization).
    template <class CompletionToken>
    auto async_start_device_authorization(scope_list scopes, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), start_device_authorization(std::move(scopes)),
                                       std::forward<CompletionToken>(completion));
    }
    /// wait_for_device_token as an asynchronous operation: void(std::error_code, access_token).
    /// The completion token's cancellation slot ends the wait with cancelled. `authorization` is
    /// taken by value and kept by the operation, as Asio takes its arguments.
    template <class CompletionToken>
    auto async_wait_for_device_token(device_authorization authorization, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(),
                                       detail::keeping(std::move(authorization), this, &client::wait_for_device_token),
                                       std::forward<CompletionToken>(completion));
    }
    /// get_role_connection_metadata as an asynchronous operation: void(std::error_code,
    /// std::vector<role_connection_metadata>).
    template <class CompletionToken>
    auto async_get_role_connection_metadata(CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), get_role_connection_metadata(),
                                       std::forward<CompletionToken>(completion));
    }
    /// update_role_connection_metadata as an asynchronous operation: void(std::error_code,
    /// std::vector<role_connection_metadata>).
    template <class CompletionToken>
    auto async_update_role_connection_metadata(std::vector<role_connection_metadata> records, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), update_role_connection_metadata(std::move(records)),
                                       std::forward<CompletionToken>(completion));
    }

    /// verify_id_token as an asynchronous operation: void(std::error_code, id_token_claims).
    template <class CompletionToken>
    auto async_verify_id_token(std::string id_token, std::string nonce, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), verify_id_token(std::move(id_token), std::move(nonce)),
                                       std::forward<CompletionToken>(completion));
    }

    /// get_userinfo as an asynchronous operation: void(std::error_code, openid_userinfo).
    /// `token` is taken by value and kept by the operation, as Asio takes its arguments.
    template <class CompletionToken>
    auto async_get_userinfo(access_token token, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), detail::keeping(std::move(token), this, &client::get_userinfo),
                                       std::forward<CompletionToken>(completion));
    }

    /// get_oauth2_application as an asynchronous operation: void(std::error_code, application).
    template <class CompletionToken>
    auto async_get_oauth2_application(CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), get_oauth2_application(),
                                       std::forward<CompletionToken>(completion));
    }

    /// get_guild_command_permissions as an asynchronous operation: void(std::error_code,
    /// std::vector<guild_command_permissions>).
    /// `token` is taken by value and kept by the operation, as Asio takes its arguments.
    template <class CompletionToken>
    auto async_get_guild_command_permissions(access_token token, snowflake guild_id, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(),
                                       detail::keeping(std::move(token), this, &client::get_guild_command_permissions,
                                                       guild_id),
                                       std::forward<CompletionToken>(completion));
    }

    /// get_command_permissions as an asynchronous operation: void(std::error_code,
    /// guild_command_permissions).
    /// `token` is taken by value and kept by the operation, as Asio takes its arguments.
    template <class CompletionToken>
    auto async_get_command_permissions(access_token token, snowflake guild_id, snowflake command_id,
                                       CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(),
                                       detail::keeping(std::move(token), this, &client::get_command_permissions, guild_id,
                                                       command_id),
                                       std::forward<CompletionToken>(completion));
    }

    /// edit_command_permissions as an asynchronous operation: void(std::error_code,
    /// guild_command_permissions).
    /// `token` is taken by value and kept by the operation, as Asio takes its arguments.
    template <class CompletionToken>
    auto async_edit_command_permissions(access_token token, snowflake guild_id, snowflake command_id,
                                        std::vector<command_permission> permissions, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(),
                                       detail::keeping(std::move(token), this, &client::edit_command_permissions, guild_id,
                                                       command_id, std::move(permissions)),
                                       std::forward<CompletionToken>(completion));
    }

    /// create_group_dm as an asynchronous operation: void(std::error_code, private_channel).
    template <class CompletionToken>
    auto async_create_group_dm(std::vector<access_token> tokens, std::vector<std::pair<snowflake, std::string>> nicks,
                               CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), create_group_dm(std::move(tokens), std::move(nicks)),
                                       std::forward<CompletionToken>(completion));
    }

    /// add_group_dm_recipient as an asynchronous operation: void(std::error_code,
    /// group_dm_join).
    /// `token` is taken by value and kept by the operation, as Asio takes its arguments.
    template <class CompletionToken>
    auto async_add_group_dm_recipient(access_token token, snowflake channel_id, snowflake user_id, std::string nick, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(),
                                       detail::keeping(std::move(token), this, &client::add_group_dm_recipient, channel_id,
                                                       user_id, std::move(nick)),
                                       std::forward<CompletionToken>(completion));
    }

private:
    // The implementations of the templates above: plain functions returning the coroutine.
    asio::awaitable<guild_join> add_guild_member_with(const access_token& token, snowflake guild_id, snowflake user_id,
                                                      add_member_options options);
    asio::awaitable<role_connection> update_role_connection_with(const access_token& token, role_connection connection);
    asio::awaitable<application> edit_current_application_with(application_changes changes);

    struct impl;
    std::shared_ptr<impl> impl_;
};

/// An async generator over every guild of a user (client::get_all_guilds).
class client::guild_stream {
public:
    /// Moves the stream; the moved-from one may only be destroyed.
    guild_stream(guild_stream&&) noexcept;
    /// Moves the stream; the moved-from one may only be destroyed.
    guild_stream& operator=(guild_stream&&) noexcept;
    ~guild_stream();

    /// The next guild, or nullopt after the last one. Errors of the page requests are thrown.
    [[nodiscard]] asio::awaitable<std::optional<partial_guild>> next();
    /// The rest of the current page, or the next page; an empty vector after the last one.
    [[nodiscard]] asio::awaitable<std::vector<partial_guild>> next_page();
    /// Page requests sent so far.
    [[nodiscard]] int pages_fetched() const noexcept;

    /// The executor its page requests run on (the client's).
    [[nodiscard]] asio::any_io_executor get_executor() const noexcept;
    /// next as an Asio asynchronous operation for any completion token (async.hpp):
    /// void(std::error_code, std::optional<partial_guild>). The stream must outlive it.
    template <class CompletionToken>
    auto async_next(CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), next(), std::forward<CompletionToken>(completion));
    }
    /// next_page as an Asio asynchronous operation: void(std::error_code,
    /// std::vector<partial_guild>). The stream must outlive it.
    template <class CompletionToken>
    auto async_next_page(CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), next_page(), std::forward<CompletionToken>(completion));
    }

private:
    friend class client; // get_all_guilds makes it
    guild_stream(std::shared_ptr<client::impl> impl, access_token token, client::guild_page page);

    struct state;
    std::unique_ptr<state> state_;
};

} // namespace discord::oauth2
