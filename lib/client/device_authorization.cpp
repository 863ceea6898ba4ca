// The device authorization grant (RFC 8628): start, then poll the token endpoint.
#include "client/client_impl.hpp"
#include "core/attempt.hpp"
#include "json/decode.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <array>

namespace discord::oauth2 {

asio::awaitable<device_authorization> client::start_device_authorization(scope_list scopes)
{
    if (scopes.empty())
        throw error(errc::invalid_argument, "a device authorization needs at least one scope");
    for (const auto& s : scopes)
        if (s.empty() || s.find(' ') != std::string::npos)
            throw error(errc::invalid_argument, fmt::format("'{}' is not a scope", s));
    auto joined = rest::join_scopes(scopes.names());
    const std::array<url::field_view, 1> form{{{"scope", joined}}};
    auto request = impl_->token_request(impl_->config.endpoints.device_authorization, form);
    auto response = co_await impl_->send(std::move(request), "the device authorization", impl::repeat::never);
    auto received = std::chrono::system_clock::now();
    // The answer holds the device code until it is decoded into a secret: wiped on every way out.
    struct wiped_on_exit {
        http::response& answer;
        ~wiped_on_exit() { http::wipe(answer); }
    } wiped{response};
    rest::throw_unless_success(response, "the device authorization");
    auto authorization = json::decode_device_authorization(response.body, received);
    authorization.scopes = scopes.names();
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
        const std::array<url::field_view, 2> form{
            {{"grant_type", "urn:ietf:params:oauth:grant-type:device_code"}, {"device_code", authorization.device_code.reveal()}}};
        auto request = impl_->token_request(impl_->config.endpoints.token, form);
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
