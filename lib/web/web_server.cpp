#include <discord/oauth2/web_server.hpp>

#include "client/pkce.hpp"
#include "core/attempt.hpp"
#include "core/base64.hpp"
#include "core/mac.hpp"
#include "core/random.hpp"
#include "core/url_encoding.hpp"
#include "core/url_parts.hpp"
#include "core/utf8.hpp"
#include "web/web_server_impl.hpp"

#include <discord/oauth2/error.hpp>
#include <discord/oauth2/fmt.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/concurrent_channel.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <unordered_map>

namespace discord::oauth2 {
namespace {

bool asks_openid(const std::vector<std::string>& scopes)
{
    return std::find(scopes.begin(), scopes.end(), "openid") != scopes.end();
}

// The OpenID Connect nonce of a link: derived one way from its state's nonce, so the sealed state
// carries it without a field of its own and the URL does not show the state's nonce (the linked
// roles cookie holds that).
std::string openid_nonce(std::string_view state_nonce)
{
    return base64::encode_url(mac::tag(state_nonce, "discord-oauth2 openid nonce").substr(0, 18));
}

} // namespace

std::string_view to_string(authorization_outcome outcome) noexcept
{
    switch (outcome) {
    case authorization_outcome::authorized: return "authorized";
    case authorization_outcome::denied: return "denied";
    case authorization_outcome::failed: return "failed";
    case authorization_outcome::timed_out: return "timed_out";
    case authorization_outcome::stopped: return "stopped";
    }
    return "unknown";
}

const authorized_grant* authorization_result::operator->() const
{
    if (!grant) {
        auto c = code ? code : make_error_code(errc::access_denied);
        throw error(static_cast<errc>(c.category() == error_category() ? c.value() : static_cast<int>(errc::access_denied)),
                    "there is no grant: the authorization " + std::string(outcome == authorization_outcome::timed_out ? "timed out"
                        : outcome == authorization_outcome::stopped ? "was cut short by the server stopping"
                        : outcome == authorization_outcome::denied  ? "was denied"
                                                                    : "failed")
                        + (description.empty() ? "" : " (" + description + ")"));
    }
    return grant.get();
}

namespace {

// The callback's `error` is one of OAuth2's short codes, its description a sentence: what is
// kept of each (bytes; a longer text is the sender's, not Discord's).
constexpr std::size_t max_error_text = 64;

// The `state` of a link the application hands back (a wait, a link made elsewhere). Only that
// value is decoded: another parameter that does not decode no longer refuses the URL, and the
// state itself is then opened and checked as always.
std::optional<std::string> state_of(std::string_view url_text)
{
    auto parts = url::split(url_text);
    if (!parts)
        return std::nullopt;
    return url::query_value(parts->query, "state");
}

} // namespace

asio::awaitable<server::response> web_server::impl::callback(server::request& req)
{
    auto under_way = callbacks_in_flight.scope();
    auto outcome = callback_outcome::failed;
    auto a = co_await handle(req, outcome);
    if (metrics)
        metrics->callback_answered(outcome);
    co_return web::render(config.pages, a);
}

asio::awaitable<web::answer> web_server::impl::handle(server::request& req, callback_outcome& outcome)
{
    auto error_param = req.query_param("error");
    auto code = req.query_param("code");
    auto state_text = req.query_param("state");
    auto iss = req.query_param("iss");

    // Neither Discord's answer nor its error: nothing to act on, and the state stays unspent so
    // that the real callback (a prefetch or a mangled link may come first) still works.
    outcome = callback_outcome::invalid_state;
    if (!error_param && (!code || code->empty() || !state_text || state_text->empty()))
        co_return invalid(400, "Invalid link", "This link is missing part of Discord's answer. Please start again from the bot.");

    // The state first when there is one: a denial must reach the waiters of its user.
    std::optional<state_claims> claims;
    std::error_code state_error;
    if (state_text) {
        try {
            claims = open_state(keys()->ring, *state_text);
        } catch (const error& e) {
            state_error = e.code();
        }
    }
    // A linked roles authorization belongs to the browser that started it: a callback URL
    // carried to another browser (login CSRF) is refused, and its state stays unspent.
    if (claims && claims->flow == linked_roles_flow && !from_linked_role_browser(req, *claims))
        co_return invalid(403, "Wrong browser",
                          "Please open the linked roles link from Discord again, in this browser.");
    // A linked roles denial concerns nobody who waits (whoever opens the path is unknown until a
    // grant names them): it gets its page and nothing else. Nothing is spent, remembered or
    // published, so that a flood of them (each visit mints a state) costs only the pages.
    if (claims && claims->flow == linked_roles_flow && error_param) {
        outcome = callback_outcome::denied;
        co_return denial_page(*error_param);
    }
    // A code with a valid state is about to be exchanged: a request to Discord's token endpoint,
    // which a made-up code costs as much as a real one. The limits are counted before the state
    // is spent, so that a refused callback keeps its state (and Discord's code) for a reload once
    // the wait is over. That opens no replay: a refused callback has exchanged nothing, and
    // consume below still lets one callback per state, and only one, on to the exchange.
    bool exchanging = claims && !error_param;
    if (exchanging) {
        outcome = callback_outcome::rate_limited;
        if (auto wait = exchanges.take(req.peer, web::exchange_limits::clock::now()))
            co_return web::answer{429, web::page_kind::error, "Too many attempts",
                                  "Too many authorizations are arriving just now. Please wait a moment, then reload "
                                  "this page.",
                                  *wait};
    }
    if (claims) {
        auto consumed = co_await core::attempt(consume(*claims));
        if (consumed.failure) {
            if (exchanging)
                exchanges.give_back(req.peer); // nothing is exchanged: the reload counts instead
            // Not consumed: reloading the page sends the same callback again, and may pass.
            outcome = callback_outcome::failed;
            publish_error("callback", consumed.failure->code(),
                          std::string("a callback could not be checked for replay: ") + consumed.failure->what(),
                          claims->user_id);
            co_return web::answer{503, web::page_kind::error, "Please try again",
                                  "We could not check this link just now. Please reload this page in a moment."};
        }
        if (!*consumed.value) {
            if (exchanging)
                exchanges.give_back(req.peer); // a replay gets the first answer, never an exchange
            claims.reset();
            state_error = make_error_code(errc::state_replayed);
        }
    }

    if (error_param) {
        // Named, not temporaries: g++ 12 destroys temporaries of a co_await expression twice.
        // Anyone can write these: cut short before they reach a result, an event or a log.
        std::string error_text(utf8::prefix(*error_param, max_error_text));
        std::string description(utf8::prefix(req.query_param("error_description").value_or(""), max_error_text * 4));
        // A denial counts as one only with a state of ours: `error=` is anyone's to write.
        outcome = claims                                 ? callback_outcome::denied
            : state_error == errc::state_expired         ? callback_outcome::expired
            : state_error == errc::state_replayed        ? callback_outcome::replay
                                                         : callback_outcome::invalid_state;
        co_return co_await answer_denial(error_text, description, claims);
    }
    outcome = callback_outcome::expired;
    if (state_error == errc::state_expired)
        co_return invalid(400, "Link expired", "This authorization link has expired. Please start again from the bot.");
    if (state_error == errc::state_replayed) {
        std::string replayed(*state_text);
        outcome = callback_outcome::replay;
        co_return co_await answer_replay(replayed);
    }
    outcome = callback_outcome::invalid_state;
    if (state_error || !claims)
        co_return invalid(400, "Invalid link", "This authorization link is not valid. Please start again from the bot.");
    std::string code_text(*code);
    std::optional<std::string> issuer;
    if (iss)
        issuer.emplace(*iss);
    auto a = co_await answer_fresh_code(code_text, *claims, issuer, outcome);
    co_await share_outcome(claims->nonce);
    co_return a;
}

// The page for Discord's `error`: cancelled for access_denied, else failed.
web::answer web_server::impl::denial_page(std::string_view error_text)
{
    return error_text == "access_denied"
        ? web::answer{403, web::page_kind::cancelled, "Authorization cancelled",
                      "You cancelled the authorization. Nothing was shared; you can close this tab."}
        : web::answer{400, web::page_kind::error, "Authorization failed",
                      "Discord could not complete the authorization. Please start again from the bot."};
}

// Discord sent the person back with an error (Cancel on its page, or a scope it refused): the
// waiters of the link's user learn it was denied; there is nothing to exchange.
asio::awaitable<web::answer> web_server::impl::answer_denial(const std::string& error_text,
                                                             const std::string& description,
                                                             const std::optional<state_claims>& claims)
{
    bool cancelled = error_text == "access_denied";
    auto a = denial_page(error_text);
    if (!claims)
        co_return a;
    authorizations->begin_callback(*claims);
    authorization_result result;
    result.outcome = authorization_outcome::denied;
    result.code = make_error_code(cancelled                          ? errc::access_denied
                                  : error_text == "invalid_scope" ? errc::invalid_scope
                                                                  : errc::invalid_request);
    result.description = description.empty() ? error_text : description;
    event e;
    e.kind = event_kind::authorization_denied;
    e.user_id = claims->user_id;
    e.code = result.code;
    e.message = result.description;
    e.claims = claims;
    publish(std::move(e));
    settle(claims->nonce, a, result);
    co_await share_outcome(claims->nonce);
    co_return a;
}

// The state was used already: a double click, a prefetch, a reload. The answer is the first
// callback's, never a second exchange; the first may have come to another instance, whose
// outcome is then the cluster's.
asio::awaitable<web::answer> web_server::impl::answer_replay(const std::string& state_text)
{
    std::shared_ptr<web::answer_channel> follower;
    std::string nonce;
    try {
        auto peek = open_state(keys()->ring, state_text); // authentic already; only for its nonce
        nonce = peek.nonce;
        auto ex = co_await asio::this_coro::executor;
        auto replay = authorizations->follow(peek, config.cluster != nullptr, ex);
        if (replay.settled)
            co_return *replay.settled;
        follower = std::move(replay.follower);
    } catch (const error&) {
    }
    if (follower) {
        if (config.cluster) {
            std::vector<std::string> one{nonce};
            co_await ask_outcomes_now(one);
        }
        // The first callback's instance may have died: wait for its answer a while only.
        asio::steady_timer patience(co_await asio::this_coro::executor, std::chrono::seconds(30));
        patience.async_wait([follower](std::error_code ec) {
            if (!ec)
                follower->try_send(make_error_code(errc::timeout), web::answer{});
        });
        auto [ec, a] = co_await follower->async_receive(asio::experimental::as_tuple(asio::use_awaitable));
        patience.cancel();
        if (!ec)
            co_return a;
        authorizations->unfollow(nonce, follower);
    }
    co_return invalid(400, "Link already used", "This authorization link was already used. Please start again from the bot.");
}

// A fresh code for a state used for the first time: the exchange, then who authorized and for
// what, then the grant stored and the waiters woken. Every refusal fails closed.
asio::awaitable<web::answer> web_server::impl::answer_fresh_code(const std::string& code, const state_claims& claims,
                                                                   const std::optional<std::string>& iss,
                                                                   callback_outcome& outcome)
{
    outcome = callback_outcome::failed;
    // At the cap, the callback is still served; it is just not remembered for replays.
    authorizations->begin_callback(claims, claims.flow == linked_roles_flow);
    auto fail = [&](int status, web::page_kind kind, std::string title, std::string message, std::error_code ec,
                    std::string description, authorization_outcome outcome = authorization_outcome::failed) {
        web::answer a{status, kind, std::move(title), std::move(message)};
        authorization_result result;
        result.outcome = outcome;
        result.code = ec;
        result.description = std::move(description);
        settle(claims.nonce, a, result);
        return a;
    };

    // RFC 9207: an `iss` that names another server means the response was not Discord's.
    const auto& expected_issuer = discord.config().endpoints.issuer;
    if (iss && !expected_issuer.empty() && *iss != expected_issuer) {
        // Both named, the arrived one cut short: it is the network's text, not ours.
        auto arrived = iss->size() > 200 ? iss->substr(0, 200) + "..." : *iss;
        auto why = fmt::format("the callback's iss names another issuer (expected {}, arrived {})", expected_issuer,
                               arrived);
        publish_error("callback", make_error_code(errc::invalid_request), why + "; it was refused", claims.user_id);
        outcome = callback_outcome::invalid_state; // not Discord's answer: someone else's making
        co_return fail(400, web::page_kind::invalid, "Invalid link",
                       "This answer did not come from Discord. Please start again from the bot.",
                       make_error_code(errc::invalid_request), why);
    }

    event received;
    received.kind = event_kind::authorization_code_received;
    received.user_id = claims.user_id;
    received.claims = claims;
    publish(std::move(received));

    // Awaited in place, not through core::attempt: its frame (2.4 KiB, the token twice) was past
    // malloc's per-thread cache, a slow allocation and free every callback.
    std::optional<access_token> issued;
    std::optional<error> exchange_failure;
    try {
        issued.emplace(co_await discord.exchange_code(code, claims.code_verifier));
    } catch (const error& e) {
        exchange_failure.emplace(e);
    }
    if (const auto& failure = exchange_failure) {
        publish_error("exchange", failure->code(), failure->what(), claims.user_id);
        // Discord refusing the code (made up, spent, expired, a verifier that does not match) is
        // the sender's doing; anything else (5xx, no answer, invalid_client) is the bot's to mend.
        auto code_error = failure->code();
        outcome = code_error == errc::invalid_grant || code_error == errc::invalid_request ? callback_outcome::code_refused
                                                                                            : callback_outcome::failed;
        co_return fail(502, web::page_kind::error, "Authorization failed",
                       "Discord did not accept the authorization. Please start again from the bot.", failure->code(),
                       failure->what());
    }
    access_token token = std::move(*issued);

    // Who authorized, and for what? A grant that does not cover the scopes the link asked for
    // came from an edited link; a link made for a user needs `identify` to prove who clicked.
    // Every refusal fails closed: nothing is stored, the new grant is revoked, the waiter fails.
    struct refusal {
        int status;
        std::string title;
        std::string message;
        std::error_code code;
        std::string description;
    };
    std::optional<refusal> refused;
    const std::string edited = "This link was changed after the bot made it. Please start again from the bot.";
    std::vector<std::string> missing;
    for (const auto& s : claims.scopes)
        if (!token.has_scope(s))
            missing.push_back(s);
    bool bound = claims.user_id != snowflake{};
    if (!missing.empty())
        refused = refusal{403, "Authorization refused", edited, make_error_code(errc::forbidden),
                          fmt::format("the grant lacks scopes the link requested ({})", fmt::join(missing, " "))};
    else if (bound && !token.has_scope("identify"))
        refused = refusal{403, "Authorization refused", edited, make_error_code(errc::forbidden),
                          "a link made for a user was authorized without the identify scope"};

    snowflake authorized = claims.user_id;
    std::optional<user> signed_in; // who, when Discord said
    if (!refused && token.has_scope("identify")) {
        std::optional<authorization_info> info;
        std::optional<error> unknown;
        try {
            info.emplace(co_await discord.get_authorization_info(token));
        } catch (const error& e) {
            unknown.emplace(e);
        }
        const auto& who = info ? info->user : std::optional<user>{};
        if (unknown || !who)
            refused = refusal{502, "Authorization failed",
                              "We could not confirm which Discord account authorized. Please start again from the bot.",
                              unknown ? unknown->code() : make_error_code(errc::invalid_response),
                              unknown ? std::string("Discord did not say who authorized: ") + unknown->what()
                                      : std::string("Discord's authorization information names no user")};
        else if (bound && who->id != claims.user_id)
            refused = refusal{403, "Wrong account",
                              "This link was made for another Discord account. Please start again from the bot "
                              "while signed in to your own account.",
                              make_error_code(errc::forbidden),
                              fmt::format("user {} authorized a link made for user {}", who->id, claims.user_id)};
        else {
            authorized = who->id;
            signed_in = *who;
        }
    }
    // With openid the ID token must verify (signature, issuer, audience, expiry, this link's
    // nonce) and name the same user Discord named.
    std::optional<id_token_claims> id_claims;
    if (!refused && asks_openid(claims.scopes)) {
        if (!token.id_token) {
            refused = refusal{502, "Authorization failed", "Discord did not confirm the sign-in. Please start again from the bot.",
                              make_error_code(errc::invalid_id_token), "Discord sent no ID token for the openid scope"};
        } else {
            std::string id_token = token.id_token->reveal();
            std::string nonce = openid_nonce(claims.nonce);
            auto verified = co_await core::attempt(discord.verify_id_token(std::move(id_token), std::move(nonce)));
            if (const auto& failure = verified.failure)
                refused = refusal{403, "Authorization refused",
                                  "The sign-in could not be verified. Please start again from the bot.", failure->code(),
                                  failure->what()};
            else if (authorized != snowflake{} && verified.value->subject != authorized.to_string())
                refused = refusal{403, "Authorization refused",
                                  "The sign-in could not be verified. Please start again from the bot.",
                                  make_error_code(errc::invalid_id_token),
                                  fmt::format("the ID token names user {}, Discord said {}", verified.value->subject,
                                              authorized)};
            else
                id_claims = std::move(*verified.value);
        }
    }
    if (refused) {
        (void)co_await revoke_grant(token, claims.user_id); // published if it fails; the refusal stands
        publish_error("callback", refused->code, refused->description + "; the new grant was revoked", claims.user_id);
        outcome = refused->status == 403 ? callback_outcome::refused_account : callback_outcome::failed;
        co_return fail(refused->status, refused->status == 403 ? web::page_kind::invalid : web::page_kind::error,
                       std::move(refused->title), std::move(refused->message), refused->code,
                       std::move(refused->description));
    }

    bool stored = true; // nothing to store without a user
    if (authorized != snowflake{}) {
        // The store's own code when it gives one (store_failed, grant_altered, ...), else store_failed.
        std::optional<std::pair<std::error_code, std::string>> store_failure;
        try {
            stored_grant grant{authorized, token};
            co_await config.store->save(std::move(grant));
        } catch (const error& e) {
            store_failure.emplace(e.code(), std::string("the token store failed: ") + e.what());
        } catch (const std::exception& e) {
            store_failure.emplace(make_error_code(errc::store_failed), std::string("the token store failed: ") + e.what());
        }
        if (store_failure) {
            publish_error("store", store_failure->first, store_failure->second, authorized);
            if (metrics)
                metrics->store_reachable(false);
        }
        stored = !store_failure;
    }

    event exchanged;
    exchanged.kind = event_kind::authorization_code_exchanged;
    exchanged.user_id = authorized;
    exchanged.token = token;
    exchanged.claims = claims;
    publish(std::move(exchanged));

    web::answer a{200, web::page_kind::success, "Authorized",
                  "You have authorized the application. You can close this tab and return to Discord."};
    if (claims.flow == linked_roles_flow && signed_in)
        a = co_await push_linked_role(*signed_in, token);
    // Authorized for the person; for the operator, a grant that was not saved (or a linked roles
    // push that failed) is a failure to mend.
    outcome = stored && a.status == 200 ? callback_outcome::authorized : callback_outcome::failed;
    authorization_result result;
    result.outcome = authorization_outcome::authorized;
    result.grant = std::make_shared<const authorized_grant>(authorized_grant{authorized, std::move(token), std::move(id_claims)});
    settle(claims.nonce, a, std::move(result));
    co_return a;
}

// Ends the whole grant `token` belongs to at Discord; a failure is published and returned.
asio::awaitable<std::optional<error>> web_server::impl::revoke_grant(const access_token& token, snowflake user)
{
    // Revoking either token ends the whole grant; the refresh token is the one that lasts.
    auto hint = token.refresh_token ? token_type_hint::refresh_token : token_type_hint::access_token;
    secret which = token.refresh_token ? *token.refresh_token : token.token;
    auto revoked = co_await core::attempt(discord.revoke(std::move(which), hint));
    if (const auto& failure = revoked.failure)
        publish_error("revoke", failure->code(), failure->what(), user);
    co_return std::move(revoked.failure);
}

web_server::web_server(asio::any_io_executor executor, oauth2::client& discord, web_server_config config)
    : impl_(std::make_shared<impl>(std::move(executor), discord, std::move(config)))
{
}

web_server::web_server(asio::any_io_executor executor, oauth2::client& discord)
    : web_server(std::move(executor), discord, web_server_config{})
{
}

web_server::~web_server()
{
    impl_->serving = false;
    impl_->authorizations->close(); // its timer no longer waits for links to expire
    if (impl_->routes && impl_->config.cluster)
        impl_->config.cluster->unsubscribe();
    if (impl_->http)
        impl_->http->stop();
    impl_->hub.end_all();
}

void web_server::start()
{
    auto& i = *impl_;
    if (i.routes)
        throw error(errc::invalid_argument, "the web server is already started");
    server::server_options o;
    o.limits = i.config.limits;
    o.addresses = i.config.listen_all ? std::vector<std::string>{"0.0.0.0", "::"}
                                      : std::vector<std::string>{i.config.listen_address};
    if (i.config.port)
        o.port = *i.config.port;
    else if (i.redirect_parts.on_loopback() && i.config.public_base_url.empty())
        o.port = i.redirect_parts.effective_port();
    if (i.config.tls_certificate_chain_file || i.config.tls_private_key_file) {
        if (!i.config.tls_certificate_chain_file || !i.config.tls_private_key_file)
            throw error(errc::invalid_argument, "TLS needs both the certificate chain and the private key file");
        o.tls = server::tls_files{*i.config.tls_certificate_chain_file, *i.config.tls_private_key_file};
    }
    auto routes = i.make_routes();
    if (i.config.listen) {
        i.http.emplace(i.executor, routes, std::move(o));
        try {
            i.http->start();
        } catch (...) {
            i.http.reset(); // not started: start() may be tried again
            throw;
        }
    }
    i.routes = std::move(routes);
    i.serving = true;
    if (i.config.cluster) {
        std::weak_ptr<impl> weak = impl_;
        i.config.cluster->subscribe(
            i.executor,
            [weak](const std::string& text) {
                if (auto self = weak.lock())
                    self->on_cluster_message(text);
            },
            [weak] {
                if (auto self = weak.lock())
                    self->recheck();
            });
    }
    if (i.config.auto_refresh)
        i.keeper->start();
}

asio::awaitable<void> web_server::stop(std::chrono::milliseconds grace)
{
    auto self = impl_;
    if (!self->authorizations->close())
        co_return;
    self->serving = false;
    co_await self->keeper->stop();
    if (self->routes && self->config.cluster)
        self->config.cluster->unsubscribe();
    if (self->http)
        self->http->stop_accepting();
    (void)co_await self->callbacks_in_flight.wait_idle(grace);
    if (self->http)
        self->http->stop();
    self->authorizations->end_waiters();
    self->hub.end_all();
}

std::uint16_t web_server::port() const noexcept
{
    return impl_->http ? impl_->http->port() : 0;
}

const std::string& web_server::callback_path() const noexcept
{
    return impl_->path;
}

std::string web_server::authorization_url(snowflake user, const scope_list& scopes)
{
    static const authorization_options defaults;
    return authorization_url(user, scopes, defaults);
}

std::string web_server::authorization_url(snowflake user, const scope_list& scopes,
                                          const authorization_options& options)
{
    if (options.flow == impl::linked_roles_flow)
        throw error(errc::invalid_argument, "the flow name linked_roles is the linked roles path's own");
    auto [link, claims] = impl_->make_link(user, scopes, options);
    impl_->authorizations->open(claims);
    if (impl_->metrics)
        impl_->metrics->link_created();
    return link;
}

std::pair<std::string, state_claims> web_server::impl::make_link(snowflake user, const scope_list& scopes,
                                                                 const authorization_options& options)
{
    authorization_request request;
    // A link for a user must prove who clicked it: Discord says so only with `identify`.
    if (user != snowflake{} && !scopes.contains("identify")) {
        std::vector<std::string> with_identify{"identify"};
        with_identify.insert(with_identify.end(), scopes.begin(), scopes.end());
        request.scopes = std::move(with_identify);
    } else {
        request.scopes = scopes;
    }
    request.prompt = options.prompt;
    request.integration_type = options.integration_type;
    request.permissions = options.permissions;
    request.guild_id = options.guild_id;
    request.disable_guild_select = options.disable_guild_select;

    // The claims as the state will carry them (whole seconds, the nonce made here), so that the
    // link's record needs no second look at the state just sealed.
    state_claims claims;
    claims.user_id = user;
    claims.issued_at = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    claims.expires_at = std::chrono::floor<std::chrono::seconds>(claims.issued_at + config.state_lifetime);
    claims.nonce = random::bytes(16);
    claims.flow = options.flow;
    claims.scopes = request.scopes.names();
    if (uses_pkce(request)) {
        // The verifier alone: the client derives the challenge for the URL, once (a SHA-256 a
        // link, not two).
        auto verifier = new_pkce_verifier();
        claims.code_verifier = verifier;
        request.code_verifier = std::move(verifier);
    }
    auto ring = keys(); // one ring for both: a SIGHUP may replace it between them
    request.state = seal_state(ring->ring, claims);
    if (asks_openid(request.scopes.names()))
        request.nonce = openid_nonce(claims.nonce);
    return {discord.authorization_url(request).url, std::move(claims)};
}

void web_server::submit_pending(std::string_view url)
{
    auto state = state_of(url);
    if (!state)
        throw error(errc::invalid_state, "the URL has no state parameter");
    impl_->authorizations->open(open_state(impl_->keys()->ring, *state));
    if (impl_->metrics)
        impl_->metrics->link_created();
}

void web_server::set_keys(state_key_ring keys)
{
    impl_->state_keys.set(impl::keys_for(std::move(keys)));
}

std::size_t web_server::pending_count() const
{
    return impl_->authorizations->pending();
}

std::size_t web_server::remembered_count() const
{
    return impl_->authorizations->records();
}

asio::awaitable<authorization_result> web_server::wait_for_access_token(snowflake user, std::string url,
                                                                        std::chrono::milliseconds timeout)
{
    // Thrown as oauth2::error with its sentence, as the other awaitable forms do: the receiver
    // hands over the exception itself, not an error code.
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, authorization_result)>(
        [this](auto handler, snowflake u, std::string link, std::chrono::milliseconds t) {
            auto slot = asio::get_associated_cancellation_slot(handler);
            using receiver = detail::result_receiver_for<authorization_result, decltype(handler)>;
            start_wait(u, std::move(link), t, std::make_unique<receiver>(std::move(handler), get_executor()), slot);
        },
        asio::use_awaitable, user, std::move(url), timeout);
}

asio::awaitable<authorization_result> web_server::wait_for_access_token(snowflake user, std::string url)
{
    return wait_for_access_token(user, std::move(url), std::chrono::minutes(1));
}

oauth2::client& web_server::client() const noexcept
{
    return impl_->discord;
}

asio::any_io_executor web_server::get_executor() const noexcept
{
    return impl_->executor;
}

void web_server::start_wait(snowflake user, std::string url, std::chrono::milliseconds timeout, web::result_receiver_ptr receiver,
                            asio::cancellation_slot slot)
{
    auto self = impl_;
    auto refuse = [&](errc code, std::string message) {
        receiver->deliver(std::make_exception_ptr(error(code, message)), authorization_result{});
    };
    auto state = state_of(url);
    url = std::string(); // a waiter keeps nothing it does not need
    if (!state)
        return refuse(errc::invalid_state, "the URL has no state parameter");
    state_claims claims;
    try {
        claims = open_state(self->keys()->ring, *state);
    } catch (const error& e) {
        if (e.code() != errc::state_expired)
            return refuse(static_cast<errc>(e.code().value()), e.what());
        authorization_result expired;
        expired.outcome = authorization_outcome::timed_out;
        expired.code = e.code();
        expired.description = "the authorization link has expired";
        return receiver->deliver(nullptr, std::move(expired));
    }
    if (claims.user_id != user)
        return refuse(errc::invalid_argument, fmt::format("the URL was made for user {}, not for user {}", claims.user_id, user));

    auto found = self->authorizations->wait(claims, timeout, receiver, slot);
    if (found.now)
        receiver->deliver(nullptr, std::move(*found.now));
    else if (found.grant_of) // authorized before this wait: the registry keeps no token
        asio::co_spawn(self->executor,
                       impl::deliver_stored_grant(self, *found.grant_of, std::move(claims.scopes), std::move(receiver)),
                       asio::detached);
    else if (self->config.cluster) // it may have come to another instance
        asio::co_spawn(self->executor, impl::ask_outcomes(self, {claims.nonce}), asio::detached);
}

// A wait that began after its link's callback authorized: the grant is the store's now (it may
// have been refreshed since, or revoked: then no_grant).
asio::awaitable<void> web_server::impl::deliver_stored_grant(std::shared_ptr<impl> self, snowflake user,
                                                             std::vector<std::string> scopes,
                                                             web::result_receiver_ptr receiver)
{
    auto result = co_await result_from_store(self, user, "the user authorized, but the grant has been removed since "
                                                         "(revoked, or lost)");
    // The grant stored now may be a later authorization's, for other scopes: it must still
    // cover what this link asked for.
    if (result.grant)
        for (const auto& s : scopes)
            if (!result.grant->token.has_scope(s)) {
                result = authorization_result{};
                result.outcome = authorization_outcome::failed;
                result.code = make_error_code(errc::no_grant);
                result.description = fmt::format("the user authorized, but the grant stored now lacks the link's "
                                                 "'{}' scope (authorized again since, for other scopes)",
                                                 s);
                break;
            }
    receiver->deliver(nullptr, std::move(result));
}

// `user`'s grant as a wait's result: authorized with the stored token, or failed with no_grant
// (`missing` says why there is none) or the store's error.
asio::awaitable<authorization_result> web_server::impl::result_from_store(std::shared_ptr<impl> self, snowflake user,
                                                                          std::string missing)
{
    std::optional<stored_grant> grant;
    std::optional<error> failure;
    try {
        grant = co_await self->config.store->load(user);
    } catch (const error& e) {
        failure.emplace(e);
    }
    authorization_result result;
    if (grant) {
        result.outcome = authorization_outcome::authorized;
        result.grant = std::make_shared<const authorized_grant>(authorized_grant{user, std::move(grant->token), {}});
    } else {
        result.outcome = authorization_outcome::failed;
        result.code = failure ? failure->code() : make_error_code(errc::no_grant);
        result.description = failure ? std::string("the grant could not be read from the store: ") + failure->what()
                                     : std::move(missing);
    }
    co_return result;
}

std::uint64_t web_server::cluster_messages_dropped() const noexcept
{
    return impl_->cluster_dropped;
}

std::uint64_t web_server::exchanges_refused() const noexcept
{
    return impl_->exchanges.refused();
}

event_stream web_server::events()
{
    // The stream wakes on the server's executor; next() resumes its caller through Asio as usual.
    return impl_->hub.subscribe(impl_->executor, impl_->config.event_queue_capacity);
}

event_stream web_server::events(event_filter filter)
{
    return impl_->hub.subscribe(impl_->executor, impl_->config.event_queue_capacity, filter);
}

asio::awaitable<std::optional<access_token>> web_server::access_token_for(snowflake user)
{
    auto self = impl_;
    auto grant = co_await self->config.store->load(user);
    if (!grant)
        co_return std::nullopt;
    co_return std::move(grant->token);
}

asio::awaitable<access_token> web_server::refresh_access_token(snowflake user)
{
    auto self = impl_;
    auto renewed = co_await core::attempt(self->keeper->refresh(user));
    if (const auto& failure = renewed.failure) {
        self->publish_error("refresh", failure->code(), failure->what(), user);
        throw *failure;
    }
    co_return std::move(*renewed.value); // the refresher published access_token_refreshed once it was committed
}

asio::awaitable<access_token> web_server::fresh_access_token(snowflake user)
{
    return impl_->keeper->fresh_access_token(user);
}

asio::awaitable<std::vector<snowflake>> web_server::grants_needing_reauthorization()
{
    return impl_->keeper->needing_reauthorization();
}

asio::awaitable<revocation> web_server::revoke_access_token(snowflake user)
{
    co_return co_await impl_->revoke_or_forget(user);
}

// True when the grant was only forgotten: its tokens were known dead, so a revocation would
// have "succeeded" at Discord without ending anything.
asio::awaitable<revocation> web_server::impl::revoke_or_forget(snowflake user)
{
    auto self = shared_from_this();
    auto grant = co_await config.store->load(user);
    if (!grant)
        co_return revocation::no_grant;
    if (grant->needs_reauthorization) {
        co_await config.store->erase(user);
        co_return revocation::forgotten;
    }
    if (auto failure = co_await revoke_grant(grant->token, user))
        throw *failure;
    co_await config.store->erase(user);
    event e;
    e.kind = event_kind::access_token_revoked;
    e.user_id = user;
    publish(std::move(e));
    co_return revocation::revoked;
}

// Runs `op` for every stored grant, going on past failures. `op` says whether the user counts as
// succeeded (false: it listed the user elsewhere in the result itself).
template <class Op>
asio::awaitable<bulk_result> for_each_grant(token_store& store, Op op)
{
    bulk_result out;
    auto users = co_await store.list();
    for (auto user : users) {
        std::error_code failed;
        bool succeeded = false;
        try {
            succeeded = co_await op(user, out);
        } catch (const error& e) {
            failed = e.code();
        }
        if (failed)
            out.failed.emplace_back(user, failed);
        else if (succeeded)
            out.succeeded.push_back(user);
    }
    co_return out;
}

asio::awaitable<bulk_result> web_server::refresh_all()
{
    co_return co_await for_each_grant(*impl_->config.store, [this](snowflake user, bulk_result&) -> asio::awaitable<bool> {
        (void)co_await refresh_access_token(user);
        co_return true;
    });
}

asio::awaitable<bulk_result> web_server::revoke_all()
{
    auto self = impl_;
    // Trivial captures only: g++ 12 destroys a co_await's temporary closure twice (docs/compilers.md).
    co_return co_await for_each_grant(*self->config.store, [i = self.get()](snowflake user, bulk_result& out)
                                                               -> asio::awaitable<bool> {
        switch (co_await i->revoke_or_forget(user)) {
        case revocation::revoked: co_return true;
        case revocation::forgotten: out.forgotten.push_back(user); break;
        case revocation::no_grant: out.absent.push_back(user); break;
        }
        co_return false;
    });
}

} // namespace discord::oauth2
