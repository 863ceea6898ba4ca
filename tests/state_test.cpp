#include <discord/oauth2/error.hpp>
#include <discord/oauth2/memory_replay_guard.hpp>
#include <discord/oauth2/state.hpp>
#include <discord/oauth2/store_key.hpp>

#include "core/aead.hpp"
#include "core/base64.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <type_traits>

#include <unistd.h>
#include <thread>

namespace oauth2 = discord::oauth2;
using namespace std::chrono_literals;

namespace {

oauth2::state_claims claims_for(std::uint64_t user)
{
    oauth2::state_claims c;
    c.user_id = oauth2::snowflake(user);
    c.issued_at = std::chrono::system_clock::now();
    c.expires_at = c.issued_at + 10min;
    c.code_verifier = oauth2::secret(std::string(64, 'v'));
    c.flow = "login";
    return c;
}

oauth2::errc code_of(const oauth2::state_key& key, const std::string& text, oauth2::replay_guard* guard = nullptr)
{
    try {
        if (!guard) {
            (void)oauth2::open_state(key, text);
            return oauth2::errc{};
        }
        asio::io_context io; // one per call: threads call this at once
        std::exception_ptr failure;
        asio::co_spawn(io, oauth2::open_state_once(key, text, *guard),
                       [&](std::exception_ptr e, const oauth2::state_claims&) { failure = e; });
        io.run();
        if (failure)
            std::rethrow_exception(failure);
    } catch (const oauth2::error& e) {
        return static_cast<oauth2::errc>(e.code().value());
    }
    return oauth2::errc{};
}

} // namespace

TEST_CASE("a sealed state opens to its claims, is short, and hides what it carries")
{
    auto key = oauth2::state_key::generate();
    auto sealed = oauth2::seal_state(key, claims_for(80351110224678912ULL));
    CHECK(sealed.size() <= 200);
    CHECK(sealed.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos);
    CHECK(sealed.find("vvvv") == std::string::npos);
    auto raw = *discord::oauth2::base64::decode_url(sealed);
    CHECK(raw.find(std::string(16, 'v')) == std::string::npos); // the verifier is encrypted

    auto opened = oauth2::open_state(key, sealed);
    CHECK(opened.user_id == oauth2::snowflake(80351110224678912ULL));
    CHECK(opened.flow == "login");
    REQUIRE(opened.code_verifier);
    CHECK(opened.code_verifier->reveal() == std::string(64, 'v'));
    CHECK(opened.nonce.size() == 16);
    CHECK(opened.expires_at - opened.issued_at == 10min);

    std::set<std::string> nonces;
    for (int i = 0; i < 100; ++i)
        nonces.insert(oauth2::open_state(key, oauth2::seal_state(key, claims_for(1))).nonce);
    CHECK(nonces.size() == 100);

    auto no_verifier = claims_for(2);
    no_verifier.code_verifier.reset();
    CHECK_FALSE(oauth2::open_state(key, oauth2::seal_state(key, no_verifier)).code_verifier);
}

TEST_CASE("flipping any byte or garbage: invalid_state; a key id the ring lacks: state_expired")
{
    auto key = oauth2::state_key::generate();
    auto sealed = oauth2::seal_state(key, claims_for(7));
    auto raw = *discord::oauth2::base64::decode_url(sealed);
    for (std::size_t i = 0; i < raw.size(); ++i) {
        for (unsigned char bit : {0x01, 0x80}) {
            auto tampered = raw;
            tampered[i] = static_cast<char>(tampered[i] ^ bit);
            CAPTURE(i);
            // Bytes 1 to 4 name the key: changed, they name one the ring lacks (a link older
            // than the rotation that dropped its key), which reads as expired.
            auto expected = i >= 1 && i <= 4 ? oauth2::errc::state_expired : oauth2::errc::invalid_state;
            CHECK(code_of(key, discord::oauth2::base64::encode_url(tampered)) == expected);
        }
    }
    CHECK(code_of(oauth2::state_key::generate(), sealed) == oauth2::errc::state_expired);
    CHECK(code_of(key, sealed.substr(0, sealed.size() - 4)) == oauth2::errc::invalid_state);
    CHECK(code_of(key, sealed + "AAAA") == oauth2::errc::invalid_state);
    CHECK(code_of(key, "not a state!") == oauth2::errc::invalid_state);
    CHECK(code_of(key, "") == oauth2::errc::invalid_state);
    CHECK(code_of(key, std::string(3000, 'A')) == oauth2::errc::invalid_state);
}

TEST_CASE("the requested scopes are sealed in, in order, and checked on the way in")
{
    auto key = oauth2::state_key::generate();
    auto c = claims_for(5);
    c.scopes = {"identify", "connections", "role_connections.write"};
    auto opened = oauth2::open_state(key, oauth2::seal_state(key, c));
    CHECK(opened.scopes == c.scopes);
    CHECK(opened.code_verifier);
    CHECK(oauth2::open_state(key, oauth2::seal_state(key, claims_for(5))).scopes.empty());

    // Hidden like the rest: an edited `scope` parameter cannot be matched to the state by reading it.
    auto raw = *discord::oauth2::base64::decode_url(oauth2::seal_state(key, c));
    CHECK(raw.find("connections") == std::string::npos);

    c.scopes = {"identify", "two words"};
    CHECK_THROWS_AS((void)oauth2::seal_state(key, c), oauth2::error);
    c.scopes = {""};
    CHECK_THROWS_AS((void)oauth2::seal_state(key, c), oauth2::error);
    c.scopes.assign(100, std::string(20, 's')); // 2,099 bytes joined
    CHECK_THROWS_AS((void)oauth2::seal_state(key, c), oauth2::error);
    c.scopes.assign(40, std::string(20, 's')); // 839 bytes: fits, and the long state still opens
    auto sealed = oauth2::seal_state(key, c);
    CHECK(oauth2::open_state(key, sealed).scopes.size() == 40);
}

TEST_CASE("expiry and single use")
{
    auto key = oauth2::state_key::generate();
    auto c = claims_for(9);
    c.issued_at -= 20min;
    c.expires_at = c.issued_at + 10min;
    CHECK(code_of(key, oauth2::seal_state(key, c)) == oauth2::errc::state_expired);

    oauth2::memory_replay_guard guard;
    auto sealed = oauth2::seal_state(key, claims_for(9));
    CHECK(code_of(key, sealed, &guard) == oauth2::errc{});
    CHECK(code_of(key, sealed, &guard) == oauth2::errc::state_replayed);
    CHECK(guard.size() == 1);

    // Many threads opening the same state: exactly one wins.
    auto contested = oauth2::seal_state(key, claims_for(10));
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&] {
            if (code_of(key, contested, &guard) == oauth2::errc{})
                ++winners;
        });
    for (auto& t : threads)
        t.join();
    CHECK(winners == 1);
}

TEST_CASE("keys and claims are checked")
{
    CHECK_THROWS_AS((void)oauth2::state_key::from_bytes("short"), oauth2::error);
    auto key = oauth2::state_key::from_bytes(std::string(32, 'k'));
    auto c = claims_for(1);
    c.flow = std::string(33, 'f');
    CHECK_THROWS_AS((void)oauth2::seal_state(key, c), oauth2::error);
    c = claims_for(1);
    c.nonce = "short";
    CHECK_THROWS_AS((void)oauth2::seal_state(key, c), oauth2::error);
    // The same key bytes open what they sealed.
    auto again = oauth2::state_key::from_bytes(std::string(32, 'k'));
    CHECK(oauth2::open_state(again, oauth2::seal_state(key, claims_for(3))).user_id == oauth2::snowflake(3));
}

TEST_CASE("a state key is a basic_key of its own purpose: from a file too, and never a store key")
{
    static_assert(!std::is_same_v<oauth2::state_key, oauth2::store_key>);
    static_assert(!std::is_convertible_v<oauth2::store_key, oauth2::state_key>);
    static_assert(!std::is_convertible_v<oauth2::state_key, oauth2::store_key>);

    namespace fs = std::filesystem;
    auto dir = fs::temp_directory_path() / ("state_test." + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto key = oauth2::state_key::generate();
    auto file = (dir / "state.key").string();
    std::ofstream(file) << key.to_hex().reveal() << "\n";
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
    auto read = oauth2::state_key::from_file(file);
    CHECK(read.bytes() == key.bytes());
    CHECK(oauth2::open_state(read, oauth2::seal_state(key, claims_for(4))).user_id == oauth2::snowflake(4));
    fs::permissions(file, fs::perms::owner_read | fs::perms::group_read);
    try {
        (void)oauth2::state_key::from_file(file);
        FAIL("a state key file the group can read was accepted");
    } catch (const oauth2::error& e) {
        // The message names the purpose and the fix, never the key.
        CHECK(std::string(e.what()).find("the state key file " + file) != std::string::npos);
        CHECK(std::string(e.what()).find("chmod 600") != std::string::npos);
        CHECK(std::string(e.what()).find(key.to_hex().reveal()) == std::string::npos);
    }
    try {
        (void)oauth2::state_key::from_bytes("short");
        FAIL("a 5-byte state key was accepted");
    } catch (const oauth2::error& e) {
        CHECK(std::string(e.what()).starts_with("a state key is 32 bytes, not 5"));
    }
    fs::remove_all(dir);
}

TEST_CASE("a ring opens states under any of its keys; a retired key's links read as expired, naming the key")
{
    auto old_key = oauth2::state_key::generate();
    auto new_key = oauth2::state_key::generate();
    auto before = oauth2::seal_state(old_key, claims_for(11));
    // Mid-rotation: the new key added second (still sealing with the old), then promoted.
    oauth2::state_key_ring added({old_key, new_key});
    oauth2::state_key_ring promoted({new_key, old_key});
    auto during = oauth2::seal_state(added, claims_for(12));
    auto after = oauth2::seal_state(promoted, claims_for(13));
    for (const auto* ring : {&added, &promoted}) {
        CHECK(oauth2::open_state(*ring, before).user_id == oauth2::snowflake(11));
        CHECK(oauth2::open_state(*ring, during).user_id == oauth2::snowflake(12));
        CHECK(oauth2::open_state(*ring, after).user_id == oauth2::snowflake(13));
    }
    // An instance that has not added the new key yet cannot open the promoted one's links: the
    // runbook adds the key everywhere before anyone seals with it.
    CHECK(code_of(old_key, after) == oauth2::errc::state_expired);
    try {
        (void)oauth2::open_state(new_key, before);
        FAIL("a state under a dropped key opened");
    } catch (const oauth2::error& e) {
        CHECK(e.code() == oauth2::errc::state_expired);
        CHECK(std::string(e.what()).find("key " + old_key.id_text()) != std::string::npos);
    }
}

TEST_CASE("a state sealed before key ids (version 2) opens under whichever key of the ring opens it")
{
    auto old_key = oauth2::state_key::generate();
    auto new_key = oauth2::state_key::generate();
    // Version 2's layout: version | iv | ciphertext | tag, the version byte the associated data.
    auto raw = *discord::oauth2::base64::decode_url(oauth2::seal_state(old_key, claims_for(21)));
    auto plain = discord::oauth2::aead::open(old_key.bytes().reveal(), raw.substr(5), raw.substr(0, 5));
    REQUIRE(plain);
    std::string v2(1, '\x02');
    auto old_format = discord::oauth2::base64::encode_url(v2 + discord::oauth2::aead::seal(old_key.bytes().reveal(), *plain, v2));
    oauth2::state_key_ring promoted({new_key, old_key});
    CHECK(oauth2::open_state(promoted, old_format).user_id == oauth2::snowflake(21));
    CHECK(code_of(new_key, old_format) == oauth2::errc::invalid_state);
}
