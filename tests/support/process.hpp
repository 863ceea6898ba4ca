// Running the project's programs from tests: their stdout and stderr on pipes, their exit status.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace test {

struct child {
    pid_t pid = -1;
    int out = -1; ///< the child's stdout
    int err = -1; ///< the child's stderr
    int in = -1;  ///< the child's stdin (spawn_with_input only)
};

/// Starts `program` with `args`, in the test's environment minus every DISCORD_* variable, plus
/// `env`. Throws when it cannot start.
child spawn(const std::string& program, const std::vector<std::string>& args,
            const std::map<std::string, std::string>& env = {});

/// The same, with a pipe to the child's stdin in `in` (closed by wait_exit).
child spawn_with_input(const std::string& program, const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env = {});
/// One line from `fd` without its newline; empty at the end.
std::string read_line(int fd);
/// The same, giving up after `timeout` without a whole line (empty then).
std::string read_line_within(int fd, std::chrono::milliseconds timeout);
/// Everything up to the end of `fd`.
std::string read_all(int fd);
/// Waits for the child, closes its pipes; its exit code, or 128 + the signal that ended it.
int wait_exit(child& c);

struct program_result {
    int exit_code = -1;
    std::string out;
    std::string err;
};

/// Runs `program` to the end, collecting both outputs.
program_result run_program(const std::string& program, const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env = {});

} // namespace test
