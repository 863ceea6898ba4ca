// What Discord tells an application about itself through webhook events: a user authorized or
// removed it, an entitlement came, changed or went. The web server receives them on its events
// path (web_server_config::events_path) and publishes each as an `event` (events.hpp).
#pragma once

#include <discord/oauth2/snowflake.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace discord::oauth2 {

/// A user's or a server's right to a premium offering (ENTITLEMENT_CREATE, _UPDATE, _DELETE).
struct entitlement {
    snowflake id;                      ///< the entitlement
    snowflake sku_id;                  ///< the SKU it grants
    snowflake application_id;          ///< the application it belongs to
    std::optional<snowflake> user_id;  ///< whose it is, for a user's
    std::optional<snowflake> guild_id; ///< whose it is, for a server's
    int type = 0;                      ///< Discord's entitlement type (8: application subscription, ...)
    bool deleted = false;              ///< deleted
    std::optional<bool> consumed;      ///< for consumable SKUs
    std::optional<std::chrono::system_clock::time_point> starts_at; ///< when it starts, if it does
    std::optional<std::chrono::system_clock::time_point> ends_at;   ///< when it ends, if it does
};

/// One webhook event as Discord sent it, verified (its signature and timestamp checked).
struct application_event {
    std::string type; ///< Discord's event type: "APPLICATION_AUTHORIZED", "ENTITLEMENT_CREATE", ...
    std::chrono::system_clock::time_point timestamp; ///< when Discord says it happened
    /// The event's `data` object, minified JSON, for the types this library does not model
    /// (empty when Discord sent none).
    std::string data_json;
    /// APPLICATION_AUTHORIZED: 0 installed to a server, 1 to the user's account.
    std::optional<int> integration_type;
    std::vector<std::string> scopes;    ///< APPLICATION_AUTHORIZED: what was granted
    std::optional<snowflake> guild_id;  ///< APPLICATION_AUTHORIZED to a server: which
    std::optional<oauth2::entitlement> entitlement; ///< ENTITLEMENT_CREATE, _UPDATE, _DELETE
};

} // namespace discord::oauth2
