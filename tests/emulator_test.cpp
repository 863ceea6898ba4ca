#include "emulator.hpp"
#include "rate_limits.hpp"
#include "http/client.hpp"
#include "support/run.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include "core/base64.hpp"
#include "core/url_encoding.hpp"

#include <discord/oauth2/client.hpp>
#include <simdjson.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace em = discord::oauth2::emulator;
namespace http = discord::oauth2::http;
namespace url = discord::oauth2::url;
using namespace std::chrono_literals;

namespace {

const std::string confidential_id = "159799960412356608";
const std::string confidential_secret = "emulator-airhorn-client-secret-0123456789";
const std::string public_id = "1100000000000000001";
const std::string redirect = "http://127.0.0.1:42069/oauth/";
const std::string public_redirect = "http://127.0.0.1:53134/callback";

std::string docs_example(const std::string& name)
{
    std::ifstream in(std::filesystem::path(DOCS_EXAMPLES_DIR) / name);
    REQUIRE_MESSAGE(in, "cannot read the documentation example " << name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Parsed JSON that outlives the call (simdjson's DOM parser keeps the document).
struct json_doc {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    explicit json_doc(std::string_view text) { root = parser.parse(simdjson::padded_string(text)); }
    simdjson::simdjson_result<simdjson::dom::element> operator[](std::string_view key) { return root[key]; }
};

std::string str(simdjson::simdjson_result<simdjson::dom::element> e)
{
    return std::string(std::string_view(e));
}

// The consent page's hidden fields, unescaped: what a browser would submit.
url::parameters hidden_fields(const std::string& html)
{
    static const std::pair<std::string_view, std::string_view> entities[] = {
        {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}};
    url::parameters form;
    std::size_t at = 0;
    while ((at = html.find("<input type=\"hidden\" name=\"", at)) != std::string::npos) {
        at += 27;
        auto name_end = html.find('"', at);
        auto value_at = html.find("value=\"", name_end) + 7;
        auto value_end = html.find('"', value_at);
        auto value = html.substr(value_at, value_end - value_at);
        for (auto [from, to] : entities)
            for (std::size_t p; (p = value.find(from)) != std::string::npos;)
                value.replace(p, from.size(), to);
        form.emplace_back(html.substr(at, name_end - at), value);
    }
    return form;
}

struct fixture {
    asio::io_context io;
    em::emulator discord;
    http::client client;

    explicit fixture(em::options o = {}) : discord(io.get_executor(), std::move(o)), client(io.get_executor())
    {
        discord.start();
    }

    std::string api(const std::string& path) const { return discord.url() + "/api/v10" + path; }

    asio::awaitable<http::response> get(std::string url, std::string bearer = {})
    {
        http::request r;
        r.url = std::move(url);
        if (!bearer.empty())
            r.fields.add("Authorization", "Bearer " + bearer);
        co_return co_await client.send(std::move(r));
    }

    asio::awaitable<http::response> post_form(std::string url, url::parameters form, bool basic = true,
                                              const std::string& id = confidential_id,
                                              const std::string& secret = confidential_secret)
    {
        http::request r;
        r.method = "POST";
        r.url = std::move(url);
        r.fields.add("Content-Type", "application/x-www-form-urlencoded");
        if (basic)
            r.fields.add("Authorization", "Basic " + discord::oauth2::base64::encode(id + ":" + secret));
        r.body = url::encode_query(form);
        co_return co_await client.send(std::move(r));
    }

    // GET /oauth2/authorize with these parameters; returns the redirect's parameters (query or
    // fragment) or fails the test if there was no redirect.
    asio::awaitable<url::parameters> authorize(url::parameters params)
    {
        auto r = co_await get(discord.url() + "/oauth2/authorize?" + url::encode_query(params));
        REQUIRE(r.status == 302);
        co_return redirect_parameters(std::string(*r.fields.find("location")));
    }

    static url::parameters redirect_parameters(const std::string& location)
    {
        auto at = location.find_first_of("?#");
        REQUIRE(at != std::string::npos);
        return *url::parse_query(location.substr(at + 1));
    }

    asio::awaitable<std::string> code_for(std::string scopes, std::string state = "s")
    {
        url::parameters form_1 = {{"client_id", confidential_id},
                                     {"redirect_uri", redirect},
                                     {"response_type", "code"},
                                     {"scope", std::move(scopes)},
                                     {"state", std::move(state)}};
        auto p = co_await authorize(form_1);
        co_return value(p, "code");
    }

    asio::awaitable<http::response> exchange(const std::string& code)
    {
        url::parameters form_2 = {{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", redirect}};
        co_return co_await post_form(api("/oauth2/token"),
                                     form_2);
    }

    static std::string value(const url::parameters& p, const std::string& name)
    {
        for (const auto& [k, v] : p)
            if (k == name)
                return v;
        return {};
    }
};

em::options auto_approving()
{
    em::options o;
    o.auto_approve = true;
    return o;
}


} // namespace

TEST_CASE("the ready line names the URL, the applications and the users")
{
    fixture f;
    json_doc d(f.discord.ready_line());
    CHECK(str(d["url"]) == f.discord.url());
    CHECK(d["ca_file"].is_null());
    auto apps = simdjson::dom::array(d["applications"]);
    CHECK(apps.size() == 2);
    CHECK(str(apps.at(0)["client_id"]) == confidential_id);
    CHECK(str(apps.at(0)["client_secret"]) == confidential_secret);
    CHECK(apps.at(1)["client_secret"].is_null());
    CHECK(bool(apps.at(1)["public_client"]));
    auto users = simdjson::dom::array(d["users"]);
    CHECK(users.size() == 4);
    CHECK(str(users.at(2)["username"]) == "zoë");
}

TEST_CASE("authorization code flow: the documentation's user, single-use codes, redirect URI binding")
{
    fixture f(auto_approving());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto code = co_await f.code_for("identify email");
        auto token = co_await f.exchange(code);
        REQUIRE(token.status == 200);
        json_doc t(token.body.view());
        CHECK(str(t["token_type"]) == "Bearer");
        CHECK(int64_t(t["expires_in"]) == 604800);
        CHECK(str(t["scope"]) == "identify email");
        auto access = str(t["access_token"]);
        CHECK(access.size() == 30);
        CHECK(str(t["refresh_token"]).size() == 30);

        auto me = co_await f.get(f.api("/users/@me"), access);
        REQUIRE(me.status == 200);
        json_doc user(me.body.view());
        json_doc example(docs_example("user-object-example-user.json"));
        static constexpr std::string_view list_1[] = {"id", "username", "discriminator", "avatar", "email", "banner"};
        for (auto field : list_1)
            CHECK_MESSAGE(str(user[field]) == str(example[field]), field);
        static constexpr std::string_view list_2[] = {"flags", "accent_color", "premium_type", "public_flags"};
        for (auto field : list_2)
            CHECK_MESSAGE(int64_t(user[field]) == int64_t(example[field]), field);
        CHECK(bool(user["verified"]) == bool(example["verified"]));
        CHECK(user["global_name"].is_null());

        auto again = co_await f.exchange(code);
        CHECK(again.status == 400);
        json_doc spent(again.body.view());
        CHECK(str(spent["error"]) == "invalid_grant");
        CHECK(str(spent["error_description"]) == "Invalid \"code\" in request.");

        auto other = co_await f.code_for("identify");
        url::parameters form_3 = {{"grant_type", "authorization_code"},
                                                                      {"code", other},
                                                                      {"redirect_uri", "http://127.0.0.1:53134/callback"}};
        auto wrong_uri = co_await f.post_form(f.api("/oauth2/token"), form_3);
        CHECK(wrong_uri.status == 400);
        CHECK(str(json_doc(wrong_uri.body.view())["error"]) == "invalid_grant");
        CHECK((co_await f.exchange(other)).status == 400); // spent by the failed attempt, as at Discord
    }());
}

TEST_CASE("codes expire")
{
    auto o = auto_approving();
    o.code_ttl = 1s;
    fixture f(std::move(o));
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto code = co_await f.code_for("identify");
        co_await test::sleep(1100ms);
        auto r = co_await f.exchange(code);
        CHECK(r.status == 400);
        CHECK(str(json_doc(r.body.view())["error"]) == "invalid_grant");
    }());
}

TEST_CASE("client authentication: Basic or form body; wrong secrets and unknown clients are invalid_client")
{
    fixture f(auto_approving());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto code = co_await f.code_for("identify");
        url::parameters form_4 = {{"grant_type", "authorization_code"},
                                                                    {"code", code},
                                                                    {"redirect_uri", redirect},
                                                                    {"client_id", confidential_id},
                                                                    {"client_secret", confidential_secret}};
        auto in_body = co_await f.post_form(f.api("/oauth2/token"), form_4,
                                            false);
        CHECK(in_body.status == 200);

        url::parameters form_5 = {{"grant_type", "refresh_token"}, {"refresh_token", "x"}};
        auto wrong = co_await f.post_form(f.api("/oauth2/token"), form_5,
                                          true, confidential_id, "not-the-secret");
        CHECK(wrong.status == 401);
        CHECK(wrong.body.view() == R"({"error":"invalid_client"})");
        url::parameters form_6 = {{"grant_type", "refresh_token"}, {"refresh_token", "x"}};
        auto unknown = co_await f.post_form(f.api("/oauth2/token"), form_6,
                                            true, "42", "x");
        CHECK(unknown.status == 401);
        url::parameters form_7 = {{"grant_type", "refresh_token"}, {"refresh_token", "x"}};
        auto missing = co_await f.post_form(f.api("/oauth2/token"), form_7,
                                            false);
        CHECK(missing.status == 401);
    }());
}

TEST_CASE("PKCE: S256 only, verifier checked, public clients must use it, not with role_connections.write")
{
    fixture f(auto_approving());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        const std::string verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        auto base = url::parameters{{"client_id", public_id},
                                    {"redirect_uri", public_redirect},
                                    {"response_type", "code"},
                                    {"scope", "identify"},
                                    {"state", "p"}};
        auto without = co_await f.authorize(base);
        CHECK(fixture::value(without, "error") == "invalid_request");
        CHECK(fixture::value(without, "state") == "p");

        auto plain = base;
        plain.emplace_back("code_challenge", verifier);
        plain.emplace_back("code_challenge_method", "plain");
        auto refused = co_await f.authorize(plain);
        CHECK(fixture::value(refused, "error") == "invalid_request");
        CHECK(fixture::value(refused, "error_description") == "Unsupported \"code_challenge_method\"");

        auto with = base;
        with.emplace_back("code_challenge", discord::oauth2::pkce_challenge(verifier));
        with.emplace_back("code_challenge_method", "S256");
        auto exchange = [&](std::string code, std::optional<std::string> v) -> asio::awaitable<http::response> {
            url::parameters form{{"grant_type", "authorization_code"},
                                 {"code", code},
                                 {"redirect_uri", public_redirect},
                                 {"client_id", public_id}};
            if (v)
                form.emplace_back("code_verifier", *v);
            co_return co_await f.post_form(f.api("/oauth2/token"), form, false);
        };
        auto no_verifier = co_await exchange(fixture::value(co_await f.authorize(with), "code"), std::nullopt);
        CHECK(no_verifier.status == 400);
        CHECK(str(json_doc(no_verifier.body.view())["error_description"]) == "Missing \"code_verifier\"");
        auto short_verifier = co_await exchange(fixture::value(co_await f.authorize(with), "code"), "short");
        CHECK(str(json_doc(short_verifier.body.view())["error"]) == "invalid_request");
        auto wrong = co_await exchange(fixture::value(co_await f.authorize(with), "code"),
                                       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        CHECK(str(json_doc(wrong.body.view())["error"]) == "invalid_grant");
        auto right = co_await exchange(fixture::value(co_await f.authorize(with), "code"), verifier);
        CHECK(right.status == 200);

        auto role = with;
        role[3].second = "identify role_connections.write";
        auto role_refused = co_await f.authorize(role);
        CHECK(fixture::value(role_refused, "error") == "invalid_scope");
    }());
}

TEST_CASE("refresh tokens rotate; the old ones stop working")
{
    fixture f(auto_approving());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        json_doc first((co_await f.exchange(co_await f.code_for("identify"))).body.view());
        auto old_access = str(first["access_token"]);
        auto old_refresh = str(first["refresh_token"]);
        url::parameters form_8 = {{"grant_type", "refresh_token"}, {"refresh_token", old_refresh}};
        auto refreshed = co_await f.post_form(f.api("/oauth2/token"),
                                              form_8);
        REQUIRE(refreshed.status == 200);
        json_doc second(refreshed.body.view());
        CHECK(str(second["refresh_token"]) != old_refresh);
        CHECK((co_await f.get(f.api("/users/@me"), old_access)).status == 401);
        CHECK((co_await f.get(f.api("/users/@me"), str(second["access_token"]))).status == 200);
        url::parameters form_9 = {{"grant_type", "refresh_token"}, {"refresh_token", old_refresh}};
        auto reused = co_await f.post_form(f.api("/oauth2/token"),
                                           form_9);
        CHECK(reused.status == 400);
        CHECK(reused.body.view() == R"({"error":"invalid_grant","error_description":"Invalid \"refresh_token\" in request"})");
    }());
}

TEST_CASE("client credentials: a token for the owner without a refresh token")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        url::parameters form_10 = {{"grant_type", "client_credentials"}, {"scope", "identify connections"}};
        auto r = co_await f.post_form(f.api("/oauth2/token"), form_10);
        REQUIRE(r.status == 200);
        json_doc t(r.body.view());
        CHECK(t["refresh_token"].error() == simdjson::NO_SUCH_FIELD);
        auto me = co_await f.get(f.api("/users/@me"), str(t["access_token"]));
        CHECK(str(json_doc(me.body.view())["id"]) == "268473310986240001"); // the application's owner
        url::parameters form_11 = {{"grant_type", "client_credentials"}};
        auto no_scope = co_await f.post_form(f.api("/oauth2/token"), form_11);
        CHECK(str(json_doc(no_scope.body.view())["error"]) == "invalid_scope");
    }());
}

TEST_CASE("revocation ends the whole grant; unknown tokens are still 200")
{
    fixture f(auto_approving());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        json_doc t((co_await f.exchange(co_await f.code_for("identify"))).body.view());
        auto access = str(t["access_token"]);
        url::parameters form_12 = {{"token", str(t["refresh_token"])}, {"token_type_hint", "refresh_token"}};
        auto r = co_await f.post_form(f.api("/oauth2/token/revoke"),
                                      form_12);
        CHECK(r.status == 200);
        CHECK(r.body.view() == "{}");
        CHECK((co_await f.get(f.api("/users/@me"), access)).status == 401);
        url::parameters form_13 = {{"token", "never-issued"}};
        CHECK((co_await f.post_form(f.api("/oauth2/token/revoke"), form_13)).status == 200);
        url::parameters form_14 = {{"token", "x"}, {"token_type_hint", "id_token"}};
        auto hint = co_await f.post_form(f.api("/oauth2/token/revoke"), form_14);
        CHECK(hint.body.view() == R"({"error":"unsupported_token_type"})");
        url::parameters form_15 = {{"access_token", "x"}};
        auto field = co_await f.post_form(f.api("/oauth2/token/revoke"), form_15);
        CHECK(field.body.view() == R"({"error":"invalid_request"})");
    }());
}

TEST_CASE("the token endpoint takes forms only, and says which grant it does not know")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        http::request json;
        json.method = "POST";
        json.url = f.api("/oauth2/token");
        json.fields.add("Content-Type", "application/json");
        json.body = R"({"grant_type":"client_credentials","scope":"identify"})";
        auto r = co_await f.client.send(std::move(json));
        CHECK(r.status == 400);
        CHECK(r.body.view() == R"({"error":"unsupported_grant_type","error_description":"Grant type None is not supported"})");
        CHECK((co_await f.get(f.api("/oauth2/token"))).status == 405);
        url::parameters form_16 = {{"grant_type", "password"}};
        auto unknown = co_await f.post_form(f.api("/oauth2/token"), form_16);
        CHECK(str(json_doc(unknown.body.view())["error_description"]) == "Grant type password is not supported");
        static constexpr std::string_view list_3[] = {"/api/oauth2/token", "/api/v9/oauth2/token", "/api/v10/oauth2/token"};
        for (auto path : list_3) {
            url::parameters form_17 = {{"grant_type", "client_credentials"}, {"scope", "identify"}};
            auto any = co_await f.post_form(f.discord.url() + std::string(path), form_17);
            CHECK(any.status == 200);
        }
    }());
}

TEST_CASE("authorize: errors before the redirect URI is trusted are pages, after it redirects")
{
    fixture f(auto_approving());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto unknown_app = co_await f.get(f.discord.url() + "/oauth2/authorize?client_id=42&response_type=code&scope=identify");
        CHECK(unknown_app.status == 400);
        CHECK_FALSE(unknown_app.fields.contains("location"));
        url::parameters query_6 = {{"client_id", confidential_id},
                                                      {"redirect_uri", "https://evil.example/steal"},
                                                      {"response_type", "code"},
                                                      {"scope", "identify"}};
        auto evil = co_await f.get(f.discord.url() + "/oauth2/authorize?" +
                                   url::encode_query(query_6));
        CHECK(evil.status == 400);
        CHECK_FALSE(evil.fields.contains("location"));
        CHECK(evil.body.view().find("<h1>") != std::string_view::npos);

        url::parameters form_18 = {{"client_id", confidential_id},
                                               {"redirect_uri", redirect},
                                               {"response_type", "code"},
                                               {"scope", "identify teleport"},
                                               {"state", "st"}};
        auto bad_scope = co_await f.authorize(form_18);
        CHECK(fixture::value(bad_scope, "error") == "invalid_scope");
        CHECK(fixture::value(bad_scope, "state") == "st");
        CHECK(fixture::value(bad_scope, "iss") == f.discord.url());

        url::parameters query_7 = {{"client_id", confidential_id},
                                                          {"redirect_uri", redirect},
                                                          {"response_type", "token"},
                                                          {"scope", "identify"},
                                                          {"state", "i"}};
        auto implicit = co_await f.get(f.discord.url() + "/oauth2/authorize?" +
                                       url::encode_query(query_7));
        auto location = std::string(*implicit.fields.find("location"));
        CHECK(location.starts_with(redirect + "#access_token="));
        auto fragment = fixture::redirect_parameters(location);
        CHECK(fixture::value(fragment, "token_type") == "Bearer");
        CHECK(fixture::value(fragment, "expires_in") == "604800");
        CHECK(fixture::value(fragment, "refresh_token").empty());
        CHECK((co_await f.get(f.api("/users/@me"), fixture::value(fragment, "access_token"))).status == 200);
    }());
}

TEST_CASE("the consent page, followed as a browser would: Authorize and Cancel")
{
    fixture f; // no auto-approve
    test::run(f.io, [&]() -> asio::awaitable<void> {
        url::parameters query_8 = {{"client_id", confidential_id},
                                        {"redirect_uri", redirect},
                                        {"response_type", "code"},
                                        {"scope", "identify guilds"},
                                        {"state", "<b>&\"'"},
                                        {"emulator_user", "175928847299117063"}};
        auto query = url::encode_query(query_8);
        auto page = co_await f.get(f.discord.url() + "/oauth2/authorize?" + query);
        REQUIRE(page.status == 200);
        auto html = std::string(page.body.view());
        CHECK(html.find("AIRHORN SOLUTIONS") != std::string::npos);
        CHECK(html.find("Zoë Ångström 🌸") != std::string::npos);
        CHECK(html.find("<code>guilds</code>") != std::string::npos);
        CHECK(html.find("<b>&") == std::string::npos); // the state is escaped
        CHECK(page.fields.find("x-frame-options") == "DENY");
        CHECK(page.fields.find("content-security-policy")->starts_with("default-src 'none'"));

        // Submit the form's fields as the browser would.
        auto form = hidden_fields(html);
        auto submit = [&](std::string decision) -> asio::awaitable<http::response> {
            auto body = form;
            body.emplace_back("decision", decision);
            http::request r;
            r.method = "POST";
            r.url = f.discord.url() + "/oauth2/authorize";
            r.fields.add("Content-Type", "application/x-www-form-urlencoded");
            r.body = url::encode_query(body);
            co_return co_await f.client.send(std::move(r));
        };
        auto approved = co_await submit("approve");
        REQUIRE(approved.status == 302);
        auto p = fixture::redirect_parameters(std::string(*approved.fields.find("location")));
        CHECK(fixture::value(p, "state") == "<b>&\"'");
        json_doc t((co_await f.exchange(fixture::value(p, "code"))).body.view());
        auto me = co_await f.get(f.api("/users/@me"), str(t["access_token"]));
        CHECK(str(json_doc(me.body.view())["username"]) == "zoë"); // the user signed in on the page

        auto cancelled = co_await submit("cancel");
        auto location = std::string(*cancelled.fields.find("location"));
        CHECK(location.find("error=access_denied&error_description=The+resource+owner+or+authorization+server+denied+the+request")
              != std::string::npos);
    }());
}

TEST_CASE("Bearer endpoints check scopes; email only with the email scope")
{
    fixture f(auto_approving());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        json_doc guilds_only((co_await f.exchange(co_await f.code_for("guilds"))).body.view());
        auto token = str(guilds_only["access_token"]);
        auto me = co_await f.get(f.api("/users/@me"), token);
        CHECK(me.status == 401);
        CHECK(me.body.view() == R"({"message":"401: Unauthorized","code":0})");
        CHECK((co_await f.get(f.api("/users/@me/connections"), token)).status == 401);
        CHECK((co_await f.get(f.api("/users/@me"), "garbage")).status == 401);
        CHECK((co_await f.get(f.api("/users/@me"))).status == 401);

        json_doc identify((co_await f.exchange(co_await f.code_for("identify"))).body.view());
        json_doc user((co_await f.get(f.api("/users/@me"), str(identify["access_token"]))).body.view());
        CHECK(user["email"].error() == simdjson::NO_SUCH_FIELD);
        CHECK(user["verified"].error() == simdjson::NO_SUCH_FIELD);
    }());
}

TEST_CASE("guilds: the documentation's partial guild, paging with before, after and limit")
{
    fixture f(auto_approving());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto token = str(json_doc((co_await f.exchange(co_await f.code_for("guilds guilds.members.read"))).body.view())["access_token"]);
        auto all = co_await f.get(f.api("/users/@me/guilds?with_counts=true"), token);
        json_doc list(all.body.view());
        auto guilds = simdjson::dom::array(list.root);
        REQUIRE(guilds.size() == 3);
        json_doc example(docs_example("get-current-user-guilds-example-partial-guild.json"));
        auto first = guilds.at(0);
        static constexpr std::string_view list_4[] = {"id", "name", "icon", "banner", "permissions"};
        for (auto field : list_4)
            CHECK_MESSAGE(str(first[field]) == str(example[field]), field);
        CHECK(bool(first["owner"]) == bool(example["owner"]));
        CHECK(int64_t(first["approximate_member_count"]) == int64_t(example["approximate_member_count"]));
        CHECK(simdjson::dom::array(first["features"]).size() == simdjson::dom::array(example["features"]).size());

        auto ids = [&](std::string query) -> asio::awaitable<std::vector<std::string>> {
            json_doc d((co_await f.get(f.api("/users/@me/guilds" + query), token)).body.view());
            std::vector<std::string> out;
            for (auto g : simdjson::dom::array(d.root))
                out.push_back(str(g["id"]));
            co_return out;
        };
        auto first_page = co_await ids("?limit=1");
        auto after_first = co_await ids("?after=80351110224678912&limit=1");
        auto before_last = co_await ids("?before=1234647491267808778&limit=1");
        CHECK(first_page.size() == 1);
        CHECK(first_page.front() == "80351110224678912");
        CHECK(after_first.size() == 1);
        CHECK(after_first.front() == "290926798626357250");
        CHECK(before_last.size() == 1);
        CHECK(before_last.front() == "290926798626357250");
        auto no_counts = co_await f.get(f.api("/users/@me/guilds"), token);
        CHECK(no_counts.body.view().find("approximate_member_count") == std::string_view::npos);
        auto bad = co_await f.get(f.api("/users/@me/guilds?limit=0"), token);
        CHECK(bad.status == 400);
        CHECK(int64_t(json_doc(bad.body.view())["code"]) == 50035);

        auto member = co_await f.get(f.api("/users/@me/guilds/80351110224678912/member"), token);
        REQUIRE(member.status == 200);
        json_doc m(member.body.view());
        json_doc member_example(docs_example("guild-member-object-example-guild-member.json"));
        CHECK(str(m["nick"]) == str(member_example["nick"]));
        CHECK(str(m["joined_at"]) == str(member_example["joined_at"]));
        CHECK(bool(m["deaf"]) == bool(member_example["deaf"]));
        CHECK(simdjson::dom::array(m["roles"]).size() == 0);
        auto stranger = co_await f.get(f.api("/users/@me/guilds/42/member"), token);
        CHECK(stranger.status == 404);
        CHECK(stranger.body.view() == R"({"message":"Unknown Guild","code":10004})");
    }());
}

TEST_CASE("connections, authorization information and the issuer metadata")
{
    fixture f(auto_approving());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto token = str(json_doc((co_await f.exchange(co_await f.code_for("identify connections"))).body.view())["access_token"]);
        json_doc list((co_await f.get(f.api("/users/@me/connections"), token)).body.view());
        std::vector<std::string> types;
        for (auto c : simdjson::dom::array(list.root))
            types.push_back(str(c["type"]));
        std::string joined;
        for (const auto& t : types)
            joined += t + " ";
        CHECK(joined == "github steam twitch spotify bluesky ");

        json_doc info((co_await f.get(f.api("/oauth2/@me"), token)).body.view());
        json_doc example(docs_example("get-current-authorization-information-example-authorization-information.json"));
        static constexpr std::string_view list_4[] = {"id", "name", "icon", "description"};
        for (auto field : list_4)
            CHECK_MESSAGE(str(info["application"][field]) == str(example["application"][field]), field);
        // The key is the emulator's own pair (it signs the webhook events), not the example's.
        CHECK(str(info["application"]["verify_key"]).size() == 64);
        CHECK(str(info["application"]["verify_key"]) == f.discord.world().applications.front().verify_key);
        CHECK(str(info["user"]["id"]) == "80351110224678912");
        CHECK(str(info["expires"]).ends_with("+00:00"));

        json_doc meta((co_await f.get(f.discord.url() + "/.well-known/oauth-authorization-server")).body.view());
        CHECK(str(meta["issuer"]) == f.discord.url());
        CHECK(str(simdjson::dom::array(meta["code_challenge_methods_supported"]).at(0)) == "S256");
        CHECK(bool(meta["authorization_response_iss_parameter_supported"]));
    }());
}

TEST_CASE("bot and webhook flows return their guild and webhook; the bot joins the guild")
{
    fixture f(auto_approving());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        url::parameters form_19 = {{"client_id", confidential_id},
                                       {"redirect_uri", redirect},
                                       {"response_type", "code"},
                                       {"scope", "bot applications.commands"},
                                       {"permissions", "8"},
                                       {"guild_id", "290926798626357250"}};
        auto p = co_await f.authorize(form_19);
        CHECK(fixture::value(p, "guild_id") == "290926798626357250");
        CHECK(fixture::value(p, "permissions") == "8");
        auto r = co_await f.exchange(fixture::value(p, "code"));
        REQUIRE(r.status == 200);
        json_doc t(r.body.view());
        CHECK(str(t["guild"]["id"]) == "290926798626357250");
        CHECK(str(t["guild"]["name"]) == "Ünïcödé Café ☕");
        CHECK(f.discord.world().guilds[1].members.contains(159799960412356609ULL));

        url::parameters form_20 = {{"client_id", confidential_id},
                                       {"redirect_uri", redirect},
                                       {"response_type", "code"},
                                       {"scope", "webhook.incoming"}};
        auto w = co_await f.authorize(form_20);
        json_doc hook((co_await f.exchange(fixture::value(w, "code"))).body.view());
        CHECK(int64_t(hook["webhook"]["type"]) == 1);
        CHECK(str(hook["webhook"]["url"]).find("/api/webhooks/") != std::string::npos);
    }());
}

TEST_CASE("over TLS with its generated certificate")
{
    auto o = auto_approving();
    o.tls = true;
    o.tls_directory = (std::filesystem::temp_directory_path() / ("emulator-tls-" + std::to_string(::getpid()))).string();
    asio::io_context io;
    em::emulator discord(io.get_executor(), o);
    discord.start();
    REQUIRE(discord.ca_file());
    CHECK(discord.url().starts_with("https://"));
    http::client_options co;
    co.ca_file = *discord.ca_file();
    http::client client(io.get_executor(), co);
    test::run(io, [&]() -> asio::awaitable<void> {
        http::request r;
        r.url = discord.url() + "/.well-known/oauth-authorization-server";
        auto meta = co_await client.send(std::move(r));
        CHECK(meta.status == 200);
    }());
    std::filesystem::remove_all(o.tls_directory);

    // Without a directory given: a fresh one of its own, mode 700, never a guessable name.
    auto o2 = auto_approving();
    o2.tls = true;
    em::emulator second(io.get_executor(), o2);
    second.start();
    REQUIRE(second.ca_file());
    auto made = std::filesystem::path(*second.ca_file()).parent_path();
    CHECK(made.filename().string().starts_with("discord-emulator-"));
    CHECK(made.filename().string() != "discord-emulator-" + std::to_string(::getpid()));
    CHECK((std::filesystem::status(made).permissions() & std::filesystem::perms::all) == std::filesystem::perms::owner_all);
    second.stop();
    std::filesystem::remove_all(made);
}

TEST_CASE("a bot adds a user who granted guilds.join: 201, then 204; Discord's errors otherwise")
{
    fixture f(auto_approving());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        // The bot joins Nelly's guild through the bot flow.
        url::parameters bot_flow = {{"client_id", confidential_id}, {"redirect_uri", redirect},
                                    {"response_type", "code"},      {"scope", "bot"},
                                    {"guild_id", "80351110224678912"}};
        auto joined = co_await f.exchange(fixture::value(co_await f.authorize(bot_flow), "code"));
        REQUIRE(joined.status == 200);

        url::parameters user_flow = {{"client_id", confidential_id}, {"redirect_uri", redirect},
                                     {"response_type", "code"},      {"scope", "identify guilds.join"},
                                     {"emulator_user", "613425648685547541"}};
        auto token = str(json_doc((co_await f.exchange(fixture::value(co_await f.authorize(user_flow), "code"))).body.view())["access_token"]);

        auto put = [&](std::string guild, std::string bot, std::string body) -> asio::awaitable<http::response> {
            http::request r;
            r.method = "PUT";
            r.url = f.api("/guilds/" + guild + "/members/613425648685547541");
            r.fields.add("Authorization", "Bot " + bot);
            r.fields.add("Content-Type", "application/json");
            r.body = std::move(body);
            co_return co_await f.client.send(std::move(r));
        };
        const std::string bot_token = "emulator-airhorn-bot-token.0123456789";
        auto body = R"({"access_token":")" + token + R"(","nick":"小龙","mute":true})";
        auto added = co_await put("80351110224678912", bot_token, body);
        CHECK(added.status == 201);
        json_doc m(added.body.view());
        CHECK(str(m["nick"]) == "小龙");
        CHECK(bool(m["mute"]));
        CHECK(str(m["user"]["id"]) == "613425648685547541");
        auto again = co_await put("80351110224678912", bot_token, body);
        CHECK(again.status == 204);
        CHECK(again.body.empty());

        CHECK((co_await put("80351110224678912", "wrong", body)).status == 401);
        auto not_in_guild = co_await put("1234647491267808778", bot_token, body);
        CHECK(not_in_guild.body.view() == R"({"message":"Missing Access","code":50001})");
        auto bad_token = co_await put("80351110224678912", bot_token, R"({"access_token":"nope"})");
        CHECK(bad_token.body.view() == R"({"message":"Invalid OAuth2 access token","code":50025})");
        auto not_json = co_await put("80351110224678912", bot_token, "access_token=x");
        CHECK(not_json.status == 400);
        CHECK(int64_t(json_doc(not_json.body.view())["code"]) == 50109);
    }());
}

TEST_CASE("role connections: read, validated write, delete")
{
    fixture f(auto_approving());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto token = str(json_doc((co_await f.exchange(co_await f.code_for("role_connections.write"))).body.view())["access_token"]);
        auto path = f.api("/users/@me/applications/" + confidential_id + "/role-connection");
        auto send = [&](std::string method, std::string body, std::string where) -> asio::awaitable<http::response> {
            http::request r;
            r.method = std::move(method);
            r.url = std::move(where);
            r.fields.add("Authorization", "Bearer " + token);
            if (!body.empty())
                r.fields.add("Content-Type", "application/json");
            r.body = std::move(body);
            co_return co_await f.client.send(std::move(r));
        };
        auto empty = co_await send("GET", "", path);
        CHECK(empty.body.view() == R"({"platform_username":null,"metadata":{}})");

        auto put = co_await send("PUT", R"({"platform_name":"Chess Club","platform_username":"nelly","metadata":{"elo":"1800","games_won":42}})", path);
        CHECK(put.status == 200);
        CHECK(put.body.view() == R"({"platform_name":"Chess Club","platform_username":"nelly","metadata":{"elo":"1800","games_won":"42"}})");
        CHECK((co_await send("GET", "", path)).body.view() == put.body.view());

        auto six = co_await send("PUT", R"({"metadata":{"a":"1","b":"1","c":"1","d":"1","e":"1","f":"1"}})", path);
        CHECK(six.status == 400);
        CHECK(int64_t(json_doc(six.body.view())["code"]) == 50035);
        CHECK((co_await send("PUT", R"({"metadata":{"Bad-Key":"1"}})", path)).status == 400);
        CHECK((co_await send("PUT", R"({"platform_name":")" + std::string(51, 'x') + R"("})", path)).status == 400);
        CHECK((co_await send("PUT", R"({"platform_name":")" + std::string(50, 'x') + R"("})", path)).status == 200);

        CHECK((co_await send("DELETE", "", path)).status == 204);
        CHECK((co_await send("GET", "", path)).body.view() == empty.body.view());
        auto other_app = co_await send("GET", "", f.api("/users/@me/applications/" + public_id + "/role-connection"));
        CHECK(other_app.status == 403);
    }());
}

TEST_CASE("rate limits: headers on API answers, 429 per bucket and globally, invalid requests counted")
{
    auto o = auto_approving();
    // Windows generous enough for a slow sanitizer build to stay inside them.
    o.rate_limits.routes["users_me"] = {2, 1500ms};
    o.rate_limits.global = {4, 3s};
    fixture f(std::move(o));
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto code = co_await f.code_for("identify guilds");
        auto token_response = co_await f.exchange(code);
        CHECK_FALSE(token_response.fields.contains("x-ratelimit-limit")); // the token route sends none
        auto token = str(json_doc(token_response.body.view())["access_token"]);

        auto first = co_await f.get(f.api("/users/@me"), token);
        CHECK(first.status == 200);
        CHECK(first.fields.find("x-ratelimit-limit") == "2");
        CHECK(first.fields.find("x-ratelimit-remaining") == "1");
        CHECK_FALSE(first.fields.find("x-ratelimit-bucket")->empty());
        CHECK(std::stod(std::string(*first.fields.find("x-ratelimit-reset-after"))) <= 1.5);
        CHECK((co_await f.get(f.api("/users/@me"), token)).status == 200);
        auto limited = co_await f.get(f.api("/users/@me"), token);
        CHECK(limited.status == 429);
        CHECK(limited.fields.find("retry-after") == "2");
        CHECK(limited.fields.find("x-ratelimit-scope") == "user");
        json_doc body(limited.body.view());
        CHECK(str(body["message"]) == "You are being rate limited.");
        CHECK(double(body["retry_after"]) > 0);
        CHECK_FALSE(bool(body["global"]));
        CHECK(f.discord.invalid_requests() == 1);

        // Another token has its own buckets; a new window opens after reset-after.
        co_await test::sleep(1600ms);
        CHECK((co_await f.get(f.api("/users/@me"), token)).status == 200);

        // The global limit spans routes: 4 per window for this token.
        co_await test::sleep(3100ms);
        for (int i = 0; i < 4; ++i)
            CHECK((co_await f.get(f.api("/users/@me/guilds"), token)).status == 200);
        auto global = co_await f.get(f.api("/users/@me/guilds"), token);
        CHECK(global.status == 429);
        CHECK(global.fields.find("x-ratelimit-global") == "true");
        CHECK(global.fields.find("x-ratelimit-scope") == "global");
        CHECK(bool(json_doc(global.body.view())["global"]));

        CHECK((co_await f.get(f.api("/users/@me"), "bad-token")).status == 401);
        CHECK(f.discord.invalid_requests() == 3);
    }());
}

TEST_CASE("rate limits are kept per caller and major parameter, and ended windows are forgotten")
{
    em::rate_limit_options o;
    o.routes["guild_join"] = {2, 10s};
    o.global = {1000, 1s};
    em::rate_limiter limits(o);
    auto now = std::chrono::system_clock::now();
    CHECK(limits.check("guild_join", "Bot t", "1", now).allowed);
    CHECK(limits.check("guild_join", "Bot t", "1", now).allowed);
    auto spent = limits.check("guild_join", "Bot t", "1", now);
    CHECK_FALSE(spent.allowed);
    CHECK_FALSE(spent.global);
    auto other_guild = limits.check("guild_join", "Bot t", "2", now);
    CHECK(other_guild.allowed);
    CHECK(other_guild.bucket == spent.bucket); // one bucket id, split by the major parameter
    CHECK(limits.check("guild_join", "Bot u", "1", now).allowed);

    // 100,000 callers, then 100,000 others after every window has ended: the first ones are gone.
    for (int i = 0; i < 100'000; ++i)
        (void)limits.check("users_me", "Bearer first-" + std::to_string(i), "", now);
    CHECK(limits.windows() >= 200'000);
    for (int i = 0; i < 100'000; ++i)
        (void)limits.check("users_me", "Bearer second-" + std::to_string(i), "", now + 20s);
    CHECK(limits.windows() < 250'000);
}

TEST_CASE("fault specs parse, and bad ones say what is wrong")
{
    auto f = em::fault::parse("POST /oauth2/token reset-after every=2");
    CHECK(f.what == em::fault::kind::reset_after);
    CHECK(f.every == 2);
    CHECK(f.applies_to("POST", "/api/v10/oauth2/token"));
    CHECK(f.applies_to("POST", "/api/oauth2/token"));
    CHECK_FALSE(f.applies_to("GET", "/api/v10/oauth2/token"));
    CHECK_FALSE(f.applies_to("POST", "/api/v10/oauth2/token/revoke"));
    auto latency = em::fault::parse("* * latency=250 probability=0.5");
    CHECK(latency.latency == 250ms);
    CHECK(latency.probability == 0.5);
    CHECK(latency.applies_to("GET", "/anything"));
    CHECK(em::fault::parse("GET /users/@me status=502").status == 502);
    for (auto bad : {"POST /oauth2/token", "POST oauth2/token truncate", "GET / explode", "GET / status=200",
                     "GET / truncate every=0", "GET / truncate probability=2", "GET / truncate sometimes"}) {
        CAPTURE(bad);
        try {
            em::fault::parse(bad);
            FAIL("accepted");
        } catch (const discord::oauth2::error& e) {
            CHECK(e.code() == discord::oauth2::errc::invalid_argument);
            CHECK(std::string(e.what()).find(bad) != std::string::npos);
        }
    }
}

TEST_CASE("faults: failing statuses, latency without blocking others, lost answers before and after effect")
{
    fixture f(auto_approving());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto token = str(json_doc((co_await f.exchange(co_await f.code_for("identify"))).body.view())["access_token"]);

        f.discord.add_fault(em::fault::parse("GET /users/@me status=503 every=2"));
        CHECK((co_await f.get(f.api("/users/@me"), token)).status == 200);
        auto failed = co_await f.get(f.api("/users/@me"), token);
        CHECK(failed.status == 503);
        CHECK((co_await f.get(f.api("/users/@me"), token)).status == 200);
        f.discord.clear_faults();

        // A slow route holds up nobody else.
        f.discord.add_fault(em::fault::parse("GET /users/@me latency=1500"));
        bool slow_done = false;
        auto ex = co_await asio::this_coro::executor;
        asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
            auto r = co_await f.get(f.api("/users/@me"), token);
            CHECK(r.status == 200);
            slow_done = true;
        }, asio::detached);
        co_await test::sleep(50ms);
        auto fast = co_await f.get(f.discord.url() + "/.well-known/oauth-authorization-server");
        CHECK(fast.status == 200);
        CHECK_FALSE(slow_done);
        while (!slow_done)
            co_await test::sleep(20ms);
        f.discord.clear_faults();

        auto expect_lost = [&](std::string code) -> asio::awaitable<void> {
            try {
                co_await f.exchange(code);
                FAIL("the answer arrived");
            } catch (const discord::oauth2::error& e) {
                CHECK(e.code() == discord::oauth2::errc::connection_lost);
            }
        };
        // Lost before it took effect: the code still works.
        f.discord.add_fault(em::fault::parse("POST /oauth2/token reset-before"));
        auto kept = co_await f.code_for("identify");
        co_await expect_lost(kept);
        f.discord.clear_faults();
        CHECK((co_await f.exchange(kept)).status == 200);

        // Lost after it took effect: the code is spent and the grant exists, but nobody has it.
        auto grants_before = f.discord.grants().grants().size();
        f.discord.add_fault(em::fault::parse("POST /oauth2/token reset-after"));
        auto spent = co_await f.code_for("identify");
        co_await expect_lost(spent);
        f.discord.clear_faults();
        CHECK(f.discord.grants().grants().size() == grants_before + 1);
        CHECK((co_await f.exchange(spent)).status == 400);

        f.discord.add_fault(em::fault::parse("GET /users/@me truncate"));
        try {
            co_await f.get(f.api("/users/@me"), token);
            FAIL("a truncated body was accepted");
        } catch (const discord::oauth2::error& e) {
            CHECK(e.code() == discord::oauth2::errc::connection_lost);
        }
    }());
}

TEST_CASE("role connection metadata: the bot's records, refused as Discord refuses them, with nested field errors")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto path = f.api("/applications/" + std::string(confidential_id) + "/role-connections/metadata");
        // string_views: g++ 12 mishandles temporaries of class type in a co_await's expression.
        auto put = [&](std::string_view body, std::string_view bot) -> asio::awaitable<http::response> {
            http::request r;
            r.method = "PUT";
            r.url = path;
            r.fields.add("Content-Type", "application/json");
            r.fields.add("Authorization", "Bot " + std::string(bot));
            r.body = std::string(body);
            co_return co_await f.client.send(std::move(r));
        };
        const std::string bot = "emulator-airhorn-bot-token.0123456789";
        auto good = co_await put(R"([{"type":2,"key":"level","name":"Level","description":"Player level","name_localizations":{"fr":"Niveau"}}])", bot);
        CHECK(good.status == 200);
        CHECK(good.body.view() == R"([{"type":2,"key":"level","name":"Level","name_localizations":{"fr":"Niveau"},"description":"Player level","description_localizations":null}])");

        struct refusal {
            std::string_view body;
            std::string_view path; // where the field error is, as Discord nests it
            std::string_view code;
        };
        static constexpr refusal refusals[] = {
            {R"([{"type":9,"key":"a","name":"A","description":"A"}])", "0.type", "BASE_TYPE_CHOICES"},
            {R"([{"key":"a","name":"A","description":"A"}])", "0.type", "BASE_TYPE_REQUIRED"},
            {R"([{"type":1,"key":"A-b","name":"A","description":"A"}])", "0.key", "APPLICATION_ROLE_CONNECTIONS_METADATA_KEY_INVALID"},
            {R"([{"type":1,"key":"a","name":"A","description":"A"},{"type":1,"key":"a","name":"B","description":"B"}])", "1.key", "APPLICATION_ROLE_CONNECTIONS_METADATA_KEY_DUPLICATE"},
            {R"([{"type":1,"key":"a","name":"","description":"A"}])", "0.name", "BASE_TYPE_BAD_LENGTH"},
            {R"([{"type":1,"key":"a","name":"A","description":"A","name_localizations":{"xx":"?"}}])", "0.name_localizations", "LOCALE_INVALID"},
            {R"([{},{},{},{},{},{}])", "_root", "BASE_TYPE_MAX_LENGTH"},
        };
        for (const auto& r : refusals) {
            auto answer = co_await put(r.body, bot);
            CHECK(answer.status == 400);
            json_doc d(answer.body.view());
            auto at = d.root["errors"];
            std::string_view rest = r.path;
            while (!rest.empty()) {
                auto dot = rest.find('.');
                at = at[rest.substr(0, dot)];
                rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
            }
            CHECK_MESSAGE(str(at["_errors"].at(0)["code"]) == r.code, r.body);
        }
        // Refusals changed nothing; another application's bot may not touch these records.
        http::request read;
        read.url = path;
        read.fields.add("Authorization", "Bot " + bot);
        auto kept = co_await f.client.send(std::move(read));
        CHECK(kept.body.view().find("\"level\"") != std::string_view::npos);
        CHECK((co_await put("[]", "not-a-bot-token")).status == 401);
    }());
}

TEST_CASE("introspection: state, faults and reset over HTTP")
{
    fixture f(auto_approving());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        json_doc t((co_await f.exchange(co_await f.code_for("identify"))).body.view());
        json_doc s((co_await f.get(f.discord.url() + "/_emulator/state")).body.view());
        CHECK(int64_t(s["calls"]["POST /api/v10/oauth2/token"]) == 1);
        auto grants = simdjson::dom::array(s["grants"]);
        REQUIRE(grants.size() == 1);
        CHECK(str(grants.at(0)["refresh_token"]) == str(t["refresh_token"]));
        CHECK(str(grants.at(0)["user_id"]) == "80351110224678912");
        CHECK(f.discord.calls("POST /api/v10/oauth2/token") == 1);
        // The consent page and the exchange were answered before this request, over connections
        // the fixture's client keeps open: at least one accepted, never more than requests.
        auto connections = s["connections"];
        CHECK(int64_t(connections["requests"]) >= 2);
        CHECK(int64_t(connections["accepted"]) >= 1);
        CHECK(int64_t(connections["accepted"]) <= int64_t(connections["requests"]) + 1);
        CHECK(int64_t(connections["active"]) >= 1);

        http::request bad;
        bad.method = "POST";
        bad.url = f.discord.url() + "/_emulator/faults";
        bad.body = "GET /users/@me explode";
        CHECK((co_await f.client.send(std::move(bad))).status == 400);
        http::request good;
        good.method = "POST";
        good.url = f.discord.url() + "/_emulator/faults";
        good.body = "GET /users/@me status=502";
        CHECK((co_await f.client.send(std::move(good))).status == 204);
        CHECK((co_await f.get(f.api("/users/@me"), str(t["access_token"]))).status == 502);
        http::request clear;
        clear.method = "DELETE";
        clear.url = f.discord.url() + "/_emulator/faults";
        CHECK((co_await f.client.send(std::move(clear))).status == 204);

        http::request reset;
        reset.method = "POST";
        reset.url = f.discord.url() + "/_emulator/reset";
        CHECK((co_await f.client.send(std::move(reset))).status == 204);
        CHECK(f.discord.grants().grants().empty());
        CHECK((co_await f.get(f.api("/users/@me"), str(t["access_token"]))).status == 401);
    }());
}

TEST_CASE("load: 1,000 concurrent authorization flows, each ending with its own user's token")
{
    fixture f(auto_approving());
    constexpr int flows = 1000;
    int completed = 0;
    int finished = 0;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        static constexpr std::string_view users[] = {"80351110224678912", "268473310986240001", "175928847299117063",
                                                     "613425648685547541"};
        for (int i = 0; i < flows; ++i)
            asio::co_spawn(ex, [&, i]() -> asio::awaitable<void> {
                auto user = std::string(users[i % 4]);
                url::parameters params = {{"client_id", confidential_id}, {"redirect_uri", redirect},
                                          {"response_type", "code"},      {"scope", "identify"},
                                          {"state", std::to_string(i)},   {"emulator_user", user}};
                auto p = co_await f.authorize(params);
                if (fixture::value(p, "state") == std::to_string(i)) {
                    auto t = co_await f.exchange(fixture::value(p, "code"));
                    json_doc token(t.body.view());
                    auto me = co_await f.get(f.api("/users/@me"), str(token["access_token"]));
                    if (me.status == 200 && str(json_doc(me.body.view())["id"]) == user)
                        ++completed;
                }
                ++finished;
            }, asio::detached);
        while (finished < flows)
            co_await test::sleep(20ms);
    }(), std::chrono::seconds(120));
    CHECK(completed == flows);
    CHECK(f.discord.grants().grants().size() == flows);
    CHECK(f.discord.grants().codes_outstanding() == 0);
}
