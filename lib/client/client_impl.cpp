#include "client/client_impl.hpp"

#include "core/attempt.hpp"
#include "core/base64.hpp"
#include "core/wipe.hpp"
#include "json/decode.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace discord::oauth2 {

std::string rest::join_scopes(const std::vector<std::string>& scopes)
{
    std::string out;
    for (const auto& s : scopes) {
        if (!out.empty())
            out += ' ';
        out += s;
    }
    return out;
}

std::string rest::with_query(const std::string& url, const url::parameters& params)
{
    if (params.empty())
        return url;
    return url + (url.find('?') == std::string::npos ? '?' : '&') + url::encode_query(params);
}

std::string_view rest::metric_route(std::string_view route) noexcept
{
    // The client's names for the token endpoint's grants and a few short route names, as the
    // routes Discord documents; every other name is its own label when it is one.
    static const std::unordered_map<std::string_view, std::string_view> labels = [] {
        std::unordered_map<std::string_view, std::string_view> m{
            {"the code exchange", "POST /oauth2/token (authorization_code)"},
            {"the token refresh", "POST /oauth2/token (refresh_token)"},
            {"the client credentials grant", "POST /oauth2/token (client_credentials)"},
            {"the device token poll", "POST /oauth2/token (device_code)"},
            {"the revocation", "POST /oauth2/token/revoke"},
            {"the device authorization", "POST /oauth2/device/authorize"},
            {"GET jwks", "GET jwks_uri"},
            {"GET role-connection", "GET /users/@me/applications/{application}/role-connection"},
            {"PUT role-connection", "PUT /users/@me/applications/{application}/role-connection"},
            {"DELETE role-connection", "DELETE /users/@me/applications/{application}/role-connection"},
            {"GET role-connections/metadata", "GET /applications/{application}/role-connections/metadata"},
            {"PUT role-connections/metadata", "PUT /applications/{application}/role-connections/metadata"},
        };
        for (auto label : request_routes())
            m.emplace(label, label);
        return m;
    }();
    auto it = labels.find(route);
    return it != labels.end() ? it->second : std::string_view("other");
}

void rest::add_authorization(http::headers& fields, std::string_view scheme, const secret& credential)
{
    std::string value;
    value.reserve(scheme.size() + 1 + credential.reveal().size());
    value.append(scheme).append(" ").append(credential.reveal());
    fields.add("Authorization", value);
    core::wipe(value);
}

client::impl::impl(asio::any_io_executor ex, client_config c)
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
    if (config.client_secret) {
        // Each step in a buffer that is wiped: the pair and its encoding are the credentials too.
        secret pair(config.client_id.to_string() + ":" + config.client_secret->reveal());
        std::string encoded = base64::encode(pair.reveal());
        std::string value = "Basic ";
        value += encoded;
        core::wipe(encoded);
        basic_authorization = secret(std::move(value));
    }
}

void client::impl::require_scope(const access_token& token, std::string_view scope, std::string_view operation) const
{
    if (config.check_scopes && !token.has_scope(scope))
        throw error(errc::missing_scope,
                    fmt::format("{} needs the '{}' scope, which this token was not granted (it has: {}); "
                                "ask the user to authorize with it",
                                operation, scope, rest::join_scopes(token.scopes)));
}

http::request client::impl::token_request(const std::string& url, std::span<const url::field_view> form) const
{
    http::request r;
    r.method = "POST";
    r.url = url;
    r.fields.reserve(2, 192); // a content type and a Basic credential, without growing
    r.fields.add("Content-Type", "application/x-www-form-urlencoded");
    if (basic_authorization) {
        r.fields.add("Authorization", basic_authorization->reveal());
        r.body = url::encode_query(form);
    } else {
        // A public client names itself in the form instead (encoded in one go: a body that grew
        // afterwards would leave a copy of the credentials in the freed buffer).
        auto id = config.client_id.to_string();
        std::vector<url::field_view> with_id(form.begin(), form.end());
        with_id.emplace_back("client_id", id);
        r.body = url::encode_query(with_id);
    }
    // The body, with the code, verifier, refresh token or token it carries, is wiped by send()
    // once it has been sent for the last time.
    return r;
}

http::request client::impl::api_get(const std::string& path, const access_token& token, url::parameters query) const
{
    http::request r;
    r.url = rest::with_query(config.endpoints.api + path, query);
    rest::add_authorization(r.fields, "Bearer", token.token);
    return r;
}

http::request client::impl::bot_request(std::string method, const std::string& path, std::string_view operation) const
{
    if (!config.bot_token)
        throw error(errc::invalid_argument, std::string(operation) + " needs client_config.bot_token");
    http::request r;
    r.method = std::move(method);
    r.url = config.endpoints.api + path;
    rest::add_authorization(r.fields, "Bot", *config.bot_token);
    return r;
}

asio::awaitable<void> client::impl::sleep(std::chrono::steady_clock::duration d)
{
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

std::chrono::milliseconds client::impl::backoff(int attempt)
{
    auto base = config.retries.backoff * (1 << std::min(attempt - 1, 10));
    auto capped = std::min<std::chrono::milliseconds>(base, config.retries.max_backoff);
    std::lock_guard lock(jitter_mutex);
    return std::chrono::milliseconds(
        static_cast<long>(capped.count() * std::uniform_real_distribution<double>(0.5, 1.0)(jitter)));
}

asio::awaitable<http::response> client::impl::send(http::request r, std::string_view route, repeat kind)
{
    // Every attempt sends the same request, shared with the HTTP layer rather than copied. It
    // carries credentials (an Authorization field; a form with a code, a verifier, a refresh
    // token): wiped when the last holder lets go of it.
    return send(std::make_shared<const http::wiped_request>(std::move(r)), route, kind);
}

std::chrono::steady_clock::duration client::impl::wait_before_sending(std::string_view route, std::string_view label,
                                                                     const rest::limit_key& who,
                                                                     std::chrono::steady_clock::time_point now)
{
    const auto& policy = config.retries;
    auto milliseconds = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
    if (auto stopped = limits.stopped_until(who, now)) {
        auto message = fmt::format("not sending {}: Discord answered 401 or 403 too often ({} times in a "
                                   "row to this credential, or {} times in {} minutes in all), and Discord "
                                   "bans callers that keep failing; check the tokens (sending resumes in {} s)",
                                   route, policy.invalid_request_limit, policy.invalid_requests_per_window,
                                   policy.invalid_window.count(),
                                   std::chrono::duration_cast<std::chrono::seconds>(*stopped - now).count() + 1);
        log(log_level::error, {{"route", label}, {"resume_ms", std::int64_t(milliseconds(*stopped - now))}}, "{}",
            message);
        throw error(errc::unauthorized, message);
    }
    auto held = limits.earliest(route, who);
    if (held.when <= now)
        return {};
    auto wait = held.when - now;
    if (wait > policy.max_rate_limit_wait) {
        error_details details;
        details.retry_after = std::chrono::duration<double>(wait).count();
        throw error(errc::rate_limited,
                    fmt::format("{} is rate-limited for {:.1f} s, longer than the configured wait; not sent", route,
                                *details.retry_after),
                    0, std::move(details));
    }
    log(log_level::info, {{"route", label}, {"wait_ms", std::int64_t(milliseconds(wait))}, {"scope", to_string(held.scope)}},
        "{} waits {} ms for Discord's rate limit", route, milliseconds(wait));
    if (auto* observer = config.metrics.get())
        observer->rate_limit_waited(held.scope, wait);
    return wait;
}

std::chrono::steady_clock::duration client::impl::retry_after_failure(const std::exception_ptr& thrown,
                                                                     std::string_view route, std::string_view label,
                                                                     repeat kind, int tries,
                                                                     std::chrono::steady_clock::time_point sent_at)
{
    const auto& policy = config.retries;
    if (auto* observer = config.metrics.get())
        observer->request_finished(label, 0, std::chrono::steady_clock::now() - sent_at);
    try {
        std::rethrow_exception(thrown);
    } catch (const error& failure) {
        auto code = failure.code();
        bool maybe_sent = code == errc::connection_lost || code == errc::timeout || code == errc::transport;
        if (kind == repeat::never && maybe_sent) {
            log(log_level::warning, {{"route", label}, {"error", code.message()}},
                "{}: the answer was lost ({}); not sending it again", route, failure.what());
            throw error(errc::outcome_unknown,
                        fmt::format("the answer to {} was lost ({}); it may have taken effect at Discord, and "
                                    "it was not sent again: a code or refresh token it used may now be spent",
                                    route, failure.what()));
        }
        bool retryable = maybe_sent || code == errc::connection_refused;
        if (kind == repeat::safe && retryable && tries < policy.max_attempts) {
            auto wait = backoff(tries);
            log(log_level::warning,
                {{"route", label}, {"error", code.message()}, {"wait_ms", std::int64_t(wait.count())},
                 {"attempt", std::int64_t(tries + 1)}},
                "{}: {}; retrying in {} ms (attempt {} of {})", route, failure.what(), wait.count(), tries + 1,
                policy.max_attempts);
            return wait;
        }
        log(log_level::debug, {{"route", label}, {"attempts", std::int64_t(tries)}, {"error", code.message()}},
            "{}: failed after {} attempt(s): {}", route, tries, failure.what());
        throw;
    }
}

std::optional<std::chrono::steady_clock::duration>
client::impl::retry_after_answer(const http::response& response, std::string_view route, std::string_view label,
                                 const rest::limit_key& who, repeat kind, int tries,
                                 std::chrono::steady_clock::time_point sent_at)
{
    const auto& policy = config.retries;
    auto answered = std::chrono::steady_clock::now();
    limits.learn(route, who, response, answered);
    if (auto* observer = config.metrics.get()) {
        observer->request_finished(label, response.status, answered - sent_at);
        observer->invalid_requests_changed(limits.invalid_in_window(answered));
    }
    if (logging()) {
        double took = std::chrono::duration<double, std::milli>(answered - sent_at).count();
        log(log_level::debug, {{"route", label}, {"status", std::int64_t(response.status)}, {"duration_ms", took}},
            "{}: {} in {:.1f} ms", route, response.status, took);
    }

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
        if (too_long || tries >= policy.max_attempts + 2)
            return std::nullopt;
        auto scope = response.fields.find("x-ratelimit-global") == "true" ? rate_limit_scope::global
            : response.fields.find("x-ratelimit-scope") == "shared"      ? rate_limit_scope::shared
                                                                         : rate_limit_scope::bucket;
        log(log_level::info,
            {{"route", label}, {"status", std::int64_t(429)}, {"wait_ms", std::int64_t(wait.count())},
             {"scope", to_string(scope)}},
            "{} was rate-limited by Discord; waiting {} ms", route, wait.count());
        if (auto* observer = config.metrics.get())
            observer->rate_limit_waited(scope, wait + std::chrono::milliseconds(1));
        return wait + std::chrono::milliseconds(1);
    }
    if (kind == repeat::safe && (response.status == 502 || response.status == 503 || response.status == 504)
        && tries < policy.max_attempts) {
        auto wait = backoff(tries);
        log(log_level::warning,
            {{"route", label}, {"status", std::int64_t(response.status)}, {"wait_ms", std::int64_t(wait.count())},
             {"attempt", std::int64_t(tries + 1)}},
            "{}: {}; retrying in {} ms (attempt {} of {})", route, response.status, wait.count(), tries + 1,
            policy.max_attempts);
        return wait;
    }
    return std::nullopt;
}

// The decisions around each attempt are plain functions: g++ gives every named local of a
// coroutine its own place in the frame, and a frame past malloc's per-thread cache (1,032
// bytes) costs a slow allocation and free for every request.
asio::awaitable<http::response> client::impl::send(std::shared_ptr<const http::request> shared, std::string_view route,
                                                  repeat kind)
{
    // The route's label, for the metrics and the log records: looked up only when either is on.
    const auto label = config.metrics || logging() ? rest::metric_route(route) : std::string_view();
    // Limits and the breaker count per credential and major parameter: other users' limits and
    // dead tokens, and other guilds' buckets, never hold this request.
    const auto who = rest::limit_key::of(shared->fields.find("authorization").value_or(""),
                                         rest::major_parameter(shared->url, config.endpoints.api));
    for (int tries = 1;; ++tries) {
        auto sent_at = std::chrono::steady_clock::now();
        if (auto held = wait_before_sending(route, label, who, sent_at); held.count() > 0) {
            co_await sleep(held);
            sent_at = std::chrono::steady_clock::now();
        }
        std::optional<http::response> answer;
        std::exception_ptr failure;
        auto sending = http.send(shared); // a request the HTTP layer refuses is not a failed send
        try {
            answer.emplace(co_await std::move(sending));
        } catch (const error&) {
            failure = std::current_exception();
        }
        auto again = failure ? retry_after_failure(failure, route, label, kind, tries, sent_at)
                             : retry_after_answer(*answer, route, label, who, kind, tries, sent_at);
        if (!again)
            co_return std::move(*answer);
        co_await sleep(*again);
    }
}

asio::awaitable<std::vector<partial_guild>> client::impl::guilds(const access_token& token, client::guild_page page)
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

asio::awaitable<access_token> client::impl::failed_token_call(std::exception_ptr failure)
{
    std::rethrow_exception(failure);
    co_return access_token{}; // not reached: makes this a coroutine, which throws when awaited
}

asio::awaitable<access_token> client::impl::token_call(http::request r, std::string_view operation, repeat kind)
{
    return token_call(std::make_shared<const http::wiped_request>(std::move(r)), operation, kind);
}

asio::awaitable<access_token> client::impl::token_call(std::shared_ptr<const http::request> r, std::string_view operation,
                                                       repeat kind)
{
    auto response = co_await send(std::move(r), operation, kind);
    auto received = std::chrono::system_clock::now();
    // The answer holds the new tokens until they are decoded into secrets: wiped on every way
    // out, a refusal or a body that does not decode included.
    struct wiped_on_exit {
        http::response& answer;
        ~wiped_on_exit() { http::wipe(answer); }
    } wiped{response};
    rest::throw_unless_success(response, operation);
    co_return json::decode_access_token(response.body, received);
}

} // namespace discord::oauth2
