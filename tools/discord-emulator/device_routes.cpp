// The device authorization grant (RFC 8628), as Discord offers it to consoles (docs/emulator.md):
//   POST /api/oauth2/device/authorize   a device code and a user code for a client
//   GET  /activate[?user_code=C]         the page where the signed-in user types the code
//   POST /activate                       its Authorize and Cancel buttons
// and the token endpoint's device_code grant (device_token below): authorization_pending until
// the user decides, slow_down for polls closer than the interval, access_denied, expired_token.
#include "emulator_impl.hpp"

#include "core/html.hpp"
#include "core/random.hpp"

#include <fmt/format.h>

#include <openssl/rand.h>

namespace discord::oauth2::emulator {
namespace {

using server::request;
using server::response;

// Eight letters from RFC 8628 §6.1's alphabet (no vowels, nothing that reads as another letter),
// shown as "BCDF-GHJK".
std::string new_user_code()
{
    static constexpr std::string_view alphabet = "BCDFGHJKLMNPQRSTVWXZ";
    std::string code;
    unsigned char bytes[32];
    while (code.size() < 9) {
        if (RAND_bytes(bytes, sizeof bytes) != 1)
            throw std::runtime_error("the system's random generator failed");
        for (unsigned char b : bytes)
            if (b < 240 && code.size() < 9) { // 240 = 12 * 20: no modulo bias
                if (code.size() == 4)
                    code.push_back('-');
                code.push_back(alphabet[b % alphabet.size()]);
            }
    }
    return code;
}

// "bcdf ghjk", "BCDFGHJK", "bcdf-ghjk" -> "BCDF-GHJK".
std::string normalized_user_code(std::string_view typed)
{
    std::string letters;
    for (char c : typed)
        if (std::isalpha(static_cast<unsigned char>(c)))
            letters.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    if (letters.size() != 8)
        return {};
    return letters.substr(0, 4) + "-" + letters.substr(4);
}

asio::awaitable<response> device_authorize(emulator::impl& e, request& req)
{
    auto parsed = read_form(req);
    if (auto* r = std::get_if<response>(&parsed))
        co_return std::move(*r);
    auto& form = std::get<url::parameters>(parsed);
    auto client = authenticate_client(e, req, form);
    if (auto* r = std::get_if<response>(&client))
        co_return std::move(*r);
    const auto& app = *std::get<const application*>(client);
    auto scopes = split_scopes(form_value(form, "scope").value_or(""));
    if (scopes.empty())
        co_return oauth_error(400, "invalid_scope", "The requested scope is invalid, unknown, or malformed.");
    for (const auto& s : scopes)
        if (!is_known_scope(s) || s == "bot" || s == "webhook.incoming" || s == "applications.commands.update")
            co_return oauth_error(400, "invalid_scope", "The requested scope is invalid, unknown, or malformed.");

    // Expired requests go when a new one comes: the table stays as small as what is live.
    std::erase_if(e.devices, [&](const auto& entry) {
        if (entry.second.expires_at > e.now())
            return false;
        e.device_by_user_code.erase(entry.second.user_code);
        return true;
    });
    device_request d;
    d.application_id = app.id;
    d.scopes = std::move(scopes);
    do
        d.user_code = new_user_code();
    while (e.device_by_user_code.contains(d.user_code));
    d.expires_at = e.now() + e.opts.device_code_ttl;
    d.interval = e.opts.device_interval;
    auto device_code = random_token(40);
    e.device_by_user_code[d.user_code] = device_code;
    auto user_code = d.user_code;
    e.devices.emplace(device_code, std::move(d));

    auto activate = e.base_url() + "/activate";
    json::writer w;
    w.begin_object()
        .field("device_code", device_code)
        .field("user_code", user_code)
        .field("verification_uri", activate)
        .field("verification_uri_complete", activate + "?user_code=" + user_code)
        .field("expires_in", static_cast<std::int64_t>(e.opts.device_code_ttl.count()))
        .field("interval", static_cast<std::int64_t>(e.opts.device_interval.count()))
        .end_object();
    co_return json_response(200, w.take());
}

response activate_page(const user& u, std::string_view code, int status, std::string_view notice)
{
    auto body = fmt::format(R"(<h1>Activate your device</h1>
<p>Signed in as <strong>{user}</strong> (@{username}).</p>{notice}
<form method="post" action="/activate"><input type="hidden" name="emulator_user" value="{id}">
<p><label for="user_code">Enter the code shown on your device:</label>
<input id="user_code" name="user_code" value="{code}" autocomplete="off" autocapitalize="characters"></p>
<div class="actions"><button type="submit" name="decision" value="cancel">Cancel</button>
<button type="submit" name="decision" value="approve">Authorize</button></div></form>
<p class="note">Discord OAuth2 emulator.</p>)",
                            fmt::arg("user", html::escape(u.global_name.value_or(u.username))),
                            fmt::arg("username", html::escape(u.username)), fmt::arg("id", u.id),
                            fmt::arg("code", html::escape(code)),
                            fmt::arg("notice", notice.empty() ? std::string()
                                                              : fmt::format("<p role=\"status\">{}</p>", html::escape(notice))));
    auto r = html_page(status, "Activate", body);
    r.fields.add("Set-Cookie", fmt::format("emulator_user={}; Path=/; HttpOnly; SameSite=Lax", u.id));
    return r;
}

asio::awaitable<response> activate_get(emulator::impl& e, request& req)
{
    const auto* u = signed_in_user(e, req, req.query);
    if (!u)
        co_return html_page(400, "Activate", "<h1>The emulator has no user to sign in.</h1>");
    co_return activate_page(*u, req.query_param("user_code").value_or(""), 200, {});
}

asio::awaitable<response> activate_post(emulator::impl& e, request& req)
{
    auto read = read_site_form(e, req, "Activate");
    if (auto* refused = std::get_if<response>(&read))
        co_return std::move(*refused);
    const auto* form = &std::get<url::parameters>(read);
    const auto* u = signed_in_user(e, req, *form);
    if (!u)
        co_return html_page(400, "Activate", "<h1>The emulator has no user to sign in.</h1>");
    auto typed = std::string(form_value(*form, "user_code").value_or(""));
    auto decision = form_value(*form, "decision").value_or("");
    auto code = normalized_user_code(typed);
    auto found = code.empty() ? e.device_by_user_code.end() : e.device_by_user_code.find(code);
    auto* d = found == e.device_by_user_code.end() ? nullptr : &e.devices.at(found->second);
    if (!d || d->expires_at <= e.now() || d->state != device_request::status::pending)
        co_return activate_page(*u, typed, 400, "That code is not valid. Check the code on your device and try again.");
    const auto* app = e.find_application(d->application_id);
    if (decision == "approve") {
        d->state = device_request::status::approved;
        d->user_id = u->id;
        announce_authorized(e, *app, *u, d->scopes, std::nullopt, std::nullopt);
        co_return html_page(200, "Device connected",
                            fmt::format("<h1>Device connected</h1><p>{} can now access your account. You can close this page.</p>",
                                        html::escape(app->name)));
    }
    if (decision == "cancel") {
        d->state = device_request::status::denied;
        co_return html_page(200, "Cancelled", "<h1>Cancelled</h1><p>Nothing was shared with the device.</p>");
    }
    co_return activate_page(*u, typed, 400, "Choose Authorize or Cancel.");
}

} // namespace

server::response device_token(emulator::impl& e, const application& app, const url::parameters& form)
{
    auto device_code = form_value(form, "device_code");
    if (!device_code)
        return oauth_error(400, "invalid_request", "Missing \"device_code\" in request.");
    auto it = e.devices.find(std::string(*device_code));
    if (it == e.devices.end() || it->second.application_id != app.id)
        return oauth_error(400, "invalid_grant", "Invalid \"device_code\" in request.");
    auto& d = it->second;
    auto forget = [&] {
        e.device_by_user_code.erase(d.user_code);
        e.devices.erase(it);
    };
    if (d.expires_at <= e.now()) {
        forget();
        return oauth_error(400, "expired_token", "The device code has expired.");
    }
    auto now = e.now();
    bool too_soon = d.last_poll && now - *d.last_poll < d.interval;
    d.last_poll = now;
    switch (d.state) {
    case device_request::status::denied:
        forget();
        return oauth_error(400, "access_denied", "The resource owner or authorization server denied the request");
    case device_request::status::pending:
        if (too_soon) // RFC 8628 §3.5: the client adds 5 s to its interval
            return oauth_error(400, "slow_down", "Polling too frequently.");
        return oauth_error(400, "authorization_pending", "The user has not yet authorized the device.");
    case device_request::status::approved:
        break;
    }
    grant g;
    g.application_id = app.id;
    g.user_id = d.user_id;
    g.scopes = d.scopes;
    g.expires_at = now + e.opts.token_ttl;
    forget(); // single use: a second poll is invalid_grant
    const auto& created = e.book.create(std::move(g), true);
    return token_response(e, created);
}

void add_device_routes(emulator::impl& e, server::router& r)
{
    for (auto prefix : {"/api", "/api/v9", "/api/v10"})
        e.route(r, "POST", std::string(prefix) + "/oauth2/device/authorize",
                [&e](request& req) { return device_authorize(e, req); });
    e.route(r, "GET", "/activate", [&e](request& req) { return activate_get(e, req); });
    e.route(r, "POST", "/activate", [&e](request& req) { return activate_post(e, req); });
}

} // namespace discord::oauth2::emulator
