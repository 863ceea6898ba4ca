#include <discord/oauth2/client.hpp>

#include "client/client_impl.hpp"
#include "client/pkce.hpp"
#include "client/role_metadata.hpp"
#include "core/attempt.hpp"
#include "core/base64.hpp"
#include "core/digest.hpp"
#include "core/random.hpp"
#include "core/url_encoding.hpp"
#include "core/url_parts.hpp"
#include "core/utf8.hpp"
#include "core/wipe.hpp"
#include "http/client.hpp"
#include "json/decode.hpp"
#include "json/writer.hpp"

#include <discord/oauth2/error.hpp>

#include <fmt/format.h>

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <span>
#include <charconv>
#include <cmath>
#include <mutex>
#include <random>
#include <unordered_map>

namespace discord::oauth2 {
namespace {

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
        && !request.scopes.contains("role_connections.write");
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

secret new_pkce_verifier()
{
    // 48 random bytes are 64 base64url characters, all in RFC 7636's unreserved set.
    return secret(random::url_safe(48));
}

pkce_pair make_pkce()
{
    auto verifier = new_pkce_verifier();
    auto challenge = pkce_challenge(verifier.reveal());
    return {std::move(verifier), std::move(challenge)};
}

std::string pkce_challenge(std::string_view verifier)
{
    auto hash = digest::sha256(verifier);
    return base64::encode_url(std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
}


client::client(executor_type executor, client_config config)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(config)))
{
}

client::~client() = default;

const client_config& client::config() const noexcept
{
    return impl_->config;
}

std::size_t client::invalid_requests_in_window() const
{
    auto count = impl_->limits.invalid_in_window(std::chrono::steady_clock::now());
    if (impl_->config.metrics)
        impl_->config.metrics->invalid_requests_changed(count);
    return count;
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
    q.emplace_back("scope", rest::join_scopes(request.scopes.names()));
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
    if (request.scopes.contains("openid")) {
        link.nonce = request.nonce.empty() ? random::url_safe(24) : request.nonce;
        q.emplace_back("nonce", link.nonce);
    }
    link.url = rest::with_query(c.endpoints.authorize, q);
    return link;
}

// exchange_code and refresh are not coroutines: each returns token_call's, one coroutine frame
// (about 2 KiB, past malloc's per-thread cache) fewer a request. What goes wrong before the
// request is made still fails at co_await (failed_token_call).
asio::awaitable<access_token> client::exchange_code(std::string code, std::optional<secret> code_verifier)
{
    struct wiped_code {
        std::string& text;
        ~wiped_code() { core::wipe(text); } // once the request holds it, or if it cannot be made
    } wiped{code};
    try {
        if (code.empty())
            throw error(errc::invalid_argument, "exchange_code needs the code from the redirect");
        const std::array<url::field_view, 4> form{{{"grant_type", "authorization_code"},
                                                   {"code", code},
                                                   {"redirect_uri", impl_->config.redirect_uri},
                                                   {"code_verifier", code_verifier ? std::string_view(code_verifier->reveal()) : std::string_view()}}};
        return impl_->token_call(impl_->token_request(impl_->config.endpoints.token, std::span(form).first(code_verifier ? 4 : 3)),
                                 "the code exchange", impl::repeat::never);
    } catch (...) {
        return impl::failed_token_call(std::current_exception());
    }
}

asio::awaitable<access_token> client::refresh(secret refresh_token)
{
    try {
        if (refresh_token.empty())
            throw error(errc::invalid_argument, "refresh needs a refresh token");
        const std::array<url::field_view, 2> form{{{"grant_type", "refresh_token"}, {"refresh_token", refresh_token.reveal()}}};
        return impl_->token_call(impl_->token_request(impl_->config.endpoints.token, form), "the token refresh",
                                 impl::repeat::never);
    } catch (...) {
        return impl::failed_token_call(std::current_exception());
    }
}

asio::awaitable<access_token> client::client_credentials(scope_list scopes)
{
    if (!impl_->config.client_secret)
        throw error(errc::invalid_argument, "the client credentials grant needs the client secret");
    if (scopes.empty())
        throw error(errc::invalid_argument, "the client credentials grant needs at least one scope");
    auto joined = rest::join_scopes(scopes.names());
    const std::array<url::field_view, 2> form{{{"grant_type", "client_credentials"}, {"scope", joined}}};
    auto request = impl_->token_request(impl_->config.endpoints.token, form);
    // Asking again is harmless: nothing is spent by this grant.
    co_return co_await impl_->token_call(std::move(request), "the client credentials grant", impl::repeat::safe);
}

asio::awaitable<void> client::revoke(secret token, token_type_hint hint)
{
    if (token.empty())
        throw error(errc::invalid_argument, "revoke needs a token");
    const std::array<url::field_view, 2> form{
        {{"token", token.reveal()},
         {"token_type_hint", hint == token_type_hint::access_token ? "access_token" : "refresh_token"}}};
    auto request = impl_->token_request(impl_->config.endpoints.revoke,
                                        std::span(form).first(hint != token_type_hint::none ? 2 : 1));
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
    return add_guild_member_with(token, guild_id, user_id, add_member_options{});
}

asio::awaitable<guild_join> client::add_guild_member_with(const access_token& token, snowflake guild_id,
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

asio::awaitable<role_connection> client::update_role_connection_with(const access_token& token, role_connection connection)
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

} // namespace discord::oauth2
