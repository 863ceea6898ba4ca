// Running a program as a bot runs against Discord, with the emulator program standing in for
// Discord and the test playing the person who opens each link it prints (Discord's redirect,
// then the program's callback). Used by examples_test and docs_code_test.
#pragma once

#include "support/process.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace test {

/// The emulator program (EMULATOR_PROGRAM), auto-approving, with a callback URI on a free port
/// registered for every application; stopped when destroyed.
struct emulator_program {
    explicit emulator_program(const std::string& path);
    ~emulator_program();
    emulator_program(const emulator_program&) = delete;
    emulator_program& operator=(const emulator_program&) = delete;

    /// The environment a program needs to reach it as the AIRHORN application: DISCORD_CLIENT_ID,
    /// DISCORD_CLIENT_SECRET, DISCORD_REDIRECT_URI and DISCORD_API_BASE.
    [[nodiscard]] std::map<std::string, std::string> env() const;

    std::string redirect;
    std::string base;
    child process;
};

/// The person: signed in to the emulator as `user`, opens `link` and follows the redirect to the
/// program's callback; the callback page's status.
int open_link(const std::string& link, const std::string& user);

/// A link in a line of output, and who opens it.
struct link_to_open {
    std::string url;
    std::string user;
};

struct run_result {
    int exit_code = -1;
    std::string out;
    std::string err;
    std::vector<int> page_statuses; ///< the callback page's status for each link opened
};

/// Runs `program` with `args` against `discord`; each output line for which `link_in` gives a
/// link is opened, until `links` were; then reads the program to its end.
run_result run_opening_links(const emulator_program& discord, const std::string& program,
                             const std::vector<std::string>& args, std::size_t links,
                             const std::function<std::optional<link_to_open>(const std::string&)>& link_in);

} // namespace test
