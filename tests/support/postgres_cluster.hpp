// A throwaway PostgreSQL cluster for the tests that need one: initdb into a temporary directory,
// pg_ctl start on a free loopback port, stopped and removed afterwards. Nothing that was already
// running is used. As root (CI), the server runs as the `postgres` user, as PostgreSQL insists.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace test {

class postgres_cluster {
public:
    /// Throws std::runtime_error saying what failed (and where its log is). The tests' cluster runs
    /// with fsync off; `durable` keeps PostgreSQL's defaults (fsync, synchronous_commit), so that
    /// every commit waits for the disk, for the benchmarks that measure what that costs.
    explicit postgres_cluster(bool durable = false);
    ~postgres_cluster();
    postgres_cluster(const postgres_cluster&) = delete;
    postgres_cluster& operator=(const postgres_cluster&) = delete;

    /// postgres://postgres@127.0.0.1:PORT/postgres
    [[nodiscard]] std::string url() const;
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    void stop();
    void start();

private:
    void run(const std::string& command) const;

    std::filesystem::path dir_;
    bool durable_ = false;
    std::string bin_;
    std::uint16_t port_ = 0;
    bool running_ = false;
};

} // namespace test
