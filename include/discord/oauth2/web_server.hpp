// The callback web server: DisCatSharp's OAuth2Web, done right (see `web_server` below).
#pragma once

#include <discord/oauth2/async.hpp>
#include <discord/oauth2/client.hpp>
#include <discord/oauth2/openid.hpp>
#include <discord/oauth2/cluster.hpp>
#include <discord/oauth2/detail/gcc12.hpp>
#include <discord/oauth2/detail/result_receiver.hpp>
#include <discord/oauth2/events.hpp>
#include <discord/oauth2/http_exchange.hpp>
#include <discord/oauth2/refresher.hpp>
#include <discord/oauth2/server_limits.hpp>
#include <discord/oauth2/state.hpp>
#include <discord/oauth2/token_store.hpp>

#include <discord/oauth2/detail/asio_config.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/async_result.hpp>
#include <asio/bind_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/cancellation_signal.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace discord::oauth2 {

/// Pages shown to the person in the browser. Each is a whole HTML document in which `{{title}}`
/// and `{{message}}` are replaced by HTML-escaped text; empty uses the built-in page.
struct page_templates {
    std::string success{};   ///< authorized: "you can close this tab"
    std::string cancelled{}; ///< the person clicked Cancel
    std::string invalid{};   ///< a broken, forged, expired or already used link
    std::string error{};     ///< Discord or the exchange failed
};

/// How a web_server listens, keeps states and grants, and talks to the other instances.
struct web_server_config {
    /// Whether start() listens. False: the bot's own HTTP server (Boost.Beast, D++'s
    /// dpp::http_server, ...) receives the requests on the redirect URI's path (and
    /// linked_roles_path, events_path) and hands each to web_server::handle_request.
    bool listen = true;
    /// Loopback by default: the redirect comes from the person's own browser.
    std::string listen_address = "127.0.0.1";
    /// Listen on every interface (IPv4 and IPv6) instead, e.g. behind a reverse proxy elsewhere.
    bool listen_all = false;
    /// 0: the redirect URI's port when its host is local, else an ephemeral one (see port()).
    std::optional<std::uint16_t> port{};
    /// TLS with these PEM files; plain HTTP when absent.
    std::optional<std::string> tls_certificate_chain_file{};
    std::optional<std::string> tls_private_key_file{}; ///< with tls_certificate_chain_file
    /// Seals the states (the ring's current key; every key of it opens them) and, through HKDF,
    /// signs the cluster's messages. A random key when absent; give the same ring to every
    /// instance that may receive callbacks for URLs made by another. A state_key converts.
    /// Rotate with set_keys (docs/security.md, "Rotating keys").
    std::optional<state_key_ring> key{};
    /// How long an authorization URL stays valid: more than zero and at most a year (the
    /// constructor throws invalid_argument otherwise).
    std::chrono::seconds state_lifetime{600};
    /// Links the server remembers until they expire, answered or not (a link's record keeps how
    /// its callback ended, never a token, and leaves when the link expires); authorization_url
    /// throws too_many_pending past it. Callbacks of states this server did not make (another
    /// instance's links, the linked roles path) have a cap of the same size of their own, and the
    /// in-process replay guard twice it. At the default 10-minute lifetime, 100,000 is 166 new
    /// links a second, sustained.
    std::size_t max_pending = 100'000;
    page_templates pages{}; ///< the pages the browser is answered with
    /// Where browsers reach this server when it runs behind a proxy ("https://bot.example.com");
    /// the client's redirect URI must start with it. Empty: the redirect URI itself.
    std::string public_base_url{};
    /// Where grants are kept; a memory_token_store when null.
    std::shared_ptr<token_store> store{};
    /// What this instance shares with the other instances of the bot (cluster.hpp), e.g. the
    /// postgres_token_store that is also `store`: states are then consumed once across
    /// instances, a callback taken by one instance wakes the waiters of every instance, and the
    /// event streams of all of them see its events. Null: this server alone.
    std::shared_ptr<oauth2::cluster> cluster{};
    /// Keep every grant fresh in the background (refresher.hpp); off when absent. Lost grants
    /// become grant_lost events either way.
    std::optional<refresher_config> auto_refresh{};
    /// Events each subscriber may have queued before it misses some.
    std::size_t event_queue_capacity = 1024;
    /// Where Discord's webhook events are received, e.g. "/discord/events" (the URL to give
    /// Discord is the public base URL, or the redirect URI's origin, followed by it). Off when
    /// empty; needs `verify_key`. Every request must carry Discord's Ed25519 signature
    /// (docs/web-server.md, "Webhook events"): 401 otherwise, with nothing done.
    std::string events_path{};
    /// The application's public key, 64 hexadecimal digits ("Public Key" in the developer
    /// portal, `verify_key` of the application object). The constructor throws invalid_argument
    /// when events_path is set and this is not such a key.
    std::string verify_key{};
    /// How far an event's X-Signature-Timestamp may be from this machine's clock.
    std::chrono::seconds events_window{300};
    /// The largest events request body taken (413 past it; also bounded by limits.max_body).
    std::size_t events_max_body = 64 * 1024;
    /// The linked roles verification URL's path, e.g. "/discord/linked-role" (the URL to give
    /// Discord, in the portal or with edit_current_application, is the public base URL, or the
    /// redirect URI's origin, followed by it). Opening it starts an authorization with
    /// `role_connections.write` and `identify` for whoever opens it, bound to that browser by a
    /// cookie; after the callback, linked_roles_hook says what to push. Off when empty; needs
    /// linked_roles_hook (the constructor throws invalid_argument otherwise).
    std::string linked_roles_path{};
    /// Called on the server's executor once a person who came through linked_roles_path has
    /// authorized: `who` is their Discord user, `token` their grant (already saved in the
    /// store). The role connection it returns is pushed with client::update_role_connection;
    /// nullopt pushes nothing. If it throws, or the push fails, the person sees an error page and
    /// an `error` event says why (where "linked_roles"); the grant stays stored. Success is a
    /// `role_connection_updated` event.
    std::function<asio::awaitable<std::optional<role_connection>>(const user& who, const access_token& token)>
        linked_roles_hook{};
    /// How many linked roles authorizations one client address (an IPv6 /64 counts as one) may
    /// start a minute, in bursts of as many; past it the visit is answered 429 with Retry-After.
    /// Each visit mints a state that anyone holding it can spend on a callback: this keeps one
    /// client from filling the server's records and replay guard. Behind a reverse proxy, list it
    /// in limits.trusted_proxies so that its X-Forwarded-For says who the client is; with
    /// handle_request, set incoming_request::peer. 0: no limit.
    std::size_t linked_roles_per_minute = 10;
    /// How many authorization codes the callbacks of one client address (an IPv6 /64 counts as
    /// one) may have exchanged a minute, in bursts of as many. Each callback that brings a code
    /// with an unspent state costs a request to Discord's token endpoint, whether the code is
    /// real or made up: a client holding states (each linked roles visit mints one, and so may a
    /// site's login button) could otherwise spend the bot's token endpoint budget and the
    /// invalid requests Cloudflare bans an address for. Past it the callback is answered 429
    /// with Retry-After before its state is spent, so that a reload completes it; each refusal
    /// is counted (exchanges_refused()). Behind a reverse proxy, list it in
    /// limits.trusted_proxies, or every client counts as the proxy; with handle_request, set
    /// incoming_request::peer (a request without one counts only in exchanges_per_second).
    /// 0: no limit.
    std::size_t exchanges_per_minute_per_client = 30;
    /// How many codes this server exchanges a second in all, whoever sends them, in bursts of as
    /// many: what a flood from many addresses meets. Past it, the same 429. Each instance of a
    /// cluster counts its own. 0: no limit.
    std::size_t exchanges_per_second = 50;
    /// What a browser (or anyone else) may hold of the server: connections in all and per peer
    /// address (32; set trusted_proxies when a reverse proxy forwards to it), the first-byte,
    /// read, idle and write timeouts, and request sizes.
    server_limits limits{};
};

/// Extra parameters of an authorization URL.
struct authorization_options {
    std::string prompt{};                       ///< "consent" or "none"
    std::optional<int> integration_type{};      ///< 0 guild install, 1 user install
    std::optional<std::uint64_t> permissions{}; ///< bot flow
    std::optional<snowflake> guild_id{};        ///< bot flow
    bool disable_guild_select = false;        ///< bot flow: only `guild_id` may be chosen
    /// Sealed into the state, echoed in events. "linked_roles" is the linked roles path's own:
    /// authorization_url refuses it (invalid_argument).
    std::string flow = "login";
};

/// A grant the server obtained, and for whom.
struct authorized_grant {
    snowflake user_id;  ///< who authorized (checked to be the URL's user)
    access_token token; ///< the tokens, also saved in the token store
    /// With the `openid` scope: the ID token's claims, verified (client::verify_id_token with the
    /// link's nonce, its subject the user Discord named). Empty without openid, and on a waiter
    /// whose callback another instance of a cluster answered (verify token.id_token there).
    std::optional<id_token_claims> id_token;
};

/// How a wait for an authorization ended.
enum class authorization_outcome {
    authorized, ///< `grant` holds the token
    denied,     ///< the person cancelled, or Discord refused (`code`, `description`)
    failed,     ///< the callback came but failed (exchange error, wrong user): `code`, `description`
    timed_out,  ///< no callback within the wait's timeout
    stopped,    ///< the server stopped first
};

/// "authorized", "denied", "failed", "timed_out" or "stopped".
[[nodiscard]] std::string_view to_string(authorization_outcome outcome) noexcept;

/// What wait_for_access_token ends with. Converts to true when a grant was obtained.
struct authorization_result {
    authorization_outcome outcome = authorization_outcome::timed_out; ///< how it ended
    /// Shared, not inline: every waiter of a URL gets the same grant, and a waiting coroutine's
    /// frame stays small (a token with its optional guild and webhook is about 1 KiB).
    std::shared_ptr<const authorized_grant> grant;
    std::error_code code;    ///< why, when not authorized (an errc, or Discord's refusal)
    std::string description; ///< the same for people (Discord's error_description, ...)

    /// True when `grant` holds one.
    explicit operator bool() const noexcept { return grant != nullptr; }
    /// The grant; throws `error` (its code, or access_denied) when there is none.
    const authorized_grant* operator->() const;
};

/// What refresh_all and revoke_all did: they go on past failures.
struct bulk_result {
    std::vector<snowflake> succeeded;                          ///< users whose grant it did
    std::vector<std::pair<snowflake, std::error_code>> failed; ///< users it failed for, and why
    /// revoke_all only: grants whose tokens were known dead (flagged needs_reauthorization),
    /// removed here without a call to Discord. Discord may still hold the authorization (its
    /// tokens were rotated away from us); the user can remove the app in Discord's settings.
    std::vector<snowflake> forgotten;
    /// revoke_all only: users whose grant was gone by their turn (removed meanwhile by another
    /// call or instance); nothing was done for them.
    std::vector<snowflake> absent;
};

/// What revoke_access_token did.
enum class revocation {
    revoked,   ///< Discord revoked the grant, and it was removed
    forgotten, ///< the grant's tokens were known dead: removed without a call to Discord
    no_grant,  ///< no grant was stored for the user: nothing was done
};

/// The callback web server: DisCatSharp's OAuth2Web, done right.
///
/// @code
/// oauth2::web_server web(io.get_executor(), discord, {}); // discord: an oauth2::client
/// web.start();
/// auto url = web.authorization_url(user_id, {scope::identify, scope::connections});
/// // ... send `url` to the user ...
/// auto result = co_await web.wait_for_access_token(user_id, url, 1min);
/// if (result) co_await discord.get_connections(result->token);
/// @endcode
///
/// The browser's redirect arrives at the client's redirect URI; the server opens the sealed
/// state (user, expiry, PKCE verifier), exchanges the code, checks that the user who authorized
/// is the user the URL was made for, stores the grant, wakes the waiters, publishes events and
/// answers the browser with a page. The state, not the port, routes a callback: several bots or
/// shards can share one server, and any server holding the key can take any callback.
///
/// Threads: every member may be called from any thread; the server's work runs on its
/// executor, which must be run. The client given to it must outlive it.
class web_server {
public:
    /// `discord` must outlive the server; its redirect URI is where callbacks arrive.
    web_server(asio::any_io_executor executor, oauth2::client& discord, web_server_config config);
    /// With the default configuration. (An overload, not a default argument: g++ 12 destroys a
    /// defaulted temporary twice when the full expression also holds a co_await.)
    web_server(asio::any_io_executor executor, oauth2::client& discord);
    /// Stops abruptly (use stop() for a graceful stop).
    ~web_server();
    web_server(const web_server&) = delete;
    web_server& operator=(const web_server&) = delete;

    /// Starts: listens (unless config.listen is false), joins the cluster, starts the refresher.
    /// Throws `error` (address_in_use, ...) when it cannot listen, invalid_argument when started
    /// twice.
    void start();
    /// Stops accepting, lets callbacks in flight finish (up to `grace`), then ends every waiter
    /// with `stopped` and every event stream.
    [[nodiscard]] asio::awaitable<void> stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

    /// The port it listens on (the ephemeral one it got, when configured with 0); 0 before start().
    [[nodiscard]] std::uint16_t port() const noexcept;
    /// The path callbacks are taken on (the redirect URI's).
    [[nodiscard]] const std::string& callback_path() const noexcept;

    /// Whether `method` and `target` (a request target, its path percent-encoded as received)
    /// are one of this server's: the callback path, and linked_roles_path and events_path when
    /// set. A bot's own HTTP server routes those to handle_request.
    [[nodiscard]] bool handles(std::string_view method, std::string_view target) const;
    /// Serves `request` as the server's own listener would and gives the answer to send: the
    /// callback's page (the code exchanged, the waiters woken), the linked roles redirect, the
    /// events endpoint's answer. For a bot whose own HTTP server receives the callback
    /// (config.listen false; it works beside a listener too): docs/web-server.md, "Behind the
    /// bot's own HTTP server". The request is read by the listener's parser under config.limits'
    /// sizes (a malformed or oversized target, header or body is a 4xx answer, never an
    /// exception); connection caps, timeouts and per-peer limits are the bot's server's. A path
    /// that is not the server's is 404. Needs start(); before it, or
    /// after stop(), the answer is 503. Never throws for what the request holds; the operation
    /// may be cancelled through the awaiting coroutine. Any thread. `request` is copied or moved
    /// into the operation.
    template <class Request>
        requires std::same_as<std::remove_cvref_t<Request>, incoming_request>
    [[nodiscard]] asio::awaitable<outgoing_response> handle_request(Request&& request)
    {
        return handle_request_with(std::forward<Request>(request));
    }
    /// The same with the request written as a braced list in the call. Under g++ 12 this does
    /// not compile (docs/compilers.md): name it first.
    template <class Braced = incoming_request>
    [[nodiscard]] asio::awaitable<outgoing_response> handle_request(const volatile incoming_request&& request)
    {
        detail::refuse_braced_list_under_gcc12<Braced>();
        return handle_request_with(detail::braced_value(std::move(request)));
    }

    /// A URL for `user` with a sealed state and PKCE, registered as pending.
    [[nodiscard]] std::string authorization_url(snowflake user, const scope_list& scopes,
                                                const authorization_options& options);
    /// (An overload, not a default argument: g++ 12 destroys a defaulted temporary twice when the
    /// call is inside a co_await expression.)
    [[nodiscard]] std::string authorization_url(snowflake user, const scope_list& scopes);
    /// Registers a URL built elsewhere with this server's key (as the seed's SubmitPendingOAuth2Url).
    /// Throws `error` (invalid_state, state_expired) when its state is not one of ours.
    void submit_pending(std::string_view url);
    /// Uses `keys` for states and cluster messages from now on (a key rotation;
    /// `discord-oauth2 serve` calls it on SIGHUP): links are sealed, and messages signed, under
    /// `keys.current()`; a state or message under any key of the ring is accepted. A link sealed
    /// under a key the ring no longer holds gets the expired-link page. Thread-safe; a callback
    /// under way may see either ring.
    void set_keys(state_key_ring keys);
    /// Authorizations registered and not answered yet. A link leaves when it expires.
    [[nodiscard]] std::size_t pending_count() const;
    /// Every link and callback the server remembers until it expires, answered ones included: at
    /// most twice config.max_pending (docs/web-server.md, link records).
    [[nodiscard]] std::size_t remembered_count() const;

    /// Waits for the callback of `url`, made for `user`. A callback that came before the wait
    /// counts (within the link's lifetime: the grant is then read from the token store, and a
    /// grant revoked since ends the wait `failed` with no_grant). Many may wait at once;
    /// cancellable through the cancellation slot (errc::cancelled). A link that expires ends its
    /// waits `timed_out` (state_expired). Throws invalid_state for a URL whose state is not ours,
    /// invalid_argument for another user.
    [[nodiscard]] asio::awaitable<authorization_result> wait_for_access_token(snowflake user, std::string url,
                                                                            std::chrono::milliseconds timeout);
    /// The same with a one-minute timeout, as DisCatSharp's WaitForAccessTokenAsync. (An
    /// overload, not a default argument: see docs/compilers.md.)
    [[nodiscard]] asio::awaitable<authorization_result> wait_for_access_token(snowflake user, std::string url);

    /// The client the server exchanges codes with (the one it was made with).
    [[nodiscard]] oauth2::client& client() const noexcept;

    /// The same as an Asio asynchronous operation for any completion token (async.hpp):
    /// void(std::error_code, authorization_result), the code an errc (invalid_state,
    /// invalid_argument, cancelled through the token's cancellation slot); with_details keeps
    /// the sentence for people. The handler runs on its associated executor, else the server's.
    /// A waiter costs the server about 200 bytes, whatever the number of waiters, and no timer
    /// of its own.
    template <class CompletionToken>
    auto async_wait_for_access_token(snowflake user, std::string url, std::chrono::milliseconds timeout,
                                     CompletionToken&& completion)
    {
        return detail::with_unwrapped_details(
            std::forward<CompletionToken>(completion), [&](auto&& inner, error_details* details, std::string* message) {
                return initiate_wait(user, std::move(url), timeout, std::forward<decltype(inner)>(inner), details,
                                     message);
            });
    }

    /// A new stream of the server's events from now on (events.hpp): authorizations, denials,
    /// refreshes, lost grants, errors; with a cluster, those of every instance. Each stream has
    /// its own queue of `event_queue_capacity`; a slow reader gets events_missed, never slows
    /// the others. The stream ends when the server stops.
    [[nodiscard]] event_stream events();
    /// The same, only with the events `filter` lets through (one kind, one user, or both).
    [[nodiscard]] event_stream events(event_filter filter);

    /// Messages from the cluster that were refused: without a valid tag (not from an instance
    /// holding the state key), heard before (a replay), too old, malformed, or naming another
    /// user than the link's. Each is dropped; a rising count means someone else talks on the
    /// cluster's channel (docs/security.md).
    [[nodiscard]] std::uint64_t cluster_messages_dropped() const noexcept;

    /// Callbacks refused before their code was exchanged, past exchanges_per_minute_per_client or
    /// exchanges_per_second (each answered 429, its state left unspent). A rising count is a
    /// client spending states on made-up codes, or more people at once than the limits allow.
    [[nodiscard]] std::uint64_t exchanges_refused() const noexcept;

    // Per-user grants, in the configured token_store.
    /// The stored access token as it is (possibly expired or lost; see fresh_access_token).
    [[nodiscard]] asio::awaitable<std::optional<access_token>> access_token_for(snowflake user);
    /// A token good for at least the refresh margin, refreshed first when needed (one refresh
    /// per grant at a time, committed before use). Throws no_grant, or what lost the grant.
    [[nodiscard]] asio::awaitable<access_token> fresh_access_token(snowflake user);
    /// Refreshes now and stores the rotated grant; throws no_grant, or the refresh's error.
    [[nodiscard]] asio::awaitable<access_token> refresh_access_token(snowflake user);
    /// The users whose grant only a new authorization can bring back.
    [[nodiscard]] asio::awaitable<std::vector<snowflake>> grants_needing_reauthorization();
    /// One revoke call, then removal: `revoked`. A grant flagged needs_reauthorization holds dead
    /// tokens: it is only removed (no call to Discord, no access_token_revoked event):
    /// `forgotten`. A user without a grant is no error: `no_grant`, and nothing is done. Throws
    /// the revocation's error (the grant is kept) or the store's.
    asio::awaitable<revocation> revoke_access_token(snowflake user);
    /// Refreshes every stored grant, one at a time; goes on past failures (listed in `failed`).
    [[nodiscard]] asio::awaitable<bulk_result> refresh_all();
    /// Revokes and removes every stored grant, as revoke_access_token does for one; goes on past
    /// failures (their grants are kept and listed in `failed`).
    [[nodiscard]] asio::awaitable<bulk_result> revoke_all();

    // The grant operations and stop() as Asio asynchronous operations for any completion token
    // (async.hpp): each runs the coroutine of its awaitable form on the server's executor and
    // completes with void(std::error_code, T), or void(std::error_code) without a value.

    /// The executor the server runs on (the one it was made with).
    [[nodiscard]] asio::any_io_executor get_executor() const noexcept;

    /// stop as an asynchronous operation: void(std::error_code).
    template <class CompletionToken>
    auto async_stop(std::chrono::milliseconds grace, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), stop(grace), std::forward<CompletionToken>(completion));
    }
    /// access_token_for as an asynchronous operation: void(std::error_code,
    /// std::optional<access_token>).
    template <class CompletionToken>
    auto async_access_token_for(snowflake user, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), access_token_for(user), std::forward<CompletionToken>(completion));
    }
    /// fresh_access_token as an asynchronous operation: void(std::error_code, access_token).
    template <class CompletionToken>
    auto async_fresh_access_token(snowflake user, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), fresh_access_token(user),
                                       std::forward<CompletionToken>(completion));
    }
    /// refresh_access_token as an asynchronous operation: void(std::error_code, access_token).
    template <class CompletionToken>
    auto async_refresh_access_token(snowflake user, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), refresh_access_token(user),
                                       std::forward<CompletionToken>(completion));
    }
    /// grants_needing_reauthorization as an asynchronous operation: void(std::error_code,
    /// std::vector<snowflake>).
    template <class CompletionToken>
    auto async_grants_needing_reauthorization(CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), grants_needing_reauthorization(),
                                       std::forward<CompletionToken>(completion));
    }
    /// revoke_access_token as an asynchronous operation: void(std::error_code, revocation).
    template <class CompletionToken>
    auto async_revoke_access_token(snowflake user, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), revoke_access_token(user),
                                       std::forward<CompletionToken>(completion));
    }
    /// handle_request as an asynchronous operation for any completion token:
    /// void(std::error_code, outgoing_response). `request` is copied or moved into it.
    template <class CompletionToken, class Request>
        requires std::same_as<std::remove_cvref_t<Request>, incoming_request>
    auto async_handle_request(Request&& request, CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), handle_request_with(std::forward<Request>(request)),
                                       std::forward<CompletionToken>(completion));
    }
    /// The same with the request written as a braced list in the call; under g++ 12 this does
    /// not compile (docs/compilers.md): name it first.
    template <class CompletionToken, class Braced = incoming_request>
    auto async_handle_request(const volatile incoming_request&& request, CompletionToken&& completion)
    {
        detail::refuse_braced_list_under_gcc12<Braced>();
        return async_handle_request(detail::braced_value(std::move(request)), std::forward<CompletionToken>(completion));
    }
    /// refresh_all as an asynchronous operation: void(std::error_code, bulk_result).
    template <class CompletionToken>
    auto async_refresh_all(CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), refresh_all(), std::forward<CompletionToken>(completion));
    }
    /// revoke_all as an asynchronous operation: void(std::error_code, bulk_result).
    template <class CompletionToken>
    auto async_revoke_all(CompletionToken&& completion)
    {
        return detail::async_operation(get_executor(), revoke_all(), std::forward<CompletionToken>(completion));
    }

private:
    struct impl;
    // handle_request's implementation, a plain function returning the coroutine.
    asio::awaitable<outgoing_response> handle_request_with(incoming_request request);
    // The wait's one initiation: the handler gets the error as an error_code (and `details`,
    // `message` when given); it runs on its associated executor, else the server's.
    template <class CompletionToken>
    auto initiate_wait(snowflake user, std::string url, std::chrono::milliseconds timeout, CompletionToken&& completion,
                       error_details* details, std::string* message)
    {
        return asio::async_initiate<CompletionToken, void(std::error_code, authorization_result)>(
            [this, details, message](auto handler, snowflake u, std::string link, std::chrono::milliseconds t) {
                auto slot = asio::get_associated_cancellation_slot(handler);
                auto handler_executor = asio::get_associated_executor(handler, get_executor());
                auto deliver = asio::bind_executor(
                    handler_executor, [h = std::move(handler), details, message](std::exception_ptr e,
                                                                                 authorization_result r) mutable {
                        std::move(h)(detail::error_code_of(e, details, message), std::move(r));
                    });
                using receiver = detail::result_receiver_for<authorization_result, decltype(deliver)>;
                start_wait(u, std::move(link), t, std::make_unique<receiver>(std::move(deliver), get_executor()), slot);
            },
            completion, user, std::move(url), timeout);
    }
    void start_wait(snowflake user, std::string url, std::chrono::milliseconds timeout,
                    std::unique_ptr<detail::result_receiver<authorization_result>> receiver,
                    asio::cancellation_slot slot);

    std::shared_ptr<impl> impl_;
};

} // namespace discord::oauth2
