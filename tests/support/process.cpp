#include "support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

extern char** environ;

namespace test {

namespace {

child start(const std::string& program, const std::vector<std::string>& args,
            const std::map<std::string, std::string>& env, bool with_input)
{
    int out[2];
    int err[2];
    int in[2] = {-1, -1};
    // Close-on-exec, so that one child never holds another's pipes open.
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 || (with_input && ::pipe2(in, O_CLOEXEC) != 0))
        throw std::runtime_error("pipe failed");
    // Everything the child needs is built before fork: only async-signal-safe calls after it.
    std::vector<std::string> arg_text{program};
    arg_text.insert(arg_text.end(), args.begin(), args.end());
    std::vector<std::string> env_text;
    for (char** e = environ; *e; ++e)
        if (std::string_view(*e).substr(0, 8) != "DISCORD_")
            env_text.emplace_back(*e);
    for (const auto& [k, v] : env)
        env_text.push_back(k + "=" + v);
    std::vector<char*> argv;
    for (auto& a : arg_text)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env_text)
        envp.push_back(e.data());
    envp.push_back(nullptr);

    pid_t pid = ::fork();
    if (pid < 0)
        throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        if (with_input)
            ::dup2(in[0], 0);
        ::execve(program.c_str(), argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    if (with_input)
        ::close(in[0]);
    return {pid, out[0], err[0], in[1]};
}

} // namespace

child spawn(const std::string& program, const std::vector<std::string>& args,
            const std::map<std::string, std::string>& env)
{
    return start(program, args, env, false);
}

child spawn_with_input(const std::string& program, const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env)
{
    return start(program, args, env, true);
}

std::string read_line(int fd)
{
    std::string line;
    char c;
    while (::read(fd, &c, 1) == 1 && c != '\n')
        line.push_back(c);
    return line;
}

std::string read_line_within(int fd, std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd p{fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
            return {};
        char c;
        if (::read(fd, &c, 1) != 1)
            return {};
        if (c == '\n')
            return line;
        line.push_back(c);
    }
}

std::string read_all(int fd)
{
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
        text.append(buf, static_cast<std::size_t>(n));
    return text;
}

int wait_exit(child& c)
{
    int status = 0;
    ::waitpid(c.pid, &status, 0);
    for (int* fd : {&c.out, &c.err, &c.in})
        if (*fd >= 0) {
            ::close(*fd);
            *fd = -1;
        }
    c.pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

program_result run_program(const std::string& program, const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env)
{
    auto c = spawn(program, args, env);
    program_result r;
    // Both pipes at once: a child that fills one while we block on the other would hang.
    pollfd fds[2] = {{c.out, POLLIN, 0}, {c.err, POLLIN, 0}};
    std::string* sinks[2] = {&r.out, &r.err};
    int open = 2;
    while (open > 0) {
        if (::poll(fds, 2, -1) < 0)
            break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            auto n = ::read(fds[i].fd, buf, sizeof buf);
            if (n <= 0) {
                fds[i].fd = -1;
                --open;
            } else {
                sinks[i]->append(buf, static_cast<std::size_t>(n));
            }
        }
    }
    r.exit_code = wait_exit(c);
    return r;
}

} // namespace test
