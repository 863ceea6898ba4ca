// The emulator as a benchmark's child process (child_process.hpp): it serves with `options` on
// one thread, writes its URL as the ready line (under TLS, a tab and its CA file after it), and
// stops on SIGTERM.
#pragma once

#include "emulator.hpp"

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <unistd.h>

#include <csignal>
#include <string>

inline int serve_emulator(int ready_pipe, discord::oauth2::emulator::options options)
{
    asio::io_context io(1);
    discord::oauth2::emulator::emulator discord(io.get_executor(), std::move(options));
    discord.start();
    asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](std::error_code, int) {
        discord.stop();
        io.stop();
    });
    auto line = discord.url();
    if (auto ca = discord.ca_file())
        line += "\t" + *ca;
    line += "\n";
    if (::write(ready_pipe, line.data(), line.size()) < 0)
        return 1;
    ::close(ready_pipe);
    io.run();
    return 0;
}
