#include <discord/oauth2/client.hpp>

#include "client/request_limits.hpp"
#include "client/response_errors.hpp"
#include "client/role_metadata.hpp"
#include "core/attempt.hpp"
#include "core/base64.hpp"
#include "core/random.hpp"
#include "core/url_encoding.hpp"
#include "core/url_parts.hpp"
#include "core/utf8.hpp"
#include "http/client.hpp"
#include "json/decode.hpp"
#include "json/writer.hpp"

#include <discord/oauth2/error.hpp>

#include <openssl/sha.h>

#include <fmt/format.h>

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <mutex>
#include <random>
#include <unordered_map>

namespace discord::oauth2 {
namespace {

bool has(const std::vector<std::string>& scopes, std::string_view scope)
{
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

std::string join(const std::vector<std::string>& scopes)
{
    std::string out;
    for (const auto& s : scopes) {
        if (!out.empty())
            out += ' ';
        out += s;
    }
    return out;
}

std::string with_query(const std::string& url, const url::parameters& params)
{
    if (params.empty())
        return url;
    return url + (url.find('?') == std::string::npos ? '?' : '&') + url::encode_query(params);
}

void check_role_connection(const role_connection& rc)
{
    auto bad = [](std::string what) { throw error(errc::invalid_argument, "role connection: " + what); };
    if (rc.platform_name && utf8::characters(*rc.platform_name) > 50)
        bad("platform_name is longer than 50 characters");
    if (rc.platform_username && utf8::characters(*rc.platform_username) > 100)
        bad("platform_username is longer than 100 characters");
    if (rc.metadata.size() > 5)
        bad("more than 5 metadata keys");
    for (const auto& [k, v] : rc.metadata) {
        if (k.empty() || k.size() > 50
            || k.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
            bad("metadata key '" + k + "' is not 1 to 50 of a-z, 0-9 and _");
        if (utf8::characters(v) > 100)
            bad("the value of metadata key '" + k + "' is longer than 100 characters");
    }
}

} // namespace

bool uses_pkce(const authorization_request& request)
{
    // Discord refuses PKCE together with role_connections.write.
    return request.response_type == response_type::code && request.pkce
        && !has(request.scopes, "role_connections.write");
}

implicit_grant parse_implicit_fragment(std::string_view fragment)
{
    if (fragment.starts_with('#'))
        fragment.remove_prefix(1);
    auto params = url::parse_query(fragment);
    if (!params)
        throw error(errc::invalid_argument, "the implicit grant's fragment is not form-encoded");
    auto get = [&](std::string_view name) -> std::optional<std::string> {
        for (const auto& [k, v] : *params)
            if (k == name)
                return v;
        return std::nullopt;
    };
    implicit_grant g;
    g.state = get("state").value_or("");
    if (auto e = get("error")) {
        error_details d;
        d.description = get("error_description").value_or("");
        auto code = *e == "access_denied" ? errc::access_denied : *e == "invalid_scope" ? errc::invalid_scope : errc::invalid_request;
        throw error(code, "the authorization failed: " + *e + (d.description.empty() ? "" : " (" + d.description + ")"), 0, d);
    }
    auto token = get("access_token");
    if (!token || token->empty())
        throw error(errc::invalid_argument, "the implicit grant's fragment has no access_token");
    g.token.token = secret(*token);
    g.token.token_type = get("token_type").value_or("Bearer");
    long seconds = 0;
    auto expires = get("expires_in").value_or("0");
    std::from_chars(expires.data(), expires.data() + expires.size(), seconds);
    g.token.expires_in = std::chrono::seconds(seconds);
    g.token.expires_at = std::chrono::system_clock::now() + g.token.expires_in;
    auto scope = get("scope").value_or("");
    for (std::size_t start = 0; start < scope.size();) {
        auto end = scope.find(' ', start);
        if (end == std::string::npos)
            end = scope.size();
        if (end > start)
            g.token.scopes.push_back(scope.substr(start, end - start));
        start = end + 1;
    }
    return g;
}

pkce_pair make_pkce()
{
    // 48 random bytes are 64 base64url characters, all in RFC 7636's unreserved set.
    auto verifier = random::url_safe(48);
    auto challenge = pkce_challenge(verifier);
    return {secret(std::move(verifier)), std::move(challenge)};
}

std::string pkce_challenge(std::string_view verifier)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), digest);
    return base64::encode_url(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

struct client::impl {
    impl(asio::any_io_executor ex, client_config c)
        : config(std::move(c)), http(ex, [&] {
              http::client_options o;
              o.timeout = config.timeout;
              o.ca_file = config.ca_file;
              o.proxy = config.proxy;
              o.user_agent = config.user_agent;
              return o;
          }())
    {
        if (config.client_id == snowflake{})
            throw error(errc::invalid_argument, "client_config.client_id is not set");
        if (config.client_secret && config.client_secret->empty())
            throw error(errc::invalid_argument, "client_config.client_secret is empty; leave it unset for a public client");
    }

    client_config config;
    http::client http;

    template <class... Args>
    void log(log_level level, fmt::format_string<Args...> format, Args&&... args) const
    {
        if (config.logger)
            config.logger(level, fmt::format(format, std::forward<Args>(args)...));
    }

    void require_scope(const access_token& token, std::string_view scope, std::string_view operation) const
    {
        if (config.check_scopes && !token.has_scope(scope))
            throw error(errc::missing_scope,
                        fmt::format("{} needs the '{}' scope, which this token was not granted (it has: {}); "
                                    "ask the user to authorize with it",
                                    operation, scope, join(token.scopes)));
    }

    // A form POST to a token endpoint, with the client's authentication.
    http::request token_request(const std::string& url, url::parameters form) const
    {
        http::request r;
        r.method = "POST";
        r.url = url;
        r.fields.add("Content-Type", "application/x-www-form-urlencoded");
        if (config.client_secret) {
            auto credentials = config.client_id.to_string() + ":" + config.client_secret->reveal();
            r.fields.add("Authorization", "Basic " + base64::encode(credentials));
        } else {
            form.emplace_back("client_id", config.client_id.to_string());
        }
        r.body = url::encode_query(form);
        return r;
    }

    http::request api_get(const std::string& path, const access_token& token, url::parameters query = {}) const
    {
        http::request r;
        r.url = with_query(config.endpoints.api + path, query);
        r.fields.add("Authorization", "Bearer " + token.token.reveal());
        return r;
    }

    // A request with the bot token (`operation` names the caller in the error when there is none).
    http::request bot_request(std::string method, const std::string& path, std::string_view operation) const
    {
        if (!config.bot_token)
            throw error(errc::invalid_argument, std::string(operation) + " needs client_config.bot_token");
        http::request r;
        r.method = std::move(method);
        r.url = config.endpoints.api + path;
        r.fields.add("Authorization", "Bot " + config.bot_token->reveal());
        return r;
    }

    enum class repeat { never, safe };

    // The Bearer GETs: the scope checked here (none for `scope` empty), the request sent under
    // Discord's limits, the answer checked and decoded. `route` names it in logs, buckets and
    // errors. No default arguments: g++ 12 destroys a coroutine's defaulted arguments twice.
    template <class T>
    asio::awaitable<T> bearer_get(const access_token& token, std::string_view scope, std::string_view operation,
                                  std::string path, url::parameters query, std::string route,
                                  T (*decode)(const http::padded_buffer&))
    {
        if (!scope.empty())
            require_scope(token, scope, operation);
        auto request = api_get(path, token, std::move(query));
        auto response = co_await send(std::move(request), route, repeat::safe);
        rest::throw_unless_success(response, route);
        co_return decode(response.body);
    }

    std::string role_connection_path() const
    {
        return "/users/@me/applications/" + config.client_id.to_string() + "/role-connection";
    }

    rest::request_limits limits{config.retries};
    std::mutex jitter_mutex;
    std::mt19937 jitter{std::random_device{}()};

    asio::awaitable<void> sleep(std::chrono::steady_clock::duration d)
    {
        asio::steady_timer t(co_await asio::this_coro::executor, d);
        co_await t.async_wait(asio::use_awaitable);
    }

    std::chrono::milliseconds backoff(int attempt)
    {
        auto base = config.retries.backoff * (1 << std::min(attempt - 1, 10));
        auto capped = std::min<std::chrono::milliseconds>(base, config.retries.max_backoff);
        std::lock_guard lock(jitter_mutex);
        return std::chrono::milliseconds(
            static_cast<long>(capped.count() * std::uniform_real_distribution<double>(0.5, 1.0)(jitter)));
    }

    // Sends `r` for `route` ("GET /users/@me"), honouring Discord's limits. 429s are waited out
    // (Discord did not process them). Requests that are safe to repeat are retried on connection
    // failures and 502/503/504; the others never are: a lost answer becomes outcome_unknown.
    asio::awaitable<http::response> send(http::request r, std::string route, repeat kind)
    {
        const auto& policy = config.retries;
        // The breaker counts per credential: other users' dead tokens never stop this one.
        std::string credential(r.fields.find("authorization").value_or(""));
        for (int tries = 1;; ++tries) {
            auto now = std::chrono::steady_clock::now();
            auto stopped = limits.stopped_until(credential, now);
            if (stopped) {
                auto message = fmt::format("not sending {}: Discord answered 401 or 403 too often ({} times in a "
                                           "row to this credential, or {} times in {} minutes in all), and Discord "
                                           "bans callers that keep failing; check the tokens (sending resumes in {} s)",
                                           route, policy.invalid_request_limit, policy.invalid_requests_per_window,
                                           policy.invalid_window.count(),
                                           std::chrono::duration_cast<std::chrono::seconds>(*stopped - now).count() + 1);
                log(log_level::error, "{}", message);
                throw error(errc::unauthorized, message);
            }
            if (auto when = limits.earliest(route); when > now) {
                if (when - now > policy.max_rate_limit_wait)
                    throw error(errc::rate_limited, fmt::format("{} is rate-limited for longer than the configured wait", route));
                log(log_level::info, "{} waits {} ms for Discord's rate limit", route,
                    std::chrono::duration_cast<std::chrono::milliseconds>(when - now).count());
                co_await sleep(when - now);
            }

            http::request attempt_request = r;
            auto sent = co_await core::attempt(http.send(std::move(attempt_request)));
            const auto& failure = sent.failure;
            if (failure) {
                auto code = failure->code();
                bool maybe_sent = code == errc::connection_lost || code == errc::timeout || code == errc::transport;
                if (kind == repeat::never && maybe_sent) {
                    log(log_level::warning, "{}: the answer was lost ({}); not sending it again", route, failure->what());
                    throw error(errc::outcome_unknown,
                                fmt::format("the answer to {} was lost ({}); it may have taken effect at Discord, and "
                                            "it was not sent again: a code or refresh token it used may now be spent",
                                            route, failure->what()));
                }
                bool retryable = maybe_sent || code == errc::connection_refused;
                if (kind == repeat::safe && retryable && tries < policy.max_attempts) {
                    auto wait = backoff(tries);
                    log(log_level::warning, "{}: {}; retrying in {} ms (attempt {} of {})", route, failure->what(),
                        wait.count(), tries + 1, policy.max_attempts);
                    co_await sleep(wait);
                    continue;
                }
                log(log_level::debug, "{}: failed after {} attempt(s): {}", route, tries, failure->what());
                throw *failure;
            }
            auto& response = *sent.value;
            auto answered = std::chrono::steady_clock::now();
            limits.learn(route, credential, response, answered);
            log(log_level::debug, "{}: {} in {:.1f} ms", route, response.status,
                std::chrono::duration<double, std::milli>(answered - now).count());

            if (response.status == 429) {
                auto said = rest::header_seconds(response, "retry-after");
                try {
                    said = json::decode_rate_limit(response.body).retry_after;
                } catch (const error&) {
                }
                // Past the configured wait it is the caller's rate_limited, not a sleep of months.
                bool too_long = said && (!std::isfinite(*said)
                    || *said > std::chrono::duration<double>(policy.max_rate_limit_wait).count());
                auto wait = rest::discord_wait(said, std::chrono::seconds(1), policy.max_rate_limit_wait);
                if (!too_long && tries < policy.max_attempts + 2) {
                    log(log_level::info, "{} was rate-limited by Discord; waiting {} ms", route, wait.count());
                    co_await sleep(wait + std::chrono::milliseconds(1));
                    continue;
                }
                co_return std::move(response);
            }
            if (kind == repeat::safe && (response.status == 502 || response.status == 503 || response.status == 504)
                && tries < policy.max_attempts) {
                auto wait = backoff(tries);
                log(log_level::warning, "{}: {}; retrying in {} ms (attempt {} of {})", route, response.status,
                    wait.count(), tries + 1, policy.max_attempts);
                co_await sleep(wait);
                continue;
            }
            co_return std::move(response);
        }
    }

    // Not a coroutine: the strings handed to bearer_get must not be temporaries of a co_await
    // expression (g++ 12). Its callers are coroutines, so its errors still come out of co_await.
    asio::awaitable<std::vector<partial_guild>> guilds(const access_token& token, client::guild_page page)
    {
        require_scope(token, "guilds", "get_guilds");
        if (page.limit < 1 || page.limit > 200)
            throw error(errc::invalid_argument, "get_guilds: limit must be from 1 to 200");
        url::parameters q;
        if (page.before)
            q.emplace_back("before", page.before->to_string());
        if (page.after)
            q.emplace_back("after", page.after->to_string());
        q.emplace_back("limit", std::to_string(page.limit));
        if (page.with_counts)
            q.emplace_back("with_counts", "true");
        return bearer_get(token, "", "get_guilds", "/users/@me/guilds", std::move(q), "GET /users/@me/guilds",
                          &json::decode_partial_guilds);
    }

    asio::awaitable<access_token> token_call(http::request r, std::string_view operation, repeat kind)
    {
        auto response = co_await send(std::move(r), std::string(operation), kind);
        auto received = std::chrono::system_clock::now();
        rest::throw_unless_success(response, operation);
        co_return json::decode_access_token(response.body, received);
    }
};

client::client(executor_type executor, client_config config)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(config)))
{
}

client::~client() = default;

const client_config& client::config() const noexcept
{
    return impl_->config;
}

client::executor_type client::get_executor() const noexcept
{
    return impl_->http.get_executor();
}

authorization_link client::authorization_url(const authorization_request& request) const
{
    const auto& c = impl_->config;
    if (request.scopes.empty())
        throw error(errc::invalid_argument, "an authorization request needs at least one scope");
    for (const auto& s : request.scopes)
        if (s.empty() || s.find(' ') != std::string::npos)
            throw error(errc::invalid_argument, fmt::format("'{}' is not a scope", s));
    if (!request.prompt.empty() && request.prompt != "consent" && request.prompt != "none")
        throw error(errc::invalid_argument, "prompt must be \"consent\" or \"none\"");

    authorization_link link;
    link.state = request.state.empty() ? random::url_safe(24) : request.state;
    url::parameters q;
    q.emplace_back("client_id", c.client_id.to_string());
    q.emplace_back("response_type", request.response_type == response_type::code ? "code" : "token");
    q.emplace_back("redirect_uri", c.redirect_uri);
    q.emplace_back("scope", join(request.scopes));
    q.emplace_back("state", link.state);
    if (!request.prompt.empty())
        q.emplace_back("prompt", request.prompt);
    bool pkce = uses_pkce(request);
    if (!pkce && !c.client_secret && request.response_type == response_type::code)
        throw error(errc::invalid_argument, "a public client (no secret) must use PKCE for the code flow");
    if (pkce) {
        if (request.code_verifier) {
            const auto& v = request.code_verifier->reveal();
            if (v.size() < 43 || v.size() > 128
                || v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
                    != std::string::npos)
                throw error(errc::invalid_argument, "a PKCE verifier is 43 to 128 of A-Z a-z 0-9 - . _ ~ (RFC 7636)");
            q.emplace_back("code_challenge", pkce_challenge(v));
            link.code_verifier = *request.code_verifier;
        } else {
            auto pair = make_pkce();
            q.emplace_back("code_challenge", pair.challenge);
            link.code_verifier = std::move(pair.verifier);
        }
        q.emplace_back("code_challenge_method", "S256");
    }
    if (request.integration_type)
        q.emplace_back("integration_type", std::to_string(*request.integration_type));
    if (request.permissions)
        q.emplace_back("permissions", std::to_string(*request.permissions));
    if (request.guild_id)
        q.emplace_back("guild_id", request.guild_id->to_string());
    if (request.disable_guild_select)
        q.emplace_back("disable_guild_select", "true");
    link.url = with_query(c.endpoints.authorize, q);
    return link;
}

asio::awaitable<access_token> client::exchange_code(std::string code, std::optional<secret> code_verifier)
{
    if (code.empty())
        throw error(errc::invalid_argument, "exchange_code needs the code from the redirect");
    url::parameters form{{"grant_type", "authorization_code"}, {"code", std::move(code)}};
    form.emplace_back("redirect_uri", impl_->config.redirect_uri);
    if (code_verifier)
        form.emplace_back("code_verifier", code_verifier->reveal());
    auto request = impl_->token_request(impl_->config.endpoints.token, std::move(form));
    co_return co_await impl_->token_call(std::move(request), "the code exchange", impl::repeat::never);
}

asio::awaitable<access_token> client::refresh(secret refresh_token)
{
    if (refresh_token.empty())
        throw error(errc::invalid_argument, "refresh needs a refresh token");
    url::parameters form{{"grant_type", "refresh_token"}};
    form.emplace_back("refresh_token", refresh_token.reveal());
    auto request = impl_->token_request(impl_->config.endpoints.token, std::move(form));
    co_return co_await impl_->token_call(std::move(request), "the token refresh", impl::repeat::never);
}

asio::awaitable<access_token> client::client_credentials(std::vector<std::string> scopes)
{
    if (!impl_->config.client_secret)
        throw error(errc::invalid_argument, "the client credentials grant needs the client secret");
    if (scopes.empty())
        throw error(errc::invalid_argument, "the client credentials grant needs at least one scope");
    url::parameters form{{"grant_type", "client_credentials"}};
    form.emplace_back("scope", join(scopes));
    auto request = impl_->token_request(impl_->config.endpoints.token, std::move(form));
    // Asking again is harmless: nothing is spent by this grant.
    co_return co_await impl_->token_call(std::move(request), "the client credentials grant", impl::repeat::safe);
}

asio::awaitable<void> client::revoke(secret token, token_type_hint hint)
{
    if (token.empty())
        throw error(errc::invalid_argument, "revoke needs a token");
    url::parameters form;
    form.emplace_back("token", token.reveal());
    if (hint != token_type_hint::none)
        form.emplace_back("token_type_hint", hint == token_type_hint::access_token ? "access_token" : "refresh_token");
    auto request = impl_->token_request(impl_->config.endpoints.revoke, std::move(form));
    auto response = co_await impl_->send(std::move(request), "the revocation", impl::repeat::safe);
    rest::throw_unless_success(response, "the revocation");
}

asio::awaitable<authorization_info> client::get_authorization_info(const access_token& token)
{
    // Any scope will do: no local check.
    return impl_->bearer_get(token, "", "get_authorization_info", "/oauth2/@me", {}, "GET /oauth2/@me",
                             &json::decode_authorization_info);
}

asio::awaitable<user> client::get_current_user(const access_token& token)
{
    return impl_->bearer_get(token, "identify", "get_current_user", "/users/@me", {}, "GET /users/@me",
                             &json::decode_user);
}

asio::awaitable<std::vector<connection>> client::get_connections(const access_token& token)
{
    return impl_->bearer_get(token, "connections", "get_connections", "/users/@me/connections", {},
                             "GET /users/@me/connections", &json::decode_connections);
}

asio::awaitable<std::vector<partial_guild>> client::get_guilds(const access_token& token, guild_page page)
{
    co_return co_await impl_->guilds(token, page);
}

client::guild_stream client::get_all_guilds(access_token token)
{
    return get_all_guilds(std::move(token), guild_page{});
}

client::guild_stream client::get_all_guilds(access_token token, guild_page page)
{
    impl_->require_scope(token, "guilds", "get_all_guilds");
    if (page.before)
        throw error(errc::invalid_argument, "get_all_guilds pages forwards: use `after`, not `before`");
    if (page.limit < 1 || page.limit > 200)
        throw error(errc::invalid_argument, "get_all_guilds: limit must be from 1 to 200");
    return guild_stream(impl_, std::move(token), page);
}

struct client::guild_stream::state {
    std::shared_ptr<client::impl> impl;
    access_token token;
    client::guild_page page;
    std::vector<partial_guild> buffer;
    std::size_t position = 0;
    bool last_page_seen = false;
    int pages = 0;
};

client::guild_stream::guild_stream(std::shared_ptr<client::impl> impl, access_token token, client::guild_page page)
    : state_(std::make_unique<state>())
{
    state_->impl = std::move(impl);
    state_->token = std::move(token);
    state_->page = page;
}

client::guild_stream::guild_stream(guild_stream&&) noexcept = default;
client::guild_stream& client::guild_stream::operator=(guild_stream&&) noexcept = default;
client::guild_stream::~guild_stream() = default;

int client::guild_stream::pages_fetched() const noexcept
{
    return state_ ? state_->pages : 0;
}

asio::any_io_executor client::guild_stream::get_executor() const noexcept
{
    return state_->impl->http.get_executor();
}

asio::awaitable<std::vector<partial_guild>> client::guild_stream::next_page()
{
    auto& s = *state_;
    if (s.position < s.buffer.size()) {
        std::vector<partial_guild> rest(std::make_move_iterator(s.buffer.begin() + static_cast<std::ptrdiff_t>(s.position)),
                                        std::make_move_iterator(s.buffer.end()));
        s.buffer.clear();
        s.position = 0;
        co_return rest;
    }
    if (s.last_page_seen)
        co_return std::vector<partial_guild>{};
    auto page = co_await s.impl->guilds(s.token, s.page);
    ++s.pages;
    // A short page is the last one; a full one may be followed by an empty one.
    if (page.size() < static_cast<std::size_t>(s.page.limit))
        s.last_page_seen = true;
    if (!page.empty())
        s.page.after = page.back().id;
    else
        s.last_page_seen = true;
    co_return page;
}

asio::awaitable<std::optional<partial_guild>> client::guild_stream::next()
{
    auto& s = *state_;
    if (s.position >= s.buffer.size()) {
        s.buffer = co_await next_page();
        s.position = 0;
        if (s.buffer.empty())
            co_return std::nullopt;
    }
    co_return std::move(s.buffer[s.position++]);
}

asio::awaitable<guild_member> client::get_guild_member(const access_token& token, snowflake guild_id)
{
    return impl_->bearer_get(token, "guilds.members.read", "get_guild_member",
                             "/users/@me/guilds/" + guild_id.to_string() + "/member", {},
                             "GET /users/@me/guilds/{guild}/member", &json::decode_guild_member);
}

// Not a coroutine: g++ 12 destroys a coroutine's braced default argument twice.
asio::awaitable<guild_join> client::add_guild_member(const access_token& token, snowflake guild_id, snowflake user_id)
{
    return add_guild_member(token, guild_id, user_id, add_member_options{});
}

asio::awaitable<guild_join> client::add_guild_member(const access_token& token, snowflake guild_id,
                                                     snowflake user_id, add_member_options options)
{
    auto r = impl_->bot_request("PUT", "/guilds/" + guild_id.to_string() + "/members/" + user_id.to_string(),
                                "add_guild_member");
    impl_->require_scope(token, "guilds.join", "add_guild_member");
    json::writer body;
    body.begin_object().field("access_token", token.token.reveal());
    if (options.nick)
        body.field("nick", *options.nick);
    if (!options.roles.empty()) {
        body.key("roles").begin_array();
        for (auto r : options.roles)
            body.value(r.to_string());
        body.end_array();
    }
    if (options.mute)
        body.field("mute", *options.mute);
    if (options.deaf)
        body.field("deaf", *options.deaf);
    body.end_object();

    r.fields.add("Content-Type", "application/json");
    r.body = body.take();
    // Adding twice is harmless: the second answer is 204.
    auto response = co_await impl_->send(std::move(r), "PUT /guilds/{guild}/members/{user}", impl::repeat::safe);
    rest::throw_unless_success(response, "PUT /guilds/{guild}/members/{user}");
    guild_join result;
    result.added = response.status == 201;
    if (result.added)
        result.member = json::decode_guild_member(response.body);
    co_return result;
}

asio::awaitable<role_connection> client::get_role_connection(const access_token& token)
{
    return impl_->bearer_get(token, "role_connections.write", "get_role_connection", impl_->role_connection_path(), {},
                             "GET role-connection", &json::decode_role_connection);
}

asio::awaitable<role_connection> client::update_role_connection(const access_token& token, role_connection connection)
{
    impl_->require_scope(token, "role_connections.write", "update_role_connection");
    check_role_connection(connection);
    json::writer body;
    body.begin_object();
    if (connection.platform_name)
        body.field("platform_name", *connection.platform_name);
    if (connection.platform_username)
        body.field("platform_username", *connection.platform_username);
    body.key("metadata").begin_object();
    for (const auto& [k, v] : connection.metadata)
        body.field(k, v);
    body.end_object().end_object();
    auto request = impl_->api_get(impl_->role_connection_path(), token);
    request.method = "PUT";
    request.fields.add("Content-Type", "application/json");
    request.body = body.take();
    auto response = co_await impl_->send(std::move(request), "PUT role-connection", impl::repeat::safe);
    rest::throw_unless_success(response, "PUT role-connection");
    co_return json::decode_role_connection(response.body);
}

asio::awaitable<void> client::delete_role_connection(const access_token& token)
{
    impl_->require_scope(token, "role_connections.write", "delete_role_connection");
    auto request = impl_->api_get(impl_->role_connection_path(), token);
    request.method = "DELETE";
    auto response = co_await impl_->send(std::move(request), "DELETE role-connection", impl::repeat::safe);
    rest::throw_unless_success(response, "DELETE role-connection");
}

namespace {

void check_application_changes(const application_changes& c)
{
    auto bad = [](std::string what) { throw error(errc::invalid_argument, "application changes: " + what); };
    auto check_url = [&](const std::optional<std::string>& u, std::string_view name) {
        if (!u || u->empty())
            return;
        auto parts = url::split(*u);
        if (!parts || (parts->scheme != "https" && !parts->on_loopback()))
            bad(std::string(name) + " must be an absolute https URL (http only on loopback), or empty for none");
    };
    check_url(c.event_webhooks_url, "event_webhooks_url");
    check_url(c.role_connections_verification_url, "role_connections_verification_url");
    if (c.event_webhooks_status && *c.event_webhooks_status != 1 && *c.event_webhooks_status != 2)
        bad("event_webhooks_status must be 1 (disabled) or 2 (enabled)");
    if (c.event_webhooks_types)
        for (const auto& t : *c.event_webhooks_types)
            if (t.empty() || t.size() > 64 || t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != std::string::npos)
                bad("event type '" + t + "' is not an upper-case name such as APPLICATION_AUTHORIZED");
}

} // namespace

asio::awaitable<application> client::get_current_application()
{
    auto r = impl_->bot_request("GET", "/applications/@me", "get_current_application");
    auto response = co_await impl_->send(std::move(r), "GET /applications/@me", impl::repeat::safe);
    rest::throw_unless_success(response, "GET /applications/@me");
    co_return json::decode_application(response.body);
}

asio::awaitable<application> client::edit_current_application(application_changes changes)
{
    auto r = impl_->bot_request("PATCH", "/applications/@me", "edit_current_application");
    check_application_changes(changes);
    json::writer body;
    body.begin_object();
    auto url_or_null = [&](std::string_view name, const std::optional<std::string>& u) {
        if (!u)
            return;
        body.key(name);
        if (u->empty())
            body.null();
        else
            body.value(*u);
    };
    url_or_null("event_webhooks_url", changes.event_webhooks_url);
    url_or_null("role_connections_verification_url", changes.role_connections_verification_url);
    if (changes.event_webhooks_status)
        body.field("event_webhooks_status", *changes.event_webhooks_status);
    if (changes.event_webhooks_types) {
        body.key("event_webhooks_types").begin_array();
        for (const auto& t : *changes.event_webhooks_types)
            body.value(t);
        body.end_array();
    }
    body.end_object();
    r.fields.add("Content-Type", "application/json");
    r.body = body.take();
    // Setting the same values twice leaves the same application: safe to repeat.
    auto response = co_await impl_->send(std::move(r), "PATCH /applications/@me", impl::repeat::safe);
    rest::throw_unless_success(response, "PATCH /applications/@me");
    co_return json::decode_application(response.body);
}

asio::awaitable<std::vector<role_connection_metadata>> client::get_role_connection_metadata()
{
    auto path = "/applications/" + impl_->config.client_id.to_string() + "/role-connections/metadata";
    auto r = impl_->bot_request("GET", path, "get_role_connection_metadata");
    auto response = co_await impl_->send(std::move(r), "GET role-connections/metadata", impl::repeat::safe);
    rest::throw_unless_success(response, "GET role-connections/metadata");
    co_return json::decode_role_connection_metadata(response.body);
}

asio::awaitable<std::vector<role_connection_metadata>>
client::update_role_connection_metadata(std::vector<role_connection_metadata> records)
{
    auto path = "/applications/" + impl_->config.client_id.to_string() + "/role-connections/metadata";
    auto r = impl_->bot_request("PUT", path, "update_role_connection_metadata");
    rest::check_role_connection_metadata(records);
    r.fields.add("Content-Type", "application/json");
    r.body = rest::role_connection_metadata_json(records);
    // The whole set replaces the whole set: the same PUT twice leaves the same records.
    auto response = co_await impl_->send(std::move(r), "PUT role-connections/metadata", impl::repeat::safe);
    rest::throw_unless_success(response, "PUT role-connections/metadata");
    co_return json::decode_role_connection_metadata(response.body);
}

asio::awaitable<device_authorization> client::start_device_authorization(std::vector<std::string> scopes)
{
    if (scopes.empty())
        throw error(errc::invalid_argument, "a device authorization needs at least one scope");
    for (const auto& s : scopes)
        if (s.empty() || s.find(' ') != std::string::npos)
            throw error(errc::invalid_argument, fmt::format("'{}' is not a scope", s));
    url::parameters form{{"scope", join(scopes)}};
    auto request = impl_->token_request(impl_->config.endpoints.device_authorization, std::move(form));
    auto response = co_await impl_->send(std::move(request), "the device authorization", impl::repeat::never);
    auto received = std::chrono::system_clock::now();
    rest::throw_unless_success(response, "the device authorization");
    auto authorization = json::decode_device_authorization(response.body, received);
    authorization.scopes = std::move(scopes);
    co_return authorization;
}

asio::awaitable<access_token> client::wait_for_device_token(const device_authorization& authorization)
{
    if (authorization.device_code.empty())
        throw error(errc::invalid_argument, "wait_for_device_token needs the device code of start_device_authorization");
    // At least a second between polls, whatever the server says: a hot loop would only meet
    // Discord's rate limits.
    auto interval = std::max<std::chrono::seconds>(authorization.interval, std::chrono::seconds(1));
    asio::steady_timer pause(co_await asio::this_coro::executor);
    for (;;) {
        if (std::chrono::system_clock::now() + interval >= authorization.expires_at)
            throw error(errc::expired_token, "the device code expired before the user authorized: start again");
        pause.expires_after(interval);
        std::error_code waited;
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, waited));
        if (waited)
            throw error(errc::cancelled, "the wait for the device token was cancelled");
        url::parameters form{{"grant_type", "urn:ietf:params:oauth:grant-type:device_code"}};
        form.emplace_back("device_code", authorization.device_code.reveal());
        auto request = impl_->token_request(impl_->config.endpoints.token, std::move(form));
        // Never repeated: a poll whose answer was lost may have spent the device code.
        auto polled = co_await core::attempt(impl_->token_call(std::move(request), "the device token poll", impl::repeat::never));
        if (polled.value)
            co_return std::move(*polled.value);
        auto code = polled.failure->code();
        if (code == errc::authorization_pending)
            continue;
        if (code == errc::slow_down) {
            interval += std::chrono::seconds(5); // RFC 8628 §3.5
            continue;
        }
        throw std::move(*polled.failure); // access_denied, expired_token, invalid_grant, cancelled, ...
    }
}

} // namespace discord::oauth2
