// The application itself, with the bot token: its settings (GET/PATCH /applications/@me and
// GET /oauth2/applications/@me) and its role connection metadata records.
#include "client/client_impl.hpp"
#include "client/role_metadata.hpp"
#include "core/url_parts.hpp"
#include "json/decode.hpp"
#include "json/writer.hpp"

#include <discord/oauth2/error.hpp>

namespace discord::oauth2 {

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

asio::awaitable<application> client::get_oauth2_application()
{
    auto r = impl_->bot_request("GET", "/oauth2/applications/@me", "get_oauth2_application");
    auto response = co_await impl_->send(std::move(r), "GET /oauth2/applications/@me", impl::repeat::safe);
    rest::throw_unless_success(response, "GET /oauth2/applications/@me");
    co_return json::decode_application(response.body);
}

asio::awaitable<application> client::edit_current_application_with(application_changes changes)
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

} // namespace discord::oauth2
