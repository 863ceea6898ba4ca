// Discord's webhook event requests (web/webhook_requests, json/webhook_event): the signature,
// the timestamp's window, the size, and the payloads Discord documents.
#include "support/ed25519_signer.hpp"
#include "json/decode.hpp"
#include "web/webhook_requests.hpp"

#include <discord/oauth2/error.hpp>

#include <doctest/doctest.h>

#include <string>

namespace oauth2 = discord::oauth2;
namespace web = discord::oauth2::web;
namespace json = discord::oauth2::json;
namespace ed25519 = discord::oauth2::ed25519;
using namespace std::chrono_literals;

namespace {

const std::string ping = R"({"version":1,"application_id":"159799960412356608","type":0})";
const std::string authorized = R"({"version":1,"application_id":"159799960412356608","type":1,"event":{
  "type":"APPLICATION_AUTHORIZED","timestamp":"2026-12-02T14:42:53.064834",
  "data":{"integration_type":0,"scopes":["applications.commands","bot"],
          "user":{"id":"80351110224678912","username":"nelly"},"guild":{"id":"290926798626357999","name":"x"}}}})";

struct signed_request {
    std::string timestamp;
    std::string signature;
};

signed_request sign(const test::ed25519_signer& discord, std::chrono::system_clock::time_point when, const std::string& body)
{
    auto ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count());
    return {ts, discord.sign_hex(ts + body)};
}

} // namespace

TEST_CASE("a request signed with the application's key is taken; every other is 401 and never read")
{
    test::ed25519_signer discord;
    test::ed25519_signer stranger;
    auto key = *ed25519::parse_public_key(discord.public_key_hex());
    auto now = std::chrono::system_clock::now();
    auto check = [&](const signed_request& r, const std::string& body, std::chrono::system_clock::time_point at) {
        return web::check_webhook(key, 300s, 64 * 1024, r.signature, r.timestamp, body, at);
    };

    auto good = sign(discord, now, ping);
    auto taken = check(good, ping, now);
    CHECK(taken.status == 204);
    REQUIRE(taken.payload);
    CHECK(taken.payload->type == 0);
    CHECK(taken.payload->application_id == oauth2::snowflake(159799960412356608ULL));

    // The body changed, one byte.
    auto edited = ping;
    edited[edited.size() - 2] = '1';
    CHECK(check(good, edited, now).status == 401);
    // Signed by another key.
    CHECK(check(sign(stranger, now, ping), ping, now).status == 401);
    // A signature cut short, one with a digit changed, one that is not hexadecimal, none.
    CHECK(check({good.timestamp, good.signature.substr(0, 126)}, ping, now).status == 401);
    auto flipped = good.signature;
    flipped[10] = flipped[10] == '0' ? '1' : '0';
    CHECK(check({good.timestamp, flipped}, ping, now).status == 401);
    CHECK(check({good.timestamp, std::string(128, 'z')}, ping, now).status == 401);
    CHECK(check({good.timestamp, ""}, ping, now).status == 401);
    CHECK(check({"", good.signature}, ping, now).status == 401);
    // The signature covers the timestamp: another timestamp with the same signature fails.
    CHECK(check({std::to_string(std::stoll(good.timestamp) + 1), good.signature}, ping, now).status == 401);
    // Not a number, negative, or far too long.
    CHECK(check({"12a", good.signature}, ping, now).status == 401);
    CHECK(check({"-5", good.signature}, ping, now).status == 401);
    CHECK(check({std::string(40, '9'), good.signature}, ping, now).status == 401);
}

TEST_CASE("a stale or future timestamp is 401 even when well signed; an oversize body is 413")
{
    test::ed25519_signer discord;
    auto key = *ed25519::parse_public_key(discord.public_key_hex());
    auto now = std::chrono::system_clock::now();
    auto stale = sign(discord, now - 6min, ping);
    CHECK(web::check_webhook(key, 300s, 65536, stale.signature, stale.timestamp, ping, now).status == 401);
    auto future = sign(discord, now + 6min, ping);
    CHECK(web::check_webhook(key, 300s, 65536, future.signature, future.timestamp, ping, now).status == 401);
    auto recent = sign(discord, now - 4min, ping);
    CHECK(web::check_webhook(key, 300s, 65536, recent.signature, recent.timestamp, ping, now).status == 204);
    // Timestamps of 10 to 12 digits past what system_clock holds: refused before anything
    // converts them (UBSan, in the test command, saw the overflow here).
    for (const char* far : {"9223372037", "99999999999", "999999999999", "7258118401"}) {
        CAPTURE(far);
        auto v = web::check_webhook(key, 300s, 65536, recent.signature, far, ping, now);
        CHECK(v.status == 401);
        CHECK(v.reason.find("not a time") != std::string::npos);
    }

    std::string big = R"({"version":1,"application_id":"1","type":0,"pad":")" + std::string(70000, 'x') + "\"}";
    auto r = sign(discord, now, big);
    CHECK(web::check_webhook(key, 300s, 65536, r.signature, r.timestamp, big, now).status == 413);
}

TEST_CASE("well signed but not Discord's shape: 400, with the reason")
{
    test::ed25519_signer discord;
    auto key = *ed25519::parse_public_key(discord.public_key_hex());
    auto now = std::chrono::system_clock::now();
    for (std::string body : {std::string("not json"), std::string("[]"), std::string(R"({"type":0})"),
                             std::string(R"({"type":1,"application_id":"1"})"),
                             std::string(R"({"type":1,"application_id":"1","event":{"type":"X"}})"),
                             std::string(R"({"type":1,"application_id":"1","event":{"type":"X","timestamp":"yesterday"}})"),
                             std::string(R"({"type":1,"application_id":"x1","event":{"type":"X","timestamp":"2026-12-02T14:42:53"}})")}) {
        auto r = sign(discord, now, body);
        auto v = web::check_webhook(key, 300s, 65536, r.signature, r.timestamp, body, now);
        INFO(body);
        CHECK(v.status == 400);
        CHECK_FALSE(v.reason.empty());
    }
}

TEST_CASE("the payloads Discord documents: authorized, deauthorized, entitlements, and types it adds later")
{
    auto a = json::decode_webhook(authorized);
    CHECK(a.type == 1);
    REQUIRE(a.event);
    CHECK(a.event->type == "APPLICATION_AUTHORIZED");
    CHECK(a.user_id == oauth2::snowflake(80351110224678912ULL));
    CHECK(a.event->integration_type == 0);
    CHECK(a.event->scopes == std::vector<std::string>{"applications.commands", "bot"});
    CHECK(a.event->guild_id == oauth2::snowflake(290926798626357999ULL));
    // No offset in Discord's timestamps: UTC.
    CHECK(a.event->timestamp == *json::parse_iso8601("2026-12-02T14:42:53.064834Z"));
    CHECK(a.event->data_json.starts_with(R"({"integration_type":0,"scopes":)"));

    auto d = json::decode_webhook(R"({"version":1,"application_id":"1","type":1,"event":{"type":"APPLICATION_DEAUTHORIZED",
        "timestamp":"2026-12-02T14:42:53","data":{"user":{"id":"613425648685547541"}}}})");
    CHECK(d.user_id == oauth2::snowflake(613425648685547541ULL));

    auto e = json::decode_webhook(R"({"version":1,"application_id":"1","type":1,"event":{"type":"ENTITLEMENT_CREATE",
        "timestamp":"2026-12-02T14:42:53","data":{"id":"11","sku_id":"12","application_id":"1","user_id":"80351110224678912",
        "type":8,"deleted":false,"starts_at":"2026-12-01T00:00:00+00:00","ends_at":null,"consumed":false}}})");
    REQUIRE(e.event->entitlement);
    CHECK(e.event->entitlement->id == oauth2::snowflake(11));
    CHECK(e.event->entitlement->type == 8);
    CHECK(e.event->entitlement->starts_at);
    CHECK_FALSE(e.event->entitlement->ends_at);
    CHECK(e.user_id == oauth2::snowflake(80351110224678912ULL));

    auto later = json::decode_webhook(R"({"version":1,"application_id":"1","type":1,"event":{"type":"QUEST_USER_ENROLLMENT",
        "timestamp":"2026-12-02T14:42:53","data":{"quest":{"id":"5"}}}})");
    CHECK(later.event->type == "QUEST_USER_ENROLLMENT");
    CHECK(later.event->data_json == R"({"quest":{"id":"5"}})");

    // What the instances share: the data read again gives the same fields.
    oauth2::snowflake user;
    auto again = json::application_event_from(a.event->type, a.event->timestamp, a.event->data_json, user);
    CHECK(user == a.user_id);
    CHECK(again.scopes == a.event->scopes);
    CHECK(again.guild_id == a.event->guild_id);
}

TEST_CASE("public keys: 64 hexadecimal digits of either case, nothing else")
{
    CHECK(ed25519::parse_public_key(std::string(64, 'a')));
    CHECK(ed25519::parse_public_key(std::string(64, 'F')));
    CHECK_FALSE(ed25519::parse_public_key(std::string(63, 'a')));
    CHECK_FALSE(ed25519::parse_public_key(std::string(65, 'a')));
    CHECK_FALSE(ed25519::parse_public_key(std::string(63, 'a') + "g"));
    CHECK_FALSE(ed25519::parse_public_key(""));
}
