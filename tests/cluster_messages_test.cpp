// The messages web servers exchange through a cluster: outcomes and events survive the trip,
// no token or PKCE verifier is ever in them, and malformed or hostile text is refused.
#include "web/cluster_messages.hpp"

#include "core/base64.hpp"
#include "core/mac.hpp"

#include <discord/oauth2/error.hpp>

#include <doctest/doctest.h>

namespace oauth2 = discord::oauth2;
namespace web = discord::oauth2::web;
using oauth2::snowflake;

namespace {

oauth2::state_claims claims()
{
    oauth2::state_claims c;
    c.user_id = snowflake(42);
    c.issued_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
    c.expires_at = c.issued_at + std::chrono::minutes(10);
    c.nonce = std::string(16, '\x07');
    c.code_verifier = oauth2::secret("the-pkce-verifier-must-stay-home");
    c.flow = "login";
    return c;
}

} // namespace

TEST_CASE("an outcome crosses intact")
{
    web::settled_message m;
    m.nonce = web::cluster_nonce(std::string(16, 'n'));
    m.user = snowflake(80351110224678912ULL);
    m.outcome = oauth2::authorization_outcome::denied;
    m.code = make_error_code(oauth2::errc::access_denied);
    m.description = "The user said no & left é";
    m.page = {403, web::page_kind::cancelled, "Authorization cancelled", "You cancelled."};
    auto decoded = web::decode_message(web::encode_message(m));
    REQUIRE(decoded);
    auto& back = std::get<web::settled_message>(*decoded);
    CHECK(back.nonce == m.nonce);
    CHECK(back.user == m.user);
    CHECK(back.outcome == m.outcome);
    CHECK(back.code == m.code);
    CHECK(back.description == m.description);
    CHECK(back.page.status == 403);
    CHECK(back.page.kind == web::page_kind::cancelled);
    CHECK(back.page.title == m.page.title);
    CHECK(back.page.message == m.page.message);
}

TEST_CASE("an event crosses without its token and without the PKCE verifier")
{
    oauth2::event e;
    e.kind = oauth2::event_kind::authorization_code_exchanged;
    e.user_id = snowflake(42);
    e.token.emplace();
    e.token->token = oauth2::secret("an-access-token-that-stays-home");
    e.claims = claims();
    auto text = web::encode_message(e);
    CHECK(text.find("an-access-token") == std::string::npos);
    CHECK(text.find("pkce") == std::string::npos);
    auto decoded = web::decode_message(text);
    REQUIRE(decoded);
    auto& back = std::get<oauth2::event>(*decoded);
    CHECK(back.kind == e.kind);
    CHECK(back.user_id == e.user_id);
    CHECK_FALSE(back.token);
    REQUIRE(back.claims);
    CHECK(back.claims->user_id == e.claims->user_id);
    CHECK(back.claims->issued_at == e.claims->issued_at);
    CHECK(back.claims->expires_at == e.claims->expires_at);
    CHECK(back.claims->nonce.empty()); // no nonce travels before its outcome is recorded
    CHECK(text.find(web::cluster_nonce(e.claims->nonce)) == std::string::npos);
    CHECK(back.claims->flow == "login");
    CHECK_FALSE(back.claims->code_verifier);
}

TEST_CASE("a webhook event crosses with what Discord said; data too large for a message stays home")
{
    oauth2::event e;
    e.kind = oauth2::event_kind::application_authorized;
    e.user_id = snowflake(80351110224678912ULL);
    e.application.emplace();
    e.application->type = "APPLICATION_AUTHORIZED";
    e.application->timestamp = std::chrono::system_clock::time_point(std::chrono::seconds(1'790'000'000));
    e.application->data_json = R"({"integration_type":1,"scopes":["identify","applications.commands"],"user":{"id":"80351110224678912"}})";
    auto decoded = web::decode_message(web::encode_message(e));
    REQUIRE(decoded);
    auto& back = std::get<oauth2::event>(*decoded);
    CHECK(back.kind == oauth2::event_kind::application_authorized);
    REQUIRE(back.application);
    CHECK(back.application->type == "APPLICATION_AUTHORIZED");
    CHECK(back.application->timestamp == e.application->timestamp);
    CHECK(back.application->integration_type == 1);
    CHECK(back.application->scopes == std::vector<std::string>{"identify", "applications.commands"});
    CHECK(back.application->data_json == e.application->data_json);

    e.kind = oauth2::event_kind::webhook_event;
    e.application->type = "LOBBY_MESSAGE_CREATE";
    e.application->data_json = R"({"content":")" + std::string(5000, 'x') + R"("})";
    auto text = web::encode_message(e);
    CHECK(text.size() < 8000);
    auto large = web::decode_message(text);
    REQUIRE(large);
    auto& without_data = std::get<oauth2::event>(*large);
    CHECK(without_data.application->type == "LOBBY_MESSAGE_CREATE");
    CHECK(without_data.application->data_json.empty());

    // Data that is not Discord's shape is refused, not half-read.
    auto forged = web::encode_message(e);
    auto at = forged.find("at=");
    REQUIRE(at != std::string::npos);
    CHECK_FALSE(web::decode_message(forged + "&ad=%7B%22user%22%3A5%7D"));
}

TEST_CASE("long texts are cut at a character boundary; codes of other categories cross as their message")
{
    oauth2::event e;
    e.kind = oauth2::event_kind::error;
    e.where = "store";
    e.code = std::make_error_code(std::errc::io_error);
    std::string message(999, 'x');
    message.append("éééé"); // (not operator+: g++ 12 warns falsely about it at -O2)
    e.message = message;
    auto back = std::get<oauth2::event>(*web::decode_message(web::encode_message(e)));
    CHECK(back.message.size() == 999);
    CHECK_FALSE(back.code);
}

TEST_CASE("malformed and hostile messages are refused")
{
    web::settled_message m;
    m.nonce = web::cluster_nonce(std::string(16, 'n'));
    m.outcome = oauth2::authorization_outcome::authorized;
    auto good = web::encode_message(m);
    REQUIRE(web::decode_message(good));
    for (std::string bad : {std::string(""), std::string("t=settled"), std::string("t=other&u=1&c=0"),
                            std::string("%zz"), std::string(9000, 'a'),
                            std::string("t=settled&n=short&u=1&o=0&c=0&ps=200&pk=0"),   // nonce not 16 bytes
                            std::string("t=settled&n=") + m.nonce + "&u=1&o=3&c=0&ps=200&pk=0", // timed_out: not a callback's
                            std::string("t=settled&n=") + m.nonce + "&u=1&o=0&c=999&ps=200&pk=0", // unknown code
                            std::string("t=settled&n=") + m.nonce + "&u=-1&o=0&c=0&ps=200&pk=0",
                            std::string("t=settled&n=") + m.nonce + "&u=1&o=0&c=0&ps=99&pk=0",
                            std::string("t=event&k=7&u=1&c=0"),                            // events_missed
                            std::string("t=event&k=0&u=1&c=0&cu=1&ci=x&ce=1"),
                            std::string("t=event&k=0&u=1&c=0&cu=1&ci=99999999999999999&ce=1"), // past any clock
                            std::string("t=event&k=0&u=1&c=0&cu=1&ci=1&ce=-5")}) {
        CAPTURE(bad);
        CHECK_FALSE(web::decode_message(bad));
    }
}

TEST_CASE("sealed messages open only under the same state key, unaltered; the key is derived, not the state key")
{
    auto state = oauth2::state_key::generate();
    web::message_key key(state);
    auto now = std::chrono::system_clock::now();
    auto sealed = key.seal("t=event&k=0&u=1&c=0", now);
    CHECK(sealed.starts_with("m2." + state.id_text() + "."));
    auto opened = key.open(sealed);
    REQUIRE(opened);
    CHECK(opened->text == "t=event&k=0&u=1&c=0");
    CHECK(std::chrono::abs(opened->sent_at - now) < std::chrono::milliseconds(1));
    CHECK(opened->tag.size() == 32);
    CHECK(web::message_key(state).open(sealed)); // another instance with the same state key

    CHECK_FALSE(web::message_key(oauth2::state_key::generate()).open(sealed));
    CHECK_FALSE(key.open("t=event&k=0&u=1&c=0")); // unauthenticated, as before
    for (std::size_t i = 0; i < sealed.size(); ++i) {
        auto altered = sealed;
        altered[i] = altered[i] == 'A' ? 'B' : 'A';
        CAPTURE(i);
        CHECK_FALSE(key.open(altered));
    }
    CHECK_FALSE(key.open(sealed + "&u=2"));
    CHECK_FALSE(key.open(sealed.substr(0, sealed.size() - 1)));
    CHECK_FALSE(key.open(""));
    CHECK_FALSE(key.open("m1."));
    CHECK_FALSE(key.open("m1..."));

    // A tag made with the state key itself (or a key derived for anything else) does not pass.
    auto raw = discord::oauth2::mac::tag(state.bytes().reveal(), "m1.1.t=event&k=0&u=1&c=0");
    CHECK_FALSE(key.open("m1." + discord::oauth2::base64::encode_url(raw) + ".1.t=event&k=0&u=1&c=0"));
}

TEST_CASE("mid-rotation, instances hear each other: every key of the ring verifies, the first signs")
{
    auto old_key = oauth2::state_key::generate();
    auto new_key = oauth2::state_key::generate();
    web::message_key not_promoted(oauth2::state_key_ring({old_key, new_key}));
    web::message_key promoted(oauth2::state_key_ring({new_key, old_key}));
    web::message_key dropped_old(new_key);
    auto now = std::chrono::system_clock::now();
    auto from_old = not_promoted.seal("a", now);
    auto from_new = promoted.seal("b", now);
    CHECK(from_old.starts_with("m2." + old_key.id_text() + "."));
    CHECK(from_new.starts_with("m2." + new_key.id_text() + "."));
    CHECK(promoted.open(from_old));
    CHECK(not_promoted.open(from_new));
    CHECK(dropped_old.open(from_new));
    CHECK_FALSE(dropped_old.open(from_old)); // its key is gone

    // A message signed before key ids ("m1.": the tag over "m1.<ms>.<text>" under the old key's
    // derived key) is verified under each key of the ring.
    auto derived = discord::oauth2::mac::derive_key(old_key.bytes().reveal(), "discord-oauth2 cluster messages v1");
    auto ms = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
    auto tag = discord::oauth2::mac::tag(derived, "m1." + ms + ".c");
    auto unnamed = "m1." + discord::oauth2::base64::encode_url(tag) + "." + ms + ".c";
    auto opened = promoted.open(unnamed);
    REQUIRE(opened);
    CHECK(opened->text == "c");
    CHECK_FALSE(dropped_old.open(unnamed));
    // A message naming a key the ring holds, but tagged under another of its keys, fails.
    auto renamed = "m2." + old_key.id_text() + from_new.substr(3 + 8);
    CHECK_FALSE(promoted.open(renamed));
}

TEST_CASE("a message heard twice, or from outside the window, is a replay")
{
    web::message_key key(oauth2::state_key::generate());
    web::message_replays replays(std::chrono::seconds(300), 4);
    auto now = std::chrono::system_clock::now();
    auto a = *key.open(key.seal("a", now));
    CHECK(replays.first(a, now));
    CHECK_FALSE(replays.first(a, now + std::chrono::seconds(1)));
    CHECK_FALSE(replays.first(*key.open(key.seal("old", now - std::chrono::minutes(6))), now));
    CHECK_FALSE(replays.first(*key.open(key.seal("future", now + std::chrono::minutes(6))), now));
    // Bounded, and a tag still inside its window is never forgotten to make room (it could be
    // replayed then): past the capacity, new messages are refused instead.
    for (int i = 0; i < 3; ++i)
        CHECK(replays.first(*key.open(key.seal("m" + std::to_string(i), now + std::chrono::milliseconds(i + 1))), now));
    auto overflow = *key.open(key.seal("m3", now + std::chrono::milliseconds(4)));
    CHECK_FALSE(replays.first(overflow, now));
    CHECK_FALSE(replays.first(a, now)); // the oldest is still remembered: its replay is refused
    // Once their window has passed the tags go, and room is made.
    auto later = now + std::chrono::minutes(6);
    CHECK(replays.first(*key.open(key.seal("fresh", later)), later));
}
