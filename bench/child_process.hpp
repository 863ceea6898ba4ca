// Benchmarks run their server in a child process, so that the figures measured in the parent
// (CPU, RSS) are the client's alone. The child reports readiness with one line on a pipe.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <string>

struct child_process {
    pid_t pid = -1;
    std::string ready_line; ///< what the child wrote when ready, without the newline
};

/// Forks and runs `serve(fd)` in the child, which must write one line to `fd` once it listens.
/// Returns when that line has arrived; `pid` is -1 if the child failed to start.
template <class Serve>
child_process start_child(Serve serve)
{
    child_process c;
    int fds[2];
    if (::pipe(fds) != 0)
        return c;
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        ::_exit(serve(fds[1]));
    }
    ::close(fds[1]);
    char ch;
    while (::read(fds[0], &ch, 1) == 1 && ch != '\n')
        c.ready_line.push_back(ch);
    ::close(fds[0]);
    if (pid > 0 && !c.ready_line.empty())
        c.pid = pid;
    return c;
}

inline void stop_child(child_process& c)
{
    if (c.pid <= 0)
        return;
    ::kill(c.pid, SIGTERM);
    ::waitpid(c.pid, nullptr, 0);
    c.pid = -1;
}
