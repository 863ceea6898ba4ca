// The token store contract on the in-memory store: versions, compare-and-swap, flags, expiry
// order; and the encoding grants are kept in, field by field.
#include "support/run.hpp"

#include "store/grant_codec.hpp"

#include <discord/oauth2/error.hpp>
#include <discord/oauth2/grant_transfer.hpp>
#include <discord/oauth2/memory_token_store.hpp>
#include <discord/oauth2/token_store.hpp>

#include <doctest/doctest.h>

namespace oauth2 = discord::oauth2;
using oauth2::secret;
using oauth2::snowflake;
using namespace std::chrono_literals;

namespace {

oauth2::access_token token_expiring_in(std::chrono::seconds s, std::string text)
{
    oauth2::access_token t;
    t.token = secret(std::move(text));
    t.refresh_token = secret("refresh");
    t.scopes = {"identify", "bot", "webhook.incoming"};
    t.expires_in = s;
    t.expires_at = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now() + s);
    return t;
}

} // namespace

TEST_CASE("memory store: compare-and-swap by version, flags kept, expiry order")
{
    oauth2::memory_token_store store;
    asio::io_context io;
    test::run(io, [&]() -> asio::awaitable<void> {
        oauth2::stored_grant g;
        g.user_id = snowflake(5);
        g.token = token_expiring_in(3600s, "five");
        CHECK(co_await store.compare_and_swap(g) == std::optional<std::uint64_t>(1));
        CHECK_FALSE(co_await store.compare_and_swap(g)); // version 0, but one is stored now
        auto loaded = *co_await store.load(snowflake(5));
        CHECK(loaded.version == 1);
        loaded.refresh_in_flight = true;
        CHECK(co_await store.compare_and_swap(loaded) == std::optional<std::uint64_t>(2));
        CHECK_FALSE(co_await store.compare_and_swap(loaded)); // stale
        CHECK((*co_await store.load(snowflake(5))).refresh_in_flight);

        oauth2::stored_grant later;
        later.user_id = snowflake(6);
        later.token = token_expiring_in(7200s, "six");
        CHECK(co_await store.save(later) == 1);
        CHECK(co_await store.save(later) == 2); // save ignores the version
        auto soon = co_await store.list_expiring_before(std::chrono::system_clock::now() + 10000s);
        REQUIRE(soon.size() == 2);
        CHECK(soon[0] == snowflake(5));
        CHECK((co_await store.list_expiring_before(std::chrono::system_clock::now() + 5000s)).size() == 1);
        CHECK(co_await store.erase(snowflake(5)));
        CHECK((co_await store.list()).size() == 1);
    }());
}

TEST_CASE("the grant encoding keeps every field (the guild as its id and name) and refuses garbage")
{
    auto t = token_expiring_in(604800s, "access");
    t.id_token = secret("id-token");
    oauth2::webhook w;
    w.id = snowflake(1);
    w.type = 1;
    w.guild_id = snowflake(2);
    w.name = "hook";
    w.token = secret("hook-token");
    w.url = secret("https://discord.com/api/webhooks/1/hook-token");
    t.webhook = w;
    oauth2::guild g;
    g.id = snowflake(3);
    g.name = "Krew";
    t.guild = g;
    auto back = oauth2::store::decode_token(oauth2::store::encode_token(t));
    CHECK(back.token == t.token);
    CHECK(back.refresh_token == t.refresh_token);
    CHECK(back.id_token == t.id_token);
    CHECK(back.scopes == t.scopes);
    CHECK(back.expires_in == t.expires_in);
    CHECK(back.expires_at == t.expires_at);
    REQUIRE(back.webhook);
    CHECK(back.webhook->token == w.token);
    CHECK(back.webhook->guild_id == w.guild_id);
    CHECK(back.webhook->name == w.name);
    REQUIRE(back.guild);
    CHECK(back.guild->name == "Krew");

    auto bytes = oauth2::store::encode_token(t);
    CHECK_THROWS_AS((void)oauth2::store::decode_token(bytes.substr(0, bytes.size() - 1)), oauth2::error);
    CHECK_THROWS_AS((void)oauth2::store::decode_token(bytes + "x"), oauth2::error);
    CHECK_THROWS_AS((void)oauth2::store::decode_token(""), oauth2::error);
}

TEST_CASE("export and import: tokens sealed in the document, all or nothing, a wrong key refused")
{
    oauth2::memory_token_store from;
    oauth2::memory_token_store to;
    auto key = oauth2::store_key::generate();
    asio::io_context io;
    test::run(io, [&]() -> asio::awaitable<void> {
        for (std::uint64_t u = 1; u <= 3; ++u) {
            oauth2::stored_grant g;
            g.user_id = snowflake(u);
            g.token = token_expiring_in(3600s, "token-of-user-" + std::to_string(u));
            g.needs_reauthorization = u == 3;
            co_await from.save(std::move(g));
        }
        auto document = co_await oauth2::export_grants(from, key);
        CHECK(document.find("token-of-user") == std::string::npos);
        CHECK(document.find("\"user_id\":\"2\"") != std::string::npos);
        CHECK(co_await oauth2::import_grants(to, key, document) == 3);
        CHECK((*co_await to.load(snowflake(2))).token.token.reveal() == "token-of-user-2");
        CHECK((*co_await to.load(snowflake(3))).needs_reauthorization);

        oauth2::memory_token_store other;
        auto wrong = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await oauth2::import_grants(other, oauth2::store_key::generate(), document);
        });
        CHECK(wrong.code() == oauth2::errc::wrong_store_key);
        // User 2's sealed token moved onto user 1: nothing is imported.
        auto moved = document;
        auto sealed_of = [&](const std::string& user) {
            auto at = moved.find("\"sealed\":\"", moved.find("\"user_id\":\"" + user + "\"")) + 10;
            return std::pair{at, moved.find('"', at) - at};
        };
        auto [at2, n2] = sealed_of("2");
        auto two = moved.substr(at2, n2);
        auto [at1, n1] = sealed_of("1");
        moved.replace(at1, n1, two);
        auto altered = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await oauth2::import_grants(other, key, moved);
        });
        CHECK(altered.code() == oauth2::errc::grant_altered);
        CHECK((co_await other.list()).empty());
        auto garbage = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await oauth2::import_grants(other, key, "{\"format\":\"something else\"}");
        });
        CHECK(garbage.code() == oauth2::errc::invalid_argument);
    }());
}
