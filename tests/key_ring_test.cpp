// Key rings: read from a file of one key a line (comments and blank lines ignored), the first
// sealing; a key file of one key reads as before; ids are stable, distinct and tell nothing of
// the key; a ring refuses a key listed twice; a bad line is named by its number, never shown.
#include <discord/oauth2/error.hpp>
#include <discord/oauth2/state.hpp>
#include <discord/oauth2/store_key.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include <unistd.h>

namespace oauth2 = discord::oauth2;
namespace fs = std::filesystem;

namespace {

struct scratch {
    fs::path dir = fs::temp_directory_path() / ("key-ring-test-" + std::to_string(::getpid()));
    scratch() { fs::create_directories(dir); }
    ~scratch() { fs::remove_all(dir); }

    std::string file(const std::string& name, const std::string& content)
    {
        auto path = (dir / name).string();
        std::ofstream(path, std::ios::binary) << content;
        fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
        return path;
    }
};

std::string message_of(const std::function<void()>& f)
{
    try {
        f();
    } catch (const oauth2::error& e) {
        CHECK(e.code() == oauth2::errc::invalid_argument);
        return e.what();
    }
    FAIL("no error");
    return {};
}

} // namespace

TEST_CASE("a ring file: one key a line, the first seals, comments and blank lines ignored")
{
    scratch s;
    auto a = oauth2::store_key::generate();
    auto b = oauth2::store_key::generate();
    auto path = s.file("grants.key", "# rotated 2026-12-07: the new key first\n" + a.to_hex().reveal() + "\r\n\n   "
                                         + b.to_hex().reveal() + "  \n# the old key above\n");
    auto ring = oauth2::store_key_ring::from_file(path);
    REQUIRE(ring.keys().size() == 2);
    CHECK(ring.current().bytes() == a.bytes());
    CHECK(ring.keys()[1].bytes() == b.bytes());
    CHECK(ring.find(b.id()) == &ring.keys()[1]);
    CHECK(ring.find(a.id() ^ 1u) == nullptr);
    CHECK(ring.ids_text() == a.id_text() + ", " + b.id_text());
    // A single key's loader refuses a ring, saying what to use, rather than drop the old key.
    auto refused = message_of([&] { (void)oauth2::store_key::from_file(path); });
    CHECK(refused.find("holds 2 keys (a key ring)") != std::string::npos);
}

TEST_CASE("a file of one key reads as a key and as a ring of one, in hex or raw")
{
    scratch s;
    auto a = oauth2::state_key::generate();
    auto hex = s.file("state.key", a.to_hex().reveal() + "\n");
    CHECK(oauth2::state_key::from_file(hex).bytes() == a.bytes());
    auto ring = oauth2::state_key_ring::from_file(hex);
    CHECK(ring.keys().size() == 1);
    CHECK(ring.current().id() == a.id());
    auto raw = s.file("raw.key", a.bytes().reveal());
    CHECK(oauth2::state_key_ring::from_file(raw).current().bytes() == a.bytes());
    // A key is a ring: the conversion is implicit.
    oauth2::state_key_ring converted = a;
    CHECK(converted.current().id() == a.id());
}

TEST_CASE("ids: the same for the same key, different for another, and not the key")
{
    auto a = oauth2::store_key::from_bytes(std::string(32, 'a'));
    auto again = oauth2::store_key::from_bytes(std::string(32, 'a'));
    auto b = oauth2::store_key::from_bytes(std::string(32, 'b'));
    CHECK(a.id() == again.id());
    CHECK(a.id() != b.id());
    CHECK(a.id_text().size() == 8);
    CHECK(a.to_hex().reveal().find(a.id_text()) == std::string::npos);
    CHECK(oauth2::key_id_text(0x3fa29c01u) == "3fa29c01");
    // The purposes derive the same id from the same bytes, but can never be mixed up: types.
    CHECK(oauth2::state_key::from_bytes(std::string(32, 'a')).id() == a.id());
}

TEST_CASE("bad rings are refused with the line or the id, never the key")
{
    scratch s;
    auto a = oauth2::store_key::generate();
    auto twice = s.file("twice.key", a.to_hex().reveal() + "\n" + a.to_hex().reveal() + "\n");
    auto dup = message_of([&] { (void)oauth2::store_key_ring::from_file(twice); });
    CHECK(dup.find("lists key " + a.id_text() + " twice") != std::string::npos);
    auto bad_line = s.file("bad.key", a.to_hex().reveal() + "\n" + a.to_hex().reveal().substr(0, 63) + "\n");
    auto bad = message_of([&] { (void)oauth2::store_key_ring::from_file(bad_line); });
    CHECK(bad.find("line 2 is not a key") != std::string::npos);
    CHECK(bad.find(a.to_hex().reveal().substr(0, 20)) == std::string::npos);
    auto only_comments = s.file("empty.key", "# nothing yet\n\n");
    CHECK(message_of([&] { (void)oauth2::store_key_ring::from_file(only_comments); }).find("must hold") != std::string::npos);
    auto large = s.file("large.key", std::string(70 * 1024, '#'));
    CHECK(message_of([&] { (void)oauth2::store_key_ring::from_file(large); }).find("larger than 64 KiB") != std::string::npos);
    CHECK(message_of([] { (void)oauth2::store_key_ring(std::vector<oauth2::store_key>{}); }).find("at least one key")
          != std::string::npos);
    // The file checks of a single key file hold for rings.
    auto open_to_all = s.file("open.key", a.to_hex().reveal() + "\n");
    fs::permissions(open_to_all, fs::perms::owner_read | fs::perms::others_read);
    CHECK(message_of([&] { (void)oauth2::store_key_ring::from_file(open_to_all); }).find("chmod 600") != std::string::npos);
    fs::create_symlink(s.dir / "bad.key", s.dir / "link.key");
    CHECK(message_of([&] { (void)oauth2::store_key_ring::from_file((s.dir / "link.key").string()); }).find("symbolic link")
          != std::string::npos);
}
