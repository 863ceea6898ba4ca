// Wiping the plain buffers that carry secrets on their way (lib/core/wipe.hpp): the bytes
// themselves, a token answer's body in place (its buffer is kept, so what it held can be read
// back), and a request's body and fields emptied once it has been sent.
#include "core/wipe.hpp"
#include "http/client.hpp"

#include <doctest/doctest.h>

#include <malloc.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>

namespace http = discord::oauth2::http;
using discord::oauth2::core::wipe;

namespace {

const std::string_view answer =
    R"({"access_token":"6qrZcUqja7812RVdnEKjpzOL4CvHBFG","token_type":"Bearer","expires_in":604800,)"
    R"("refresh_token":"D43f5y0ahjqew82jZ4NViEr2YafMKhue","scope":"identify"})";

// TSan's runtime defines operator new and delete itself: the freed-block check runs in the other
// builds (g++ and ASan).
#if defined(__SANITIZE_THREAD__)
#define WIPE_TEST_NO_ALLOCATOR_HOOK 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WIPE_TEST_NO_ALLOCATOR_HOOK 1
#endif
#endif

#ifndef WIPE_TEST_NO_ALLOCATOR_HOOK
// Every block this program gives back is searched for the marker first: a buffer that grew
// while it held a token must have wiped the block it left.
constexpr std::string_view marker = "D43f5y0ahjqew82jZ4NViEr2YafMKhue";
std::atomic<int> freed_with_marker{0};

void inspect_and_free(void* p) noexcept
{
    if (!p)
        return;
    auto size = malloc_usable_size(p);
    if (size >= marker.size() && memmem(p, size, marker.data(), marker.size()))
        ++freed_with_marker;
    std::free(p);
}

#endif

} // namespace

#ifndef WIPE_TEST_NO_ALLOCATOR_HOOK
// new and delete both on malloc, so that the sanitizers see matching pairs.
void* operator new(std::size_t n)
{
    if (void* p = std::malloc(n ? n : 1))
        return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n)
{
    if (void* p = std::malloc(n ? n : 1))
        return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept
{
    inspect_and_free(p);
}
void operator delete(void* p, std::size_t) noexcept
{
    inspect_and_free(p);
}
void operator delete[](void* p) noexcept
{
    inspect_and_free(p);
}
void operator delete[](void* p, std::size_t) noexcept
{
    inspect_and_free(p);
}

TEST_CASE("buffers that grow while they hold a token wipe the blocks they leave")
{
    // A body: the first block is the size asked for; the rest of a token answer grows it.
    {
        http::padded_buffer body;
        body.reserve(40);
        std::string first = "{\"refresh_token\":\"" + std::string(marker) + "\",";
        body.append(first.data(), first.size());
        std::string rest(2000, ' ');
        freed_with_marker = 0;
        body.append(rest.data(), rest.size());
        CHECK(freed_with_marker == 0);
        body.wipe();
    }
    // Header fields: an Authorization field added first, then more fields than its block holds.
    {
        http::headers fields;
        fields.add("Authorization", "Bearer " + std::string(marker));
        freed_with_marker = 0;
        for (int i = 0; i < 20; ++i)
            fields.add("X-Field-" + std::to_string(i), std::string(40, 'v'));
        CHECK(freed_with_marker == 0);
        fields.wipe();
    }
}

#endif // WIPE_TEST_NO_ALLOCATOR_HOOK

TEST_CASE("wipe overwrites the bytes it is given, and empties a string")
{
    std::array<char, 48> key{};
    std::fill(key.begin(), key.end(), 'k');
    wipe(key.data(), key.size());
    CHECK(std::all_of(key.begin(), key.end(), [](char c) { return c == 0; }));
    wipe(nullptr, 0); // nothing to do

    std::string text(100, 's');
    wipe(text);
    CHECK(text.empty());
}

TEST_CASE("a token answer's body is wiped where it lies, and the buffer still works as one")
{
    http::response r;
    r.status = 200;
    r.fields.add("Content-Type", "application/json");
    r.body.append(answer.data(), answer.size());
    const char* bytes = r.body.data(); // the body's own buffer, which a wipe keeps
    REQUIRE(std::string_view(bytes, answer.size()) == answer);
    http::wipe(r);
    CHECK(r.body.empty());
    CHECK(r.fields.empty());
    CHECK(r.body.data() == bytes);
    // Every byte the tokens were in is zero now, and the padding the JSON parser reads after
    // the contents is still zero.
    CHECK(std::all_of(bytes, bytes + answer.size() + http::padded_buffer::padding, [](char c) { return c == 0; }));
    r.body.append("{}", 2);
    CHECK(r.body.view() == "{}");
    CHECK(std::all_of(r.body.data() + 2, r.body.data() + 2 + http::padded_buffer::padding, [](char c) { return c == 0; }));
}

TEST_CASE("a request's body and fields are emptied by its wipe, and it can be filled again")
{
    http::request r;
    r.method = "POST";
    r.url = "https://discord.com/api/v10/oauth2/token";
    r.fields.add("Authorization", "Basic MTU5Nzk5OTYwNDEyMzU2NjA4OnNlY3JldA==");
    r.fields.add("Content-Type", "application/x-www-form-urlencoded");
    r.body = "grant_type=refresh_token&refresh_token=D43f5y0ahjqew82jZ4NViEr2YafMKhue";
    http::wipe(r);
    CHECK(r.body.empty());
    CHECK(r.fields.empty());
    CHECK_FALSE(r.fields.find("authorization"));
    CHECK(r.url == "https://discord.com/api/v10/oauth2/token"); // not a secret: kept for errors
    r.fields.add("Authorization", "Bearer another");
    CHECK(r.fields.find("authorization").value_or("") == "Bearer another");
}
