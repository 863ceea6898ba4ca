#include "core/random.hpp"

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace random_bytes = discord::oauth2::random;

TEST_CASE("draws have the size asked for and never repeat, across many refills of the page")
{
    CHECK(random_bytes::bytes(0).empty());
    CHECK(random_bytes::bytes(1).size() == 1);
    CHECK(random_bytes::bytes(256).size() == 256);
    CHECK(random_bytes::bytes(5000).size() == 5000); // past what one draw takes from the page
    CHECK(random_bytes::url_safe(48).size() == 64);
    std::set<std::string> seen;
    for (int i = 0; i < 3000; ++i) // 48 KB: a dozen pages
        CHECK(seen.insert(random_bytes::bytes(16)).second);
    // Not all zero, and not one byte repeated: what a zeroed or never-filled page would give.
    auto many = random_bytes::bytes(64);
    CHECK(many.find_first_not_of(many[0]) != std::string::npos);
}

TEST_CASE("threads draw their own bytes")
{
    std::vector<std::string> drawn(4);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < drawn.size(); ++t)
        threads.emplace_back([&drawn, t] {
            for (int i = 0; i < 100; ++i)
                drawn[t] += random_bytes::bytes(16);
        });
    for (auto& t : threads)
        t.join();
    std::set<std::string> seen;
    for (const auto& d : drawn)
        for (std::size_t at = 0; at < d.size(); at += 16)
            CHECK(seen.insert(d.substr(at, 16)).second);
}

TEST_CASE("a thread's draws after its page is gone come from OpenSSL")
{
    // A thread_local destroyed after the page (made before it) draws in its destructor.
    struct draws_at_exit {
        std::string* out = nullptr;
        ~draws_at_exit()
        {
            if (out)
                *out = random_bytes::bytes(32);
        }
    };
    std::string late;
    std::thread([&late] {
        thread_local draws_at_exit last;
        last.out = &late;                 // made first: destroyed after the page below
        (void)random_bytes::bytes(16);    // the page, made now
    }).join();
    REQUIRE(late.size() == 32);
    CHECK(late.find_first_not_of(late[0]) != std::string::npos);
}

TEST_CASE("a forked child does not draw the bytes its parent draws next")
{
    // The parent's page is filled; a child that kept a copy of it would hand out the very bytes
    // the parent hands out next: the same nonce, verifier or IV in two processes.
    (void)random_bytes::bytes(16);
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        auto drawn = random_bytes::bytes(32);
        auto written = ::write(pipe_fds[1], drawn.data(), drawn.size());
        ::_exit(written == 32 ? 0 : 1);
    }
    ::close(pipe_fds[1]);
    auto parents = random_bytes::bytes(32);
    std::string childs(32, '\0');
    std::size_t got = 0;
    while (got < childs.size()) {
        auto n = ::read(pipe_fds[0], childs.data() + got, childs.size() - got);
        if (n <= 0)
            break;
        got += static_cast<std::size_t>(n);
    }
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(got == 32);
    CHECK(WIFEXITED(status));
    CHECK(childs != parents);
}
