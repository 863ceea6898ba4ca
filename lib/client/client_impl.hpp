#pragma once
// client::impl: what every operation of the client shares (the configuration, the HTTP client,
// Discord's limits, retries and request building). The operations live in files by area
// (client.cpp: the OAuth2 flows and Bearer reads; applications.cpp, command_permissions.cpp,
// group_dms.cpp, device_authorization.cpp), each reaching Discord through send().

#include <discord/oauth2/client.hpp>

#include "client/request_limits.hpp"
#include "client/response_errors.hpp"
#include "core/jws.hpp"
#include "core/url_encoding.hpp"
#include "http/client.hpp"

#include <fmt/format.h>

#include <asio/awaitable.hpp>

#include <chrono>
#include <initializer_list>
#include <span>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace discord::oauth2 {
namespace rest {

/// The label a request to `route` (as send() names it: "GET /users/@me", "the code exchange")
/// is counted and logged under: one of request_routes(), "other" for a name it does not know.
std::string_view metric_route(std::string_view route) noexcept;

/// Scopes as OAuth2 sends them: separated by single spaces.
std::string join_scopes(const std::vector<std::string>& scopes);

/// `url` with `params` appended as its query (after any query it already has).
std::string with_query(const std::string& url, const url::parameters& params);

/// Adds `Authorization: SCHEME CREDENTIAL` to `fields`, through a buffer that is wiped once
/// the field holds it (a concatenated temporary would be freed with the credential in it).
void add_authorization(http::headers& fields, std::string_view scheme, const secret& credential);

/// One of the issuer's ID token keys (OpenID Connect), with its `kid`.
struct cached_key {
    std::string kid;
    jws::public_key key;
};

} // namespace rest

struct client::impl {
    impl(asio::any_io_executor ex, client_config c);

    client_config config;
    http::client http;
    /// "Basic base64(id:secret)" for the token endpoints, made once (unset for a public client):
    /// encoding it per request was 5% of a flow's CPU.
    std::optional<secret> basic_authorization;

    [[nodiscard]] bool logging() const noexcept { return config.logger || config.log_records; }

    // A line for both loggers; `fields` are what it names, as values, for the record logger.
    template <class... Args>
    void log(log_level level, std::initializer_list<log_field> fields, fmt::format_string<Args...> format,
             Args&&... args) const
    {
        if (!logging())
            return;
        auto message = fmt::format(format, std::forward<Args>(args)...);
        if (config.logger)
            config.logger(level, message);
        if (config.log_records) {
            std::span<const log_field> named(fields.begin(), fields.size());
            config.log_records(log_record{level, message, named});
        }
    }
    template <class... Args>
    void log(log_level level, fmt::format_string<Args...> format, Args&&... args) const
    {
        log(level, {}, format, std::forward<Args>(args)...);
    }

    void require_scope(const access_token& token, std::string_view scope, std::string_view operation) const;

    // A form POST to a token endpoint, with the client's authentication. The form is encoded
    // from the caller's strings (a code, a verifier, a refresh token), which it wipes itself.
    http::request token_request(const std::string& url, std::span<const url::field_view> form) const;

    http::request api_get(const std::string& path, const access_token& token, url::parameters query = {}) const;

    // A request with the bot token (`operation` names the caller in the error when there is none).
    http::request bot_request(std::string method, const std::string& path, std::string_view operation) const;

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
        // Shared before the co_await: a request held in the frame would take its whole size there.
        std::shared_ptr<const http::request> request =
            std::make_shared<const http::wiped_request>(api_get(path, token, std::move(query)));
        auto response = co_await send(std::move(request), route, repeat::safe);
        rest::throw_unless_success(response, route);
        co_return decode(response.body);
    }

    /// "/applications/{client_id}/guilds/{guild}/commands", for the command permission routes.
    std::string commands_path(snowflake guild_id) const;

    std::string role_connection_path() const
    {
        return "/users/@me/applications/" + config.client_id.to_string() + "/role-connection";
    }

    rest::request_limits limits{config.retries};
    std::mutex jitter_mutex;
    std::mt19937 jitter{std::random_device{}()};

    asio::awaitable<void> sleep(std::chrono::steady_clock::duration d);

    std::chrono::milliseconds backoff(int attempt);

    // Sends `r` for `route` ("GET /users/@me"), honouring Discord's limits. 429s are waited out
    // (Discord did not process them). Requests that are safe to repeat are retried on connection
    // failures and 502/503/504; the others never are: a lost answer becomes outcome_unknown.
    // `route` is a name that outlives the call (a literal, or a string in the caller's frame).
    // Not a coroutine: shares `r` (wiped when the last holder lets go) and returns the next.
    asio::awaitable<http::response> send(http::request r, std::string_view route, repeat kind);
    asio::awaitable<http::response> send(std::shared_ptr<const http::request> r, std::string_view route, repeat kind);
    // send()'s decisions around an attempt: how long the limits hold it (0: none; throws when
    // the breaker stops it or the wait is past the configured one), and after a failure or an
    // answer how long to wait before sending again (throws, or nullopt, when it is final).
    std::chrono::steady_clock::duration wait_before_sending(std::string_view route, std::string_view label,
                                                            const rest::limit_key& who,
                                                            std::chrono::steady_clock::time_point now);
    std::chrono::steady_clock::duration retry_after_failure(const std::exception_ptr& failure, std::string_view route,
                                                            std::string_view label, repeat kind, int tries,
                                                            std::chrono::steady_clock::time_point sent_at);
    std::optional<std::chrono::steady_clock::duration>
    retry_after_answer(const http::response& response, std::string_view route, std::string_view label,
                       const rest::limit_key& who, repeat kind, int tries, std::chrono::steady_clock::time_point sent_at);

    // Not a coroutine: the strings handed to bearer_get must not be temporaries of a co_await
    // expression (g++ 12). Its callers are coroutines, so its errors still come out of co_await.
    asio::awaitable<std::vector<partial_guild>> guilds(const access_token& token, client::guild_page page);

    // A token endpoint's answer, decoded (the first is not a coroutine: it shares `r`).
    asio::awaitable<access_token> token_call(http::request r, std::string_view operation, repeat kind);
    asio::awaitable<access_token> token_call(std::shared_ptr<const http::request> r, std::string_view operation,
                                             repeat kind);

    // The operation for what went wrong before a request could be made: it fails when awaited.
    // Operations that are not coroutines themselves (one frame fewer a request, for the hot
    // ones) return it, so that their bad arguments still come out of co_await, as from every
    // other operation, and reach an async_ form's handler.
    static asio::awaitable<access_token> failed_token_call(std::exception_ptr failure);

    // The issuer's ID token keys (OpenID Connect), by kid; guarded by jwks_mutex, never held
    // across a co_await.
    std::mutex jwks_mutex;
    std::vector<rest::cached_key> jwks;
    std::chrono::steady_clock::time_point jwks_fetched{};
    bool jwks_loaded = false;
    bool jwks_attempted = false; // jwks_fetched is then the last attempt's time

    /// The key for an ID token's `kid` (any key of `alg` when the token names none), fetching
    /// the JWKS when none is cached, when it is an hour old, or once for an unknown kid (at most
    /// every config.jwks_refetch_interval). Throws invalid_id_token when there is none.
    asio::awaitable<jws::public_key> id_token_key(std::optional<std::string> kid, jws::algorithm alg);
};

} // namespace discord::oauth2
