// Every example payload of Discord's documentation (tests/data/discord-docs/) parses to
// the right values: one test per file.
#include "json/decode.hpp"

#include <discord/oauth2/error.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace json = discord::oauth2::json;
namespace oauth2 = discord::oauth2;
using discord::oauth2::http::padded_buffer;
using discord::oauth2::snowflake;
using namespace std::chrono_literals;

namespace {

std::string read_example(const std::string& name)
{
    std::ifstream in(std::filesystem::path(DOCS_EXAMPLES_DIR) / name);
    REQUIRE_MESSAGE(in, "cannot read the documentation example " << name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

padded_buffer buffer(std::string_view text)
{
    padded_buffer b;
    b.append(text.data(), text.size());
    return b;
}

padded_buffer example(const std::string& name)
{
    return buffer(read_example(name));
}

snowflake id(std::uint64_t v)
{
    return snowflake(v);
}

// A 429 as the documentation writes it: "< " before each line of the head, then the body.
struct raw_response {
    std::string status_line;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

raw_response split_response(const std::string& text)
{
    raw_response r;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.starts_with("< ")) {
            r.body += line + "\n";
            continue;
        }
        line = line.substr(2);
        if (r.status_line.empty()) {
            r.status_line = line;
        } else {
            auto colon = line.find(':');
            r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 2));
        }
    }
    return r;
}

std::string header(const raw_response& r, std::string_view name)
{
    for (const auto& [k, v] : r.headers)
        if (k == name)
            return v;
    return {};
}

} // namespace

TEST_CASE("user-object-example-user.json")
{
    auto u = json::decode_user(example("user-object-example-user.json"));
    CHECK(u.id == id(80351110224678912ULL));
    CHECK(u.username == "Nelly");
    CHECK_FALSE(u.global_name);
    CHECK(u.display_name() == "Nelly");
    CHECK(u.discriminator == "1337");
    CHECK(u.avatar == "8342729096ea3675442027381ff50dfe");
    CHECK(u.verified == true);
    CHECK(u.email == "nelly@discord.com");
    CHECK(u.flags == 64u);
    CHECK(u.banner == "06c16474723fe537c283b8efa61a30c8");
    CHECK(u.accent_color == 16711680);
    CHECK(u.premium_type == 0);
    CHECK(u.public_flags == 64u);
    REQUIRE(u.avatar_decoration_data);
    CHECK(u.avatar_decoration_data->sku_id == id(1144058844004233369ULL));
    CHECK(u.avatar_decoration_data->asset == "a_fed43ab12698df65902ba06727e20c0e");
    REQUIRE(u.primary_guild);
    CHECK(u.primary_guild->identity_guild_id == id(1234647491267808778ULL));
    CHECK(u.primary_guild->identity_enabled == true);
    CHECK(u.primary_guild->tag == "DISC");
    CHECK(u.primary_guild->badge == "7d1734ae5a615e82bc7a4033b98fade8");
    CHECK_FALSE(u.bot);
}

TEST_CASE("get-current-user-guilds-example-partial-guild.json")
{
    auto g = json::decode_partial_guild(example("get-current-user-guilds-example-partial-guild.json"));
    CHECK(g.id == id(80351110224678912ULL));
    CHECK(g.name == "1337 Krew");
    CHECK(g.icon == "8342729096ea3675442027381ff50dfe");
    CHECK(g.banner == "bb42bdc37653b7cf58c4c8cc622e76cb");
    CHECK(g.owner);
    CHECK(g.permissions == 36953089u);
    CHECK(g.features == std::vector<std::string>{"COMMUNITY", "NEWS", "ANIMATED_ICON", "INVITE_SPLASH", "BANNER", "ROLE_ICONS"});
    CHECK(g.approximate_member_count == 3268);
    CHECK(g.approximate_presence_count == 784);
}

TEST_CASE("guild-member-object-example-guild-member.json")
{
    // The example's "user" is a placeholder, {}, for a user object: the documented user object
    // stands in for it (an empty user lacks the id and username Discord's spec requires).
    auto text = read_example("guild-member-object-example-guild-member.json");
    auto placeholder = text.find("\"user\": {}");
    REQUIRE(placeholder != std::string::npos);
    text.replace(placeholder, 10, "\"user\": " + read_example("user-object-example-user.json"));
    auto m = json::decode_guild_member(buffer(text));
    REQUIRE(m.user);
    CHECK(m.user->id == id(80351110224678912ULL));
    CHECK_THROWS_WITH_AS(json::decode_guild_member(example("guild-member-object-example-guild-member.json")),
                         doctest::Contains("user has no id"), oauth2::error);
    CHECK(m.nick == "NOT API SUPPORT");
    CHECK_FALSE(m.avatar);
    CHECK_FALSE(m.banner);
    CHECK(m.roles.empty());
    CHECK(m.joined_at == "2015-04-26T06:26:56.936000+00:00");
    CHECK_FALSE(m.deaf);
    CHECK_FALSE(m.mute);
}

TEST_CASE("guild-object-example-guild.json")
{
    auto g = json::decode_guild(example("guild-object-example-guild.json"));
    CHECK(g.id == id(197038439483310086ULL));
    CHECK(g.name == "Discord Testers");
    CHECK(g.icon == "f64c482b807da4f539cff778d174971c");
    CHECK(g.description == "The official place to report Discord Bugs!");
    CHECK(g.banner == "9b6439a7de04f1d26af92f84ac9e1e4a");
    CHECK(g.owner_id == id(73193882359173120ULL));
    CHECK(g.features.size() == 9);
    CHECK(g.features.front() == "ANIMATED_ICON");
    CHECK(g.roles.empty());
    CHECK(g.preferred_locale == "en-US");
    CHECK(g.verification_level == 3);
    CHECK(g.premium_tier == 3);
    CHECK(g.max_members == 250000);
}

TEST_CASE("get-current-authorization-information-example-authorization-information.json")
{
    auto info = json::decode_authorization_info(
        example("get-current-authorization-information-example-authorization-information.json"));
    CHECK(info.application.id == id(159799960412356608ULL));
    CHECK(info.application.name == "AIRHORN SOLUTIONS");
    CHECK(info.application.icon == "f03590d3eb764081d154a66340ea7d6d");
    CHECK(info.application.description.empty());
    CHECK(info.application.hook == true);
    CHECK(info.application.bot_public == true);
    CHECK(info.application.bot_require_code_grant == false);
    CHECK(info.application.verify_key == "c8cde6a3c8c6e49d86af3191287b3ce255872be1fff6dc285bdb420c06a2c3c8");
    CHECK(info.scopes == std::vector<std::string>{"guilds.join", "identify"});
    // 2021-01-23T02:33:17.017000+00:00
    CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(info.expires.time_since_epoch()).count() == 1611369197017);
    REQUIRE(info.user);
    CHECK(info.user->id == id(268473310986240001ULL));
    CHECK(info.user->global_name == "Discord");
    CHECK(info.user->public_flags == 131072u);
}

TEST_CASE("authorization-code-grant-access-token-response.json")
{
    auto received = std::chrono::system_clock::now();
    auto t = json::decode_access_token(example("authorization-code-grant-access-token-response.json"), received);
    CHECK(t.token.reveal() == "6qrZcUqja7812RVdnEKjpzOL4CvHBFG");
    CHECK(t.token_type == "Bearer");
    CHECK(t.expires_in == 604800s);
    CHECK(t.expires_at == received + 604800s);
    REQUIRE(t.refresh_token);
    CHECK(t.refresh_token->reveal() == "D43f5y0ahjqew82jZ4NViEr2YafMKhue");
    CHECK(t.scopes == std::vector<std::string>{"identify"});
    CHECK(t.has_scope("identify"));
    CHECK_FALSE(t.expired(received));
    CHECK(t.expired(received + 604800s));
}

TEST_CASE("client-credentials-grant-client-credentials-access-token-response.json")
{
    auto text = read_example("client-credentials-grant-client-credentials-access-token-response.json");
    auto t = json::decode_access_token(buffer(text), std::chrono::system_clock::now());
    CHECK_FALSE(t.refresh_token); // client credentials grant none
    CHECK(t.token_type == "Bearer");
    CHECK(t.expires_in == 604800s);
    CHECK(text.find(t.token.reveal()) != std::string::npos);
    CHECK(t.has_scope("identify"));
    CHECK(t.has_scope("connections"));
}

TEST_CASE("a token response with an empty access token, or a lifetime past any clock, is invalid")
{
    auto now = std::chrono::system_clock::now();
    const char* bad[] = {R"({"access_token":"","token_type":"Bearer","expires_in":604800})",
                         R"({"access_token":"x","expires_in":9223372036854775807})",
                         R"({"access_token":"x","expires_in":-1})"};
    for (const char* text : bad) {
        CAPTURE(text);
        try {
            (void)json::decode_access_token(buffer(text), now);
            FAIL("decoded");
        } catch (const discord::oauth2::error& e) {
            CHECK(e.code() == discord::oauth2::errc::invalid_response);
        }
    }
}

TEST_CASE("webhooks-webhook-token-response-example.json")
{
    auto t = json::decode_access_token(example("webhooks-webhook-token-response-example.json"), std::chrono::system_clock::now());
    CHECK(t.token.reveal() == "GNaVzEtATqdh173tNHEXY9ZYAuhiYxvy");
    CHECK(t.scopes == std::vector<std::string>{"webhook.incoming"});
    REQUIRE(t.webhook);
    CHECK(t.webhook->id == id(347114750880120863ULL));
    CHECK(t.webhook->type == 1);
    CHECK(t.webhook->guild_id == id(290926792226357250ULL));
    CHECK(t.webhook->channel_id == id(345626669224982402ULL));
    CHECK(t.webhook->application_id == id(310954232226357250ULL));
    CHECK(t.webhook->name == "testwebhook");
    CHECK_FALSE(t.webhook->avatar);
    CHECK(t.webhook->token.reveal() == "kKDdjXa1g9tKNs0-_yOwLyALC9gydEWP6gr9sHabuK1vuofjhQDDnlOclJeRIvYK-pj_");
    CHECK(t.webhook->url.reveal().starts_with("https://discord.com/api/webhooks/347114750880120863/"));
}

TEST_CASE("advanced-bot-authorization-extended-bot-authorization-access-token-example.json")
{
    auto t = json::decode_access_token(
        example("advanced-bot-authorization-extended-bot-authorization-access-token-example.json"),
        std::chrono::system_clock::now());
    CHECK(t.token.reveal() == "zMndOe7jFLXGawdlxMOdNvXjjOce5X");
    CHECK(t.refresh_token->reveal() == "mgp8qnvBwJcmadwgCYKyYD5CAzGAX4");
    CHECK(t.scopes == std::vector<std::string>{"bot"});
    REQUIRE(t.guild);
    CHECK(t.guild->id == id(2909267986347357250ULL));
    CHECK(t.guild->name == "SomeTest");
    CHECK(t.guild->owner_id == id(53908232999183680ULL));
    CHECK_FALSE(t.guild->icon);
    CHECK(t.guild->max_members == 100000);
    REQUIRE(t.guild->roles.size() == 1);
    CHECK(t.guild->roles[0].name == "@everyone");
    CHECK(t.guild->roles[0].id == id(290926798626357250ULL));
    CHECK(t.guild->roles[0].permissions == 49794241u);
}

TEST_CASE("json-example-json-error-response.json")
{
    auto e = json::decode_api_error(example("json-example-json-error-response.json"));
    CHECK(e.code == 50014);
    CHECK(e.message == "Invalid authentication token");
    CHECK(e.errors.empty());
}

TEST_CASE("reference-error-array.json")
{
    auto e = json::decode_api_error(example("reference-error-array.json"));
    CHECK(e.code == 50035);
    CHECK(e.message == "Invalid Form Body");
    REQUIRE(e.errors.size() == 2);
    CHECK(e.errors[0].path == "activities.0.platform");
    CHECK(e.errors[0].code == "BASE_TYPE_CHOICES");
    CHECK(e.errors[0].message == "Value must be one of ('desktop', 'android', 'ios').");
    CHECK(e.errors[1].path == "activities.0.type");
}

TEST_CASE("reference-error-object.json")
{
    auto e = json::decode_api_error(example("reference-error-object.json"));
    CHECK(e.code == 50035);
    REQUIRE(e.errors.size() == 1);
    CHECK(e.errors[0].path == "access_token");
    CHECK(e.errors[0].code == "BASE_TYPE_REQUIRED");
    CHECK(e.errors[0].message == "This field is required");
}

TEST_CASE("reference-error-request.json")
{
    auto e = json::decode_api_error(example("reference-error-request.json"));
    CHECK(e.code == 50035);
    REQUIRE(e.errors.size() == 1);
    CHECK(e.errors[0].path.empty()); // an error about the whole request
    CHECK(e.errors[0].code == "APPLICATION_COMMAND_TOO_LARGE");
}

TEST_CASE("ratelimit-429-user.txt, ratelimit-429-global.txt, ratelimit-429-shared.txt")
{
    auto user = split_response(read_example("ratelimit-429-user.txt"));
    CHECK(user.status_line == "HTTP/1.1 429 TOO MANY REQUESTS");
    auto u = json::decode_rate_limit(buffer(user.body));
    CHECK(u.message == "You are being rate limited.");
    CHECK(u.retry_after == doctest::Approx(64.57));
    CHECK_FALSE(u.global);
    CHECK(header(user, "Retry-After") == "65");
    CHECK(header(user, "X-RateLimit-Scope") == "user");

    auto global = split_response(read_example("ratelimit-429-global.txt"));
    auto g = json::decode_rate_limit(buffer(global.body));
    CHECK(g.global);
    CHECK(g.retry_after == doctest::Approx(64.57));
    CHECK(header(global, "X-RateLimit-Global") == "true");

    auto shared = split_response(read_example("ratelimit-429-shared.txt"));
    auto s = json::decode_rate_limit(buffer(shared.body));
    CHECK(s.message == "The resource is being rate limited.");
    CHECK(s.retry_after == doctest::Approx(1336.57));
    CHECK(header(shared, "X-RateLimit-Scope") == "shared");
}

TEST_CASE("unknown fields are ignored, nulls accepted, and wrong shapes name the field")
{
    auto u = json::decode_user(buffer(R"({"id":"1","username":"x","new_field":{"nested":[1,2]},"avatar":null,"email":null,)"
                                      R"("discriminator":"0","public_flags":0,"flags":0,"global_name":null})"));
    CHECK(u.id == id(1));
    CHECK_FALSE(u.avatar);
    CHECK_FALSE(u.email);

    auto rc = json::decode_role_connection(buffer(R"({"platform_username":null,"metadata":{"elo":"1800","won":42}})"));
    CHECK_FALSE(rc.platform_name);
    CHECK(rc.metadata.at("elo") == "1800");
    CHECK(rc.metadata.at("won") == "42");

    auto connections = json::decode_connections(
        buffer(R"([{"id":"a","name":"n","type":"a-service-from-the-future","verified":true,"friend_sync":false,)"
               R"("show_activity":true,"two_way_link":false,"visibility":1,"integrations":[]}])"));
    REQUIRE(connections.size() == 1);
    CHECK(connections[0].type == "a-service-from-the-future");

    // A failure names where it is, through items and nested objects (the path is made only
    // once a decode fails).
    CHECK_THROWS_WITH_AS(
        json::decode_connections(buffer(
            R"([{"id":"a","name":"n","type":"t","verified":true,"friend_sync":false,"show_activity":true,)"
            R"("two_way_link":false,"visibility":1},{"id":"b","name":7}])")),
        doctest::Contains("[1].name should be a string"), oauth2::error);
    CHECK_THROWS_WITH_AS(json::decode_user(buffer(R"({"id":"1","username":"x","avatar":null,)"
                                                  R"("primary_guild":{"identity_guild_id":"1","tag":5}})")),
                         doctest::Contains("primary_guild.tag should be a string"), oauth2::error);

    struct bad_case {
        const char* json;
        const char* mentions;
    };
    const bad_case cases[] = {
        {R"({"id":-1,"username":"x"})", "id should be a snowflake"},
        {R"({"id":"1","username":"x"})", "the body has no avatar"},
        {R"({"id":"01","username":"x"})", "id should be a snowflake"},
        {R"({"id":"1","username":"x","verified":"yes"})", "verified should be true or false"},
        {R"({"id":"1","username":"x","avatar_decoration_data":{"sku_id":"x"}})", "avatar_decoration_data.sku_id"},
        {R"([1,2])", "should be an object"},
        {R"({"id":"1",)", "not valid JSON"},
        {"", "not"},
    };
    for (const auto& c : cases) {
        std::string input = c.json;
        CAPTURE(input);
        try {
            json::decode_user(buffer(c.json));
            FAIL("accepted");
        } catch (const oauth2::error& e) {
            CHECK(e.code() == oauth2::errc::invalid_response);
            std::string message = e.what();
            CAPTURE(message);
            CHECK(message.find(c.mentions) != std::string::npos);
        }
    }
    CHECK_THROWS_AS(json::decode_access_token(buffer(R"({"token_type":"Bearer"})"), std::chrono::system_clock::now()),
                    oauth2::error);
}

namespace {

// A user with every field Discord's spec requires of /users/@me but the id, then `extra`.
std::string user_with(std::string_view extra)
{
    return std::string(R"({"username":"x","avatar":null,"discriminator":"0","public_flags":0,"flags":0,)"
                       R"("global_name":null,)") + std::string(extra) + "}";
}

} // namespace

TEST_CASE("snowflakes up to 2^64-1, as strings and as numbers; one past is an error naming the field")
{
    CHECK(json::decode_user(buffer(user_with(R"("id":"18446744073709551615")"))).id == id(18446744073709551615ULL));
    CHECK(json::decode_user(buffer(user_with(R"("id":18446744073709551615)"))).id == id(18446744073709551615ULL));
    CHECK(json::decode_user(buffer(user_with(R"("id":0)"))).id == id(0));
    CHECK_THROWS_WITH_AS(json::decode_user(buffer(user_with(R"("id":"18446744073709551616")"))),
                         doctest::Contains("id should be a snowflake"), oauth2::error);
    CHECK_THROWS_WITH_AS(json::decode_user(buffer(user_with(R"("id":18446744073709551616)"))),
                         doctest::Contains("id should be a snowflake"), oauth2::error);
    CHECK_THROWS_WITH_AS(json::decode_user(buffer(user_with(R"("id":1.5)"))),
                         doctest::Contains("id should be a snowflake"), oauth2::error);
    auto flags = json::decode_user(buffer(R"({"id":"1","username":"x","avatar":null,"discriminator":"0",)"
                                          R"("public_flags":4294967295,"flags":9007199254740991,"global_name":null})"));
    CHECK(flags.flags == 9007199254740991ULL);
    CHECK(flags.public_flags == 4294967295ULL);
}

TEST_CASE("strings with escaped surrogate pairs become UTF-8; a lone surrogate is invalid_response")
{
    // U+1F600 (grinning face) escaped as a surrogate pair, and U+00E9 escaped on its own.
    auto u = json::decode_user(buffer(user_with(R"("id":"1","global_name":"Nelly \ud83d\ude00 caf\u00e9")")));
    CHECK(u.global_name == "Nelly \xF0\x9F\x98\x80 caf\xC3\xA9");
    CHECK_THROWS_AS(json::decode_user(buffer(user_with(R"("id":"1","global_name":"\ud83d")"))), oauth2::error);
    CHECK_THROWS_AS(json::decode_user(buffer(user_with(R"("id":"1","global_name":"\ude00\ud83d")"))), oauth2::error);
}

TEST_CASE("nulls the spec allows: counts of a guild, the lists themselves, a connection's name")
{
    auto guilds = json::decode_partial_guilds(buffer(
        R"([{"id":"1","name":"g","icon":null,"banner":null,"owner":false,"permissions":"0","features":[],)"
        R"("approximate_member_count":null,"approximate_presence_count":null}])"));
    REQUIRE(guilds.size() == 1);
    CHECK_FALSE(guilds[0].approximate_member_count);
    CHECK_FALSE(guilds[0].approximate_presence_count);
    CHECK(json::decode_partial_guilds(buffer(" null ")).empty());
    CHECK(json::decode_connections(buffer("null")).empty());
    auto connections = json::decode_connections(buffer(
        R"([{"id":"a","name":null,"type":"steam","verified":true,"friend_sync":false,"show_activity":true,)"
        R"("two_way_link":false,"visibility":0}])"));
    REQUIRE(connections.size() == 1);
    CHECK_FALSE(connections[0].name);
}

TEST_CASE("snowflakes: parsing and the documented test vector")
{
    auto s = snowflake::parse("175928847299117063");
    REQUIRE(s);
    CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(s->timestamp().time_since_epoch()).count()
          == 1462015105796); // 2016-04-30T11:18:25.796Z
    CHECK(s->worker() == 1);
    CHECK(s->process() == 0);
    CHECK(s->increment() == 7);
    CHECK(s->to_string() == "175928847299117063");
    CHECK(snowflake::parse("0") == snowflake{});
    CHECK_FALSE(snowflake::parse(""));
    CHECK_FALSE(snowflake::parse("01"));
    CHECK_FALSE(snowflake::parse("-1"));
    CHECK_FALSE(snowflake::parse("18446744073709551616")); // 2^64
    CHECK_FALSE(snowflake::parse("12a"));
}

TEST_CASE("ISO 8601 times as Discord writes them")
{
    auto t = json::parse_iso8601("2021-01-23T02:33:17.017000+00:00");
    REQUIRE(t);
    CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count() == 1611369197017);
    CHECK(json::parse_iso8601("2021-01-23T04:33:17+02:00") == json::parse_iso8601("2021-01-23T02:33:17Z"));
    CHECK_FALSE(json::parse_iso8601("2021-02-30T00:00:00Z"));
    CHECK_FALSE(json::parse_iso8601("2021-01-23 02:33"));
    CHECK_FALSE(json::parse_iso8601("2021-01-23T02:33:17.+00:00"));
}
