// A local, faithful Discord OAuth2 server for tests, demos, benchmarks and offline development.
//
//   emulator::emulator discord(io.get_executor(), {.auto_approve = true});
//   discord.start();
//   discord.url();   // "http://127.0.0.1:PORT": use it as the client's API and OAuth2 base
//
// It runs on the server core, on the given executor, and keeps its world (seed data, codes,
// grants) in memory. docs/emulator.md lists the endpoints and what each answers.
#pragma once

#include "event_deliveries.hpp"
#include "faults.hpp"
#include "grants.hpp"
#include "model.hpp"
#include "rate_limits.hpp"
#include "seed_file.hpp"

#include <asio/any_io_executor.hpp>

#include <chrono>
#include <discord/oauth2/server_limits.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace discord::oauth2::emulator {

/// The seed type under a name that cannot collide with the class below.
using world_data = seed;

struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0; ///< 0: ephemeral
    /// Connections, timeouts and request sizes. 4,096 connections and no per-peer cap by
    /// default: load tests open thousands from one address.
    server_limits limits = [] {
        server_limits l;
        l.max_connections = 4096;
        l.max_connections_per_peer = 0;
        return l;
    }();
    /// Serve HTTPS with a self-signed certificate written into `tls_directory`.
    bool tls = false;
    std::string tls_directory;
    /// Approve every authorization at once, as this user (the first seeded user when unset).
    bool auto_approve = false;
    std::optional<snowflake> auto_approve_user;
    std::chrono::seconds code_ttl{100};
    /// Device authorizations (RFC 8628): how long the codes live, and the least time between polls.
    std::chrono::seconds device_code_ttl{300};
    std::chrono::seconds device_interval{5};
    std::chrono::seconds token_ttl{604800};
    /// On by default at Discord-like values; benchmarks turn them off.
    rate_limit_options rate_limits;
    std::vector<fault> faults;
    /// Users, guilds, connections and applications to start with.
    world_data world = default_seed();
    /// How webhook events are sent: timeouts, retries, bad-signature PINGs at random.
    delivery_options deliveries;
    /// Check an event webhook URL set by PATCH /applications/@me as Discord does: a signed PING
    /// must be answered 2xx and one with a bad signature 401, or the change is refused.
    bool check_event_webhook_urls = true;
    /// How ID tokens (scope openid) are signed: "RS256" as Discord does, "ES256" or "EdDSA".
    std::string id_token_algorithm = "RS256";
};

class emulator {
public:
    emulator(asio::any_io_executor executor, options opts = {});
    ~emulator();
    emulator(const emulator&) = delete;
    emulator& operator=(const emulator&) = delete;

    /// Listens; throws `error` when it cannot.
    void start();
    void stop();

    /// "http://127.0.0.1:PORT" (or https), without a trailing slash.
    [[nodiscard]] std::string url() const;
    /// The PEM file that makes the emulator's certificate trusted, when serving TLS.
    [[nodiscard]] std::optional<std::string> ca_file() const;
    /// One line of JSON describing the running emulator: url, ca_file, applications, users.
    [[nodiscard]] std::string ready_line() const;

    /// Introspection for tests; read on the emulator's executor.
    [[nodiscard]] const grant_book& grants() const noexcept;
    [[nodiscard]] const world_data& world() const noexcept;
    /// Requests answered per route pattern ("POST /api/v10/oauth2/token").
    [[nodiscard]] std::uint64_t calls(const std::string& route) const;
    /// API answers with status 401, 403 or 429 (but not 429 of the shared scope): what Discord
    /// counts towards its ban of callers that keep failing.
    [[nodiscard]] std::uint64_t invalid_requests() const noexcept;

    /// The webhook events and PINGs sent so far, oldest first.
    [[nodiscard]] std::vector<delivery_record> deliveries() const;

    /// Adds a fault at run time (on the emulator's executor), or removes them all.
    void add_fault(fault f);
    void clear_faults();
    /// Forgets every code, grant, role connection, counter and rate-limit window.
    void reset();

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

} // namespace discord::oauth2::emulator
