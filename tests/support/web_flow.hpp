// What a test of the whole authorization flow through the web server needs: an emulator that
// knows the web server's redirect URI, a client of the emulator's first application, and a
// token the emulator never issued.
#pragma once

#include "emulator.hpp"

#include <discord/oauth2/client.hpp>
#include <discord/oauth2/token.hpp>

#include <string>

namespace test {

/// The emulator's options for a flow test: no rate limits, consent answered at once (unless
/// `auto_approve` is false), `redirect` registered for every application.
inline discord::oauth2::emulator::options flow_emulator_options(const std::string& redirect, bool auto_approve = true)
{
    discord::oauth2::emulator::options o;
    o.auto_approve = auto_approve;
    o.rate_limits.enabled = false;
    for (auto& app : o.world.applications)
        app.redirect_uris.push_back(redirect);
    return o;
}

/// A client of the emulator's first application (at `emulator_url`) redirecting to `redirect`.
inline discord::oauth2::client_config flow_client_config(const std::string& emulator_url, const std::string& redirect)
{
    discord::oauth2::client_config c;
    c.client_id = discord::oauth2::snowflake(159799960412356608ULL);
    c.client_secret = discord::oauth2::secret("emulator-airhorn-client-secret-0123456789");
    c.redirect_uri = redirect;
    c.endpoints = discord::oauth2::endpoints::under(emulator_url);
    return c;
}

/// A Bearer token with the identify scope that the emulator never issued (it answers 401).
inline discord::oauth2::access_token forged_token()
{
    discord::oauth2::access_token t;
    t.token = discord::oauth2::secret("not-a-token-of-this-emulator");
    t.scopes = {"identify"};
    return t;
}

} // namespace test
