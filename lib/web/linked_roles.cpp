// The linked roles verification URL (web_server_config::linked_roles_path). Discord sends a person
// there from a server's linked roles; the server answers with Discord's consent page for
// `role_connections.write identify`, for whoever came (no user known in advance). After the
// callback, the bot's hook says what role connection that user has, and it is pushed to Discord.
//
// The state is bound to the browser that opened the path: a cookie holds the state's nonce, and
// the callback must bring it back. Without it, someone could authorize in their own browser, stop
// before the callback, and send the callback URL to someone else, whose browser would then finish
// the linking of the first person's account (login CSRF). Nothing is kept per visit of the path
// (the state is not registered as pending): opening it over and over costs no memory.
#include "web/web_server_impl.hpp"

#include "core/attempt.hpp"
#include "core/hex.hpp"
#include "http/headers.hpp"

#include <discord/oauth2/scope.hpp>

#include <openssl/crypto.h>

#include <fmt/format.h>

namespace discord::oauth2 {
namespace {

// Over https the name carries the __Host- prefix: browsers then take it only with Secure,
// Path=/ and no Domain, so a sibling subdomain cannot plant one for this host.
constexpr std::string_view plain_cookie_name = "discord_oauth2_linked_role";
constexpr std::string_view host_cookie_name = "__Host-discord_oauth2_linked_role";

std::string cookie_value(const state_claims& claims)
{
    return hex::encode(reinterpret_cast<const unsigned char*>(claims.nonce.data()), claims.nonce.size());
}

// Every value of cookie `name` in a Cookie header ("a=1; b=2"), added to `found`.
void find_cookies(std::string_view header, std::string_view name, std::vector<std::string_view>& found)
{
    while (!header.empty()) {
        auto end = header.find(';');
        auto pair = header.substr(0, end);
        while (!pair.empty() && pair.front() == ' ')
            pair.remove_prefix(1);
        if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=')
            found.push_back(pair.substr(name.size() + 1));
        if (end == std::string_view::npos)
            break;
        header.remove_prefix(end + 1);
    }
}

} // namespace

server::response web_server::impl::start_linked_role(const asio::ip::address& peer)
{
    // Each visit makes a fresh state, which a callback can then spend (a replay guard entry, a
    // record, an event): one client may start only so many a minute. Unknown peers (a bot's own
    // server that did not say) are not counted.
    if (visits && !peer.is_unspecified() && !visits->allow(peer, server::peer_rate::clock::now())) {
        return web::render(config.pages, web::answer{429, web::page_kind::error, "Too many attempts",
                                                     "Too many linked roles attempts came from your network. "
                                                     "Please wait a minute and try again from Discord.",
                                                     visits->retry_after()});
    }
    authorization_options options;
    options.flow = std::string(linked_roles_flow);
    static const scope_list scopes{scope::role_connections_write, scope::identify};
    auto [link, claims] = make_link(snowflake{}, scopes, options);
    if (metrics)
        metrics->link_created();
    server::response r;
    r.status = 302;
    r.fields.add("Location", link);
    r.fields.add("Cache-Control", "no-store");
    // Lax: the callback is a top-level navigation from Discord, which Lax cookies follow.
    bool https = redirect_parts.scheme == "https";
    r.fields.add("Set-Cookie", fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}",
                                           https ? host_cookie_name : plain_cookie_name, cookie_value(claims),
                                           config.state_lifetime.count(), https ? "; Secure" : ""));
    return r;
}

bool web_server::impl::from_linked_role_browser(const server::request& req, const state_claims& claims) const
{
    // Every Cookie field counts; two values of the cookie (one planted beside the real one) are
    // refused rather than one of them picked.
    auto name = redirect_parts.scheme == "https" ? host_cookie_name : plain_cookie_name;
    std::vector<std::string_view> values;
    for (const auto& [field, text] : req.fields)
        if (http::iequals(field, "cookie"))
            find_cookies(text, name, values);
    auto expected = cookie_value(claims);
    return values.size() == 1 && values[0].size() == expected.size()
        && CRYPTO_memcmp(values[0].data(), expected.data(), expected.size()) == 0;
}

asio::awaitable<web::answer> web_server::impl::push_linked_role(const user& who, const access_token& token)
{
    web::answer failed{502, web::page_kind::error, "Roles not updated",
                       "You are authorized, but your linked roles could not be updated. Please try again from Discord."};
    // The hook is the bot's code: any exception it throws is its failure (the library's own
    // errors keep their code; others count as invalid_argument).
    std::optional<role_connection> connection;
    std::optional<std::pair<std::error_code, std::string>> hook_failure;
    try {
        connection = co_await config.linked_roles_hook(who, token);
    } catch (const error& e) {
        hook_failure.emplace(e.code(), e.what());
    } catch (const std::exception& e) {
        hook_failure.emplace(make_error_code(errc::invalid_argument), e.what());
    }
    if (hook_failure) {
        publish_error("linked_roles", hook_failure->first, "the linked roles hook failed: " + hook_failure->second,
                      who.id);
        co_return failed;
    }
    if (connection) {
        auto pushed = co_await core::attempt(discord.update_role_connection(token, *connection));
        if (const auto& failure = pushed.failure) {
            publish_error("linked_roles", failure->code(),
                          std::string("Discord did not take the role connection: ") + failure->what(), who.id);
            co_return failed;
        }
        event e;
        e.kind = event_kind::role_connection_updated;
        e.user_id = who.id;
        publish(std::move(e));
    }
    co_return web::answer{200, web::page_kind::success, "Roles updated",
                          "Your account is linked. You can close this tab and return to Discord."};
}

} // namespace discord::oauth2
