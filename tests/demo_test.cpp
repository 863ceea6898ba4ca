// The README's demo plays the seed document's scenario on the emulator and says so.
#include "support/process.hpp"

#include <doctest/doctest.h>

TEST_CASE("the demo authorizes, reads the connections, answers as the seed does, and revokes")
{
    auto r = test::run_program(DEMO_PROGRAM, {});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(r.out.find("sees the consent page: \"AIRHORN SOLUTIONS wants to access your account\"") != std::string::npos);
    CHECK(r.out.find("sees the bot's page: 200 \"Authorized\"") != std::string::npos);
    CHECK(r.out.find("5 total connections. First connection username: nellycodes") != std::string::npos);
    CHECK(r.out.find("revoked the grant; 0 grant(s) left in the store") != std::string::npos);
    CHECK(r.out.find("Demo complete.") != std::string::npos);
}
