// The SQLite token store: durability across reopening, compare-and-swap, expiry listing, the
// schema, and every way a stored grant can be tampered with.
#include "support/run.hpp"

#include "core/aead.hpp"
#include "store/grant_codec.hpp"

#include <discord/oauth2/error.hpp>
#include <discord/oauth2/sqlite_token_store.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <doctest/doctest.h>

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace oauth2 = discord::oauth2;
using oauth2::secret;
using oauth2::snowflake;
using namespace std::chrono_literals;

namespace {

struct scratch {
    std::filesystem::path dir = std::filesystem::temp_directory_path()
        / ("token-store-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
    scratch() { std::filesystem::create_directories(dir); }
    ~scratch() { std::filesystem::remove_all(dir); }
    std::string db() const { return (dir / "grants.db").string(); }
};

oauth2::stored_grant grant_for(snowflake user, std::string token, std::chrono::seconds lifetime = 604800s)
{
    oauth2::stored_grant g;
    g.user_id = user;
    g.token.token = secret(std::move(token));
    g.token.refresh_token = secret("refresh-" + std::to_string(user.value()));
    g.token.scopes = {"identify", "webhook.incoming"};
    g.token.expires_in = lifetime;
    g.token.expires_at = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::seconds>((std::chrono::system_clock::now() + lifetime).time_since_epoch()));
    oauth2::webhook w;
    w.id = snowflake(1234);
    w.channel_id = snowflake(5678);
    w.token = secret("webhook-secret");
    w.url = secret("https://discord.com/api/webhooks/1234/webhook-secret");
    g.token.webhook = w;
    return g;
}

// Runs SQL on the database file behind the store's back.
void tamper(const std::string& db, const std::string& sql)
{
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
    CHECK(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(h);
}

// Flips one bit of a stored grant's sealed bytes, at `offset`.
void flip_bit(const std::string& db, std::int64_t user, std::size_t offset)
{
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
    sqlite3_stmt* read = nullptr;
    REQUIRE(sqlite3_prepare_v2(h, "SELECT sealed FROM grants WHERE user_id = ?", -1, &read, nullptr) == SQLITE_OK);
    sqlite3_bind_int64(read, 1, user);
    REQUIRE(sqlite3_step(read) == SQLITE_ROW);
    std::string bytes(static_cast<const char*>(sqlite3_column_blob(read, 0)), static_cast<std::size_t>(sqlite3_column_bytes(read, 0)));
    sqlite3_finalize(read);
    REQUIRE(offset < bytes.size());
    bytes[offset] = static_cast<char>(bytes[offset] ^ 1);
    sqlite3_stmt* write = nullptr;
    REQUIRE(sqlite3_prepare_v2(h, "UPDATE grants SET sealed = ? WHERE user_id = ?", -1, &write, nullptr) == SQLITE_OK);
    sqlite3_bind_blob(write, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(write, 2, user);
    CHECK(sqlite3_step(write) == SQLITE_DONE);
    sqlite3_finalize(write);
    sqlite3_close(h);
}

std::string file_bytes(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

} // namespace

TEST_CASE("grants survive reopening, every field intact, and the file reveals no token")
{
    scratch s;
    auto key = oauth2::store_key::generate();
    asio::io_context io;
    const snowflake nelly(80351110224678912ULL);
    {
        auto store = oauth2::sqlite_token_store::open(s.db(), key);
        test::run(io, [&]() -> asio::awaitable<void> {
            CHECK(co_await store->save(grant_for(nelly, "access-token-of-nelly")) == 1);
            CHECK(co_await store->save(grant_for(snowflake(2), "access-token-of-two", 60s)) == 1);
        }());
    }
    auto store = oauth2::sqlite_token_store::open(s.db(), key);
    test::run(io, [&]() -> asio::awaitable<void> {
        auto g = co_await store->load(nelly);
        REQUIRE(g);
        CHECK(g->version == 1);
        CHECK(g->token.token.reveal() == "access-token-of-nelly");
        CHECK(g->token.refresh_token->reveal() == "refresh-80351110224678912");
        CHECK(g->token.scopes.size() == 2);
        REQUIRE(g->token.webhook);
        CHECK(g->token.webhook->token.reveal() == "webhook-secret");
        CHECK(g->token.webhook->channel_id == snowflake(5678));
        CHECK(g->token.expires_in == 604800s);
        CHECK_FALSE(g->refresh_in_flight);
        CHECK_FALSE(co_await store->load(snowflake(3)));
        auto users = co_await store->list();
        REQUIRE(users.size() == 2);
        CHECK(users[0] == snowflake(2));
        auto soon = co_await store->list_expiring_before(std::chrono::system_clock::now() + 1h);
        REQUIRE(soon.size() == 1);
        CHECK(soon[0] == snowflake(2));
        CHECK(co_await store->erase(snowflake(2)));
        CHECK_FALSE(co_await store->erase(snowflake(2)));
    }());
    auto bytes = file_bytes(s.db()) + file_bytes(s.db() + "-wal");
    for (auto secret_text : {"access-token-of-nelly", "refresh-8035", "webhook-secret"})
        CHECK(bytes.find(secret_text) == std::string::npos);
}

TEST_CASE("compare-and-swap: a stale version loses, flags are kept")
{
    scratch s;
    // The io_context first: the store's thread posts completions to it, so it must outlive the store.
    asio::io_context io;
    auto store = oauth2::sqlite_token_store::open(s.db(), oauth2::store_key::generate());
    test::run(io, [&]() -> asio::awaitable<void> {
        auto g = grant_for(snowflake(7), "first");
        CHECK(co_await store->compare_and_swap(g) == std::optional<std::uint64_t>(1)); // version 0: absent
        CHECK_FALSE(co_await store->compare_and_swap(g));                              // 0 again: taken
        auto loaded = *co_await store->load(snowflake(7));
        loaded.refresh_in_flight = true;
        CHECK(co_await store->compare_and_swap(loaded) == std::optional<std::uint64_t>(2));
        auto stale = loaded; // still version 1
        stale.token.token = secret("lost");
        CHECK_FALSE(co_await store->compare_and_swap(stale));
        auto now = *co_await store->load(snowflake(7));
        CHECK(now.version == 2);
        CHECK(now.refresh_in_flight);
        CHECK(now.token.token.reveal() == "first");
        now.needs_reauthorization = true;
        now.refresh_in_flight = false;
        CHECK(co_await store->compare_and_swap(now) == std::optional<std::uint64_t>(3));
        auto last = *co_await store->load(snowflake(7));
        CHECK(last.needs_reauthorization);
        CHECK_FALSE(last.refresh_in_flight);
    }());
}

TEST_CASE("tampering: a flipped byte, a row copied onto another user, a wrong key, each its own error")
{
    scratch s;
    auto key = oauth2::store_key::generate();
    asio::io_context io;
    {
        auto store = oauth2::sqlite_token_store::open(s.db(), key);
        test::run(io, [&]() -> asio::awaitable<void> {
            co_await store->save(grant_for(snowflake(1), "one"));
            co_await store->save(grant_for(snowflake(2), "two"));
            co_await store->save(grant_for(snowflake(3), "three"));
        }());
    }
    // A bit of the ciphertext flipped (past the 9-byte header and the 12-byte IV).
    flip_bit(s.db(), 1, 30);
    // User 3's row copied onto user 2.
    tamper(s.db(), "UPDATE grants SET sealed = (SELECT sealed FROM grants WHERE user_id = 3) WHERE user_id = 2");
    auto store = oauth2::sqlite_token_store::open(s.db(), key);
    test::run(io, [&]() -> asio::awaitable<void> {
        auto altered = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await store->load(snowflake(1)); });
        CHECK(altered.code() == oauth2::errc::grant_altered);
        auto copied = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await store->load(snowflake(2)); });
        CHECK(copied.code() == oauth2::errc::grant_copied);
        CHECK(std::string(copied.what()).find("three") == std::string::npos);
        CHECK((*co_await store->load(snowflake(3))).token.token.reveal() == "three");
    }());
    try {
        (void)oauth2::sqlite_token_store::open(s.db(), oauth2::store_key::generate());
        FAIL("a wrong key opened the store");
    } catch (const oauth2::error& e) {
        CHECK(e.code() == oauth2::errc::wrong_store_key);
    }
}

TEST_CASE("a new store is its owner's alone, -wal and -shm included; a symbolic link is never followed")
{
    scratch s;
    namespace fs = std::filesystem;
    auto store = oauth2::sqlite_token_store::open(s.db(), oauth2::store_key::generate());
    asio::io_context io;
    test::run(io, [&]() -> asio::awaitable<void> { auto g = grant_for(snowflake(1), "one");
        (void)co_await store->save(std::move(g)); }());
    for (const char* suffix : {"", "-wal", "-shm"}) {
        auto file = s.db() + suffix;
        CAPTURE(file);
        REQUIRE(fs::exists(file));
        CHECK((fs::status(file).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
    }
    store.reset();
    test::drain(io);

    auto target = (s.dir / "elsewhere.db").string();
    auto link = (s.dir / "link.db").string();
    fs::create_symlink(target, link);
    try {
        (void)oauth2::sqlite_token_store::open(link, oauth2::store_key::generate());
        FAIL("a symbolic link was followed");
    } catch (const oauth2::error& e) {
        CHECK(std::string(e.what()).find("symbolic link") != std::string::npos);
    }
    CHECK_FALSE(fs::exists(target));
}

TEST_CASE("keys from files; a file that is not a store; a schema from the future")
{
    scratch s;
    auto key = oauth2::store_key::generate();
    auto hex_file = (s.dir / "key.hex").string();
    std::ofstream(hex_file) << key.to_hex().reveal() << "\n";
    namespace fs = std::filesystem;
    const auto owner_only = fs::perms::owner_read | fs::perms::owner_write;
    fs::permissions(hex_file, owner_only);
    CHECK(oauth2::store_key::from_file(hex_file).bytes() == key.bytes());
    // Readable by the group or by others: refused, with the command that fixes it.
    for (auto loose : {fs::perms::group_read, fs::perms::others_read}) {
        fs::permissions(hex_file, owner_only | loose);
        try {
            (void)oauth2::store_key::from_file(hex_file);
            FAIL("a key file others can read was accepted");
        } catch (const oauth2::error& e) {
            CHECK(std::string(e.what()).find("chmod 600 " + hex_file) != std::string::npos);
            CHECK(std::string(e.what()).find(key.to_hex().reveal()) == std::string::npos);
        }
    }
    fs::permissions(hex_file, owner_only);
    // A symbolic link to a key is not followed (another user could swap it).
    auto link = (s.dir / "key.link").string();
    fs::create_symlink(hex_file, link);
    CHECK_THROWS_AS((void)oauth2::store_key::from_file(link), oauth2::error);
    auto bad_file = (s.dir / "key.bad").string();
    std::ofstream(bad_file) << "not a key";
    fs::permissions(bad_file, owner_only);
    CHECK_THROWS_AS((void)oauth2::store_key::from_file(bad_file), oauth2::error);
    CHECK_THROWS_AS((void)oauth2::store_key::from_file((s.dir / "missing").string()), oauth2::error);

    auto not_db = (s.dir / "text.db").string();
    std::ofstream(not_db) << "this is not an SQLite database, it is plain text long enough to be looked at";
    try {
        (void)oauth2::sqlite_token_store::open(not_db, key);
        FAIL("a text file opened as a store");
    } catch (const oauth2::error& e) {
        CHECK(e.code() == oauth2::errc::invalid_argument);
    }

    { auto store = oauth2::sqlite_token_store::open(s.db(), key); }
    tamper(s.db(), "PRAGMA user_version = 99");
    try {
        (void)oauth2::sqlite_token_store::open(s.db(), key);
        FAIL("a newer schema opened");
    } catch (const oauth2::error& e) {
        CHECK(std::string(e.what()).find("newer") != std::string::npos);
    }
}

TEST_CASE("group commit: concurrent writes share commits, yet no caller is answered before its write is committed")
{
    scratch s;
    auto store = oauth2::sqlite_token_store::open(s.db(), oauth2::store_key::generate());
    // Another connection, as a process reading the file after a crash would: it sees committed
    // rows only (WAL), so an answer it cannot see the write of came before its commit.
    sqlite3* reader = nullptr;
    REQUIRE(sqlite3_open_v2(s.db().c_str(), &reader, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    auto committed_version = [&](std::uint64_t user) -> std::uint64_t {
        sqlite3_stmt* st = nullptr;
        REQUIRE(sqlite3_prepare_v2(reader, "SELECT version FROM grants WHERE user_id = ?", -1, &st, nullptr) == SQLITE_OK);
        sqlite3_bind_int64(st, 1, static_cast<std::int64_t>(user));
        std::uint64_t v = sqlite3_step(st) == SQLITE_ROW ? static_cast<std::uint64_t>(sqlite3_column_int64(st, 0)) : 0;
        sqlite3_finalize(st);
        return v;
    };
    asio::io_context io;
    int answered = 0, seen_committed = 0;
    constexpr int writers = 200;
    for (int i = 0; i < writers; ++i)
        asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
            auto user = static_cast<std::uint64_t>(1000 + i % 50); // four writes for each of 50 users
            auto g = grant_for(snowflake(user), "token-" + std::to_string(i)); // named: g++ 12 and temporaries
            auto version = co_await store->save(std::move(g));
            ++answered;
            if (committed_version(user) >= version)
                ++seen_committed;
        }, asio::detached);
    io.run();
    CHECK(answered == writers);
    CHECK(seen_committed == writers);
    for (std::uint64_t u = 1000; u < 1050; ++u)
        CHECK(committed_version(u) == 4); // every write applied, in order, none lost

    // Compare-and-swap inside one batch: of two writers expecting the same version, one wins.
    io.restart();
    int won = 0, lost = 0;
    for (int i = 0; i < 2; ++i)
        asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
            auto g = grant_for(snowflake(1000), "cas-" + std::to_string(i));
            g.version = 4;
            auto result = co_await store->compare_and_swap(std::move(g));
            (result ? won : lost)++;
        }, asio::detached);
    io.run();
    CHECK(won == 1);
    CHECK(lost == 1);
    CHECK(committed_version(1000) == 5);
    sqlite3_close(reader);
    // The store (its worker thread) goes before the io_context it answers on: the worker may be
    // still inside post() when the last answer has already run here (TSan saw the race).
    store.reset();
}

namespace {

// What a store written before key ids holds: the key check and a grant without an id.
void write_as_before_key_ids(const std::string& db, const oauth2::store_key& key, const oauth2::stored_grant& g)
{
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
    auto check = discord::oauth2::aead::seal(key.bytes().reveal(), "discord-oauth2 token store", "key-check");
    std::string head(1, '\x01');
    for (int i = 7; i >= 0; --i)
        head.push_back(static_cast<char>((g.user_id.value() >> (i * 8)) & 0xFF));
    auto sealed = head + discord::oauth2::aead::seal(key.bytes().reveal(), discord::oauth2::store::encode_token(g.token), "grant" + head);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(h, "UPDATE meta SET value = ? WHERE name = 'key_check'", -1, &st, nullptr) == SQLITE_OK);
    sqlite3_bind_blob(st, 1, check.data(), static_cast<int>(check.size()), SQLITE_TRANSIENT);
    CHECK(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_finalize(st);
    REQUIRE(sqlite3_prepare_v2(h, "INSERT INTO grants VALUES (?, 1, 0, 0, ?)", -1, &st, nullptr) == SQLITE_OK);
    sqlite3_bind_int64(st, 1, static_cast<std::int64_t>(g.user_id.value()));
    sqlite3_bind_blob(st, 2, sealed.data(), static_cast<int>(sealed.size()), SQLITE_TRANSIENT);
    CHECK(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(h);
}

} // namespace

TEST_CASE("a key rotation: old grants open under the ring, rekey re-seals them, the old key can go")
{
    scratch s;
    auto old_key = oauth2::store_key::generate();
    auto new_key = oauth2::store_key::generate();
    asio::io_context io;
    {
        auto store = oauth2::sqlite_token_store::open(s.db(), old_key);
        test::run(io, [&]() -> asio::awaitable<void> {
            for (std::uint64_t u = 1; u <= 300; ++u) // more than one batch
                co_await store->save(grant_for(snowflake(u), "token-" + std::to_string(u)));
        }());
    }
    // A store written before key ids, too: its check and one grant have no id.
    write_as_before_key_ids(s.db(), old_key, grant_for(snowflake(1000), "token-1000"));

    // The new key alone does not open the store, and says which key it was written under.
    try {
        (void)oauth2::sqlite_token_store::open(s.db(), new_key);
        FAIL("the store opened under a key it was not written with");
    } catch (const oauth2::error& e) {
        CHECK(e.code() == oauth2::errc::wrong_store_key);
        CHECK(std::string(e.what()).find(new_key.id_text()) != std::string::npos);
    }
    {
        // Added second: still sealing with the old key; then promoted at run time.
        auto store = oauth2::sqlite_token_store::open(s.db(), oauth2::store_key_ring({old_key, new_key}));
        oauth2::store_key_ring promoted({new_key, old_key}); // named: see docs/compilers.md
        test::run(io, [&]() -> asio::awaitable<void> {
            co_await store->set_keys(promoted);
            co_await store->save(grant_for(snowflake(2000), "token-2000")); // under the new key
            CHECK((*co_await store->load(snowflake(7))).token.token.reveal() == "token-7");
            CHECK((*co_await store->load(snowflake(1000))).token.token.reveal() == "token-1000");
            auto first = co_await store->rekey();
            CHECK(first.resealed == 301);
            CHECK(first.current == 1);
            CHECK(first.failed.empty());
            // Nothing left to do: a second run (as after a kill) finds every grant current.
            auto second = co_await store->rekey();
            CHECK(second.resealed == 0);
            CHECK(second.current == 302);
            // Versions are left alone: a compare-and-swap made before the rekey still holds.
            auto g = *co_await store->load(snowflake(8));
            CHECK(g.version == 1);
            g.token.token = secret("token-8-refreshed");
            CHECK(co_await store->compare_and_swap(g));
        }());
    }
    // The old key dropped: every grant opens, and the store with them.
    auto store = oauth2::sqlite_token_store::open(s.db(), new_key);
    test::run(io, [&]() -> asio::awaitable<void> {
        CHECK((*co_await store->load(snowflake(1))).token.token.reveal() == "token-1");
        CHECK((*co_await store->load(snowflake(8))).token.token.reveal() == "token-8-refreshed");
        CHECK((*co_await store->load(snowflake(1000))).token.token.reveal() == "token-1000");
        CHECK((*co_await store->load(snowflake(2000))).token.token.reveal() == "token-2000");
    }());
}

TEST_CASE("a ring that lacks a grant's key: a clear error naming it, nothing changed, the grant back with the key")
{
    scratch s;
    auto old_key = oauth2::store_key::generate();
    auto new_key = oauth2::store_key::generate();
    asio::io_context io;
    auto store = oauth2::sqlite_token_store::open(s.db(), old_key);
    oauth2::store_key_ring promoted({new_key, old_key}); // named: see docs/compilers.md
    oauth2::store_key_ring dropped(new_key);
    oauth2::store_key_ring unrelated(oauth2::store_key::generate());
    test::run(io, [&]() -> asio::awaitable<void> {
        co_await store->save(grant_for(snowflake(1), "one"));
        co_await store->set_keys(promoted);
        co_await store->save(grant_for(snowflake(2), "two"));
        // The old key dropped before a rekey: the store (its check now under the new key) stays
        // open, user 1's grant fails naming its key, and rekey lists it without touching it.
        co_await store->set_keys(dropped);
        auto missing = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await store->load(snowflake(1)); });
        CHECK(missing.code() == oauth2::errc::wrong_store_key);
        CHECK(std::string(missing.what()).find("sealed under key " + old_key.id_text()) != std::string::npos);
        CHECK(std::string(missing.what()).find("one") == std::string::npos);
        auto report = co_await store->rekey();
        CHECK(report.resealed == 0);
        CHECK(report.current == 1);
        REQUIRE(report.failed.size() == 1);
        CHECK(report.failed[0].user_id == snowflake(1));
        CHECK(report.failed[0].reason.find(old_key.id_text()) != std::string::npos);
        auto users = co_await store->list();
        CHECK(users.size() == 2); // nothing deleted
        co_await store->set_keys(promoted);
        CHECK((*co_await store->load(snowflake(1))).token.token.reveal() == "one");
        // A ring that opens nothing of the store is refused, and the ring in use kept.
        auto refused = co_await test::expect_error(
            [&]() -> asio::awaitable<void> { co_await store->set_keys(unrelated); });
        CHECK(refused.code() == oauth2::errc::wrong_store_key);
        CHECK((*co_await store->load(snowflake(2))).token.token.reveal() == "two");
    }());
}
