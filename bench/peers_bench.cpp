// discord-oauth2 beside the libraries a bot author would otherwise use: the same complete flows
// (code exchange, GET /users/@me, refresh, revoke) against the same emulator in the same run,
// through oauth2::client in this process and through @discordjs/core (with @discordjs/rest) and
// openid-client in one Node.js process (bench/peers/peer.mjs). Codes are made beforehand through
// the emulator's consent page, outside the measurement. Each side's CPU is its own process's,
// measured around the flows only; best of three alternating rounds after a warm-up round.
//
//   peers_bench [--flows N] [--rounds R] [--peers-dir DIR]
// The peers' packages must be installed in DIR first (bench/run runs `npm ci` there).
#include "flow_setup.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

extern char** environ;

namespace {

using flow_setup::figures;

const char* const peer_libraries[] = {"discordjs", "openid-client"};
const char* const peer_names[] = {"@discordjs/core + rest", "openid-client"};

// A JSON string literal; codes and the emulator's URL hold nothing that needs more than this.
std::string quoted(const std::string& s)
{
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

// The Node.js process that runs the peers: commands on its stdin, one JSON line back per command.
class node_peer {
public:
    node_peer(const std::string& dir, const flow_setup::running_emulator& e)
    {
        int to_child[2];
        int from_child[2];
        if (::pipe(to_child) != 0 || ::pipe(from_child) != 0)
            return;
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
        posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
        posix_spawn_file_actions_addclose(&actions, to_child[1]);
        posix_spawn_file_actions_addclose(&actions, from_child[0]);
        auto script = dir + "/peer.mjs";
        char* argv[] = {const_cast<char*>("node"), script.data(), nullptr};
        if (posix_spawnp(&pid_, "node", &actions, nullptr, argv, environ) != 0)
            pid_ = -1;
        posix_spawn_file_actions_destroy(&actions);
        ::close(to_child[0]);
        ::close(from_child[1]);
        in_ = ::fdopen(to_child[1], "w");
        out_ = ::fdopen(from_child[0], "r");
        // The application's secrets go on the pipe, never on the command line.
        send("{\"base\":" + quoted(e.base) + ",\"client_id\":" + quoted(flow_setup::client_id)
             + ",\"client_secret\":" + quoted(flow_setup::client_secret)
             + ",\"bot_token\":" + quoted(flow_setup::bot_token) + ",\"redirect_uri\":" + quoted(flow_setup::redirect)
             + ",\"user_id\":" + quoted(flow_setup::user_id) + "}");
        ready_ = receive().find("\"ready\":true") != std::string::npos;
    }
    ~node_peer()
    {
        if (in_)
            std::fclose(in_); // end of input: the script exits
        if (out_)
            std::fclose(out_);
        if (pid_ > 0)
            ::waitpid(pid_, nullptr, 0);
    }
    node_peer(const node_peer&) = delete;
    node_peer& operator=(const node_peer&) = delete;

    bool ready() const { return ready_; }

    figures run(const std::string& library, int in_flight, const std::vector<std::string>& codes)
    {
        std::string job = "{\"library\":" + quoted(library) + ",\"in_flight\":" + std::to_string(in_flight)
            + ",\"codes\":[";
        for (std::size_t i = 0; i < codes.size(); ++i)
            job += (i ? "," : "") + quoted(codes[i]);
        send(job + "]}");
        auto line = receive();
        figures f;
        simdjson::padded_string json(line);
        simdjson::ondemand::parser parser;
        auto doc = parser.iterate(json);
        int64_t ok = 0;
        int64_t total = 0;
        double cpu_us = 0;
        if (doc["ok"].get_int64().get(ok) || doc["total"].get_int64().get(total)
            || doc["seconds"].get_double().get(f.seconds) || doc["cpu_us"].get_double().get(cpu_us)) {
            fmt::print(stderr, "the peer answered: {}\n", line);
            return f;
        }
        f.ok = static_cast<int>(ok);
        f.total = static_cast<int>(total);
        f.cpu = cpu_us / 1e6;
        return f;
    }

private:
    void send(const std::string& line)
    {
        if (!in_)
            return;
        std::fputs((line + "\n").c_str(), in_);
        std::fflush(in_);
    }
    std::string receive()
    {
        std::string line;
        for (int c; out_ && (c = std::fgetc(out_)) != EOF && c != '\n';)
            line.push_back(static_cast<char>(c));
        return line;
    }

    pid_t pid_ = -1;
    std::FILE* in_ = nullptr;
    std::FILE* out_ = nullptr;
    bool ready_ = false;
};

} // namespace

int main(int argc, char** argv)
{
    int flows = 2000;
    int rounds = 3;
    std::string dir = PEERS_DIR;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--flows" && i + 1 < argc)
            flows = std::stoi(argv[++i]);
        else if (arg == "--rounds" && i + 1 < argc)
            rounds = std::stoi(argv[++i]);
        else if (arg == "--peers-dir" && i + 1 < argc)
            dir = argv[++i];
        else {
            fmt::print(stderr, "usage: {} [--flows N] [--rounds R] [--peers-dir DIR]\n", argv[0]);
            return 2;
        }
    }
    auto discord = flow_setup::start_emulator(false);
    if (discord.child.pid < 0) {
        fmt::print(stderr, "the emulator did not start\n");
        return 1;
    }
    node_peer peers(dir, discord);
    if (!peers.ready()) {
        fmt::print(stderr, "the Node.js peers did not start: is `npm ci` done in {}?\n", dir);
        stop_child(discord.child);
        return 1;
    }
    fmt::print("The same complete flows (code exchange + GET /users/@me + refresh + revoke) through discord-oauth2\n"
               "and through the Node.js libraries a bot would otherwise use, against one emulator (child process,\n"
               "rate limits off); CPU of each side's own process around its flows; best of {} rounds, alternating,\n"
               "after a warm-up round. Ratios: the peer's CPU per flow over ours, our flows/s over the peer's.\n\n",
               rounds);
    fmt::print("{:>9} {:>6} | {:<24} {:>9} {:>11} | {:>9} {:>9}\n", "in flight", "flows", "library", "flows/s",
               "CPU/flow", "CPU ratio", "flows/s");
    bool all_ok = true;
    for (int in_flight : {1, 16}) {
        int total = in_flight == 1 ? std::max(1, flows / 4) : flows;
        auto warm = std::max(in_flight, total / 4);
        flow_setup::ours_runner ours(discord);
        ours.run(in_flight, flow_setup::make_codes(discord, warm));
        for (const char* library : peer_libraries)
            peers.run(library, in_flight, flow_setup::make_codes(discord, warm));
        figures best_ours;
        figures best_peer[2];
        for (int round = 0; round < rounds; ++round) {
            auto o = ours.run(in_flight, flow_setup::make_codes(discord, total));
            all_ok = all_ok && o.ok == total;
            flow_setup::keep_best(best_ours, o, round);
            for (int p = 0; p < 2; ++p) {
                auto f = peers.run(peer_libraries[p], in_flight, flow_setup::make_codes(discord, total));
                all_ok = all_ok && f.ok == total;
                flow_setup::keep_best(best_peer[p], f, round);
            }
        }
        fmt::print("{:>9} {:>6} | {:<24} {:>9.0f} {:>9.1f}us | {:>9} {:>9}\n", in_flight, total, "discord-oauth2",
                   best_ours.per_second(), best_ours.cpu_us_per_flow(), "", "");
        for (int p = 0; p < 2; ++p)
            fmt::print("{:>9} {:>6} | {:<24} {:>9.0f} {:>9.1f}us | {:>8.1f}x {:>8.2f}x\n", in_flight, total, peer_names[p],
                       best_peer[p].per_second(), best_peer[p].cpu_us_per_flow(),
                       best_peer[p].cpu_us_per_flow() / best_ours.cpu_us_per_flow(),
                       best_ours.per_second() / best_peer[p].per_second());
        std::fflush(stdout);
    }
    return flow_setup::finish(discord, all_ok);
}
