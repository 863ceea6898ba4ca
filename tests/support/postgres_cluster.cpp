#include "server/free_port.hpp"
#include "support/postgres_cluster.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace test {
namespace {

using discord::oauth2::server::free_port;

// Debian installs the server's programs under /usr/lib/postgresql/VERSION/bin.
std::string server_bin()
{
    std::error_code ec;
    for (const auto& version : std::filesystem::directory_iterator("/usr/lib/postgresql", ec))
        if (std::filesystem::exists(version.path() / "bin" / "initdb"))
            return (version.path() / "bin").string();
    throw std::runtime_error("PostgreSQL's server is not installed (apt-get install postgresql)");
}

std::string as_server_user(const std::string& command)
{
    return ::geteuid() == 0 ? "runuser -u postgres -- " + command : command;
}

} // namespace

postgres_cluster::postgres_cluster(bool durable)
    : dir_(std::filesystem::temp_directory_path() / ("pg-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()))),
      durable_(durable), bin_(server_bin()), port_(free_port())
{
    std::filesystem::create_directories(dir_);
    if (::geteuid() == 0)
        run("chown postgres " + dir_.string());
    run(as_server_user(bin_ + "/initdb -D " + (dir_ / "data").string()
                       + " -A trust -U postgres -E UTF8 --no-sync >" + (dir_ / "initdb.log").string() + " 2>&1"));
    start();
}

postgres_cluster::~postgres_cluster()
{
    try {
        stop();
    } catch (...) {
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

void postgres_cluster::start()
{
    if (running_)
        return;
    run(as_server_user(bin_ + "/pg_ctl -D " + (dir_ / "data").string() + " -l " + (dir_ / "server.log").string()
                       + " -w -o \"-p " + std::to_string(port_) + " -k " + dir_.string()
                       + " -c listen_addresses=127.0.0.1" + (durable_ ? "" : " -c fsync=off")
                       + "\" start >/dev/null"));
    running_ = true;
}

void postgres_cluster::stop()
{
    if (!running_)
        return;
    running_ = false;
    run(as_server_user(bin_ + "/pg_ctl -D " + (dir_ / "data").string() + " -m fast -w stop >/dev/null"));
}

std::string postgres_cluster::url() const
{
    return "postgres://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

void postgres_cluster::run(const std::string& command) const
{
    if (std::system(command.c_str()) != 0)
        throw std::runtime_error("the test cluster failed: " + command + " (logs in " + dir_.string() + ")");
}

} // namespace test
