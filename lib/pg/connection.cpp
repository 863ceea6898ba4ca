#include "pg/connection.hpp"

#include <discord/oauth2/error.hpp>

#include <libpq-fe.h>

#include <asio/ip/tcp.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/use_awaitable.hpp>

#include <fmt/format.h>

namespace discord::oauth2::pg {
namespace {

std::string last_error(PGconn* c)
{
    std::string message = c ? PQerrorMessage(c) : "out of memory";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
        message.pop_back();
    return message;
}

// Adds one PGresult to `out` (rows, or the count of rows changed), or records the first error.
void absorb(PGresult* r, result& out, std::optional<std::string>& failure)
{
    auto status = PQresultStatus(r);
    if (status == PGRES_TUPLES_OK) {
        int columns = PQnfields(r);
        for (int c = 0; c < columns; ++c)
            out.columns.emplace_back(PQfname(r, c));
        for (int row = 0; row < PQntuples(r); ++row) {
            auto& values_out = out.rows.emplace_back();
            for (int c = 0; c < columns; ++c)
                values_out.push_back(PQgetisnull(r, row, c) ? std::nullopt
                                                           : std::optional<std::string>(PQgetvalue(r, row, c)));
        }
    } else if (status == PGRES_COMMAND_OK) {
        const char* n = PQcmdTuples(r);
        out.affected = n && *n ? std::stol(n) : 0;
    } else if (!failure) {
        const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        std::string message = PQresultErrorMessage(r);
        while (!message.empty() && message.back() == '\n')
            message.pop_back();
        failure = fmt::format("{} ({})", message, state ? state : "no SQLSTATE");
    }
}

std::vector<std::string> split_list(const std::string& text)
{
    std::vector<std::string> out;
    for (std::size_t from = 0;;) {
        auto comma = text.find(',', from);
        out.push_back(text.substr(from, comma == std::string::npos ? std::string::npos : comma - from));
        if (comma == std::string::npos)
            return out;
        from = comma + 1;
    }
}

std::string join_list(const std::vector<std::string>& items)
{
    std::string out;
    for (const auto& item : items)
        out += (out.empty() ? "" : ",") + item;
    return out;
}

// The `host` and `port` settings with every host name resolved by Asio's resolver into libpq's
// `hostaddr` (a name with several addresses becomes several entries, tried in order as libpq
// would); nullopt when a Unix socket directory is among them. Throws store_failed naming a host
// that does not resolve.
struct resolved_hosts {
    std::string host;
    std::string hostaddr;
    std::string port;
};

asio::awaitable<std::optional<resolved_hosts>> resolve_hosts(asio::any_io_executor executor, const std::string& hosts,
                                                             const std::string& ports)
{
    auto names = split_list(hosts);
    auto port_list = ports.empty() ? std::vector<std::string>{} : split_list(ports);
    bool port_each = port_list.size() > 1;
    if (port_each && port_list.size() != names.size())
        co_return std::nullopt; // libpq reports the mismatch itself
    std::vector<std::string> out_hosts;
    std::vector<std::string> out_addresses;
    std::vector<std::string> out_ports;
    asio::ip::tcp::resolver resolver(executor);
    for (std::size_t n = 0; n < names.size(); ++n) {
        const auto& name = names[n];
        if (name.empty() || name.front() == '/' || name.front() == '@')
            co_return std::nullopt;
        std::vector<std::string> addresses;
        std::error_code numeric;
        auto address = asio::ip::make_address(name, numeric);
        if (!numeric) {
            addresses.push_back(address.to_string());
        } else {
            std::optional<std::string> failure;
            try {
                auto found = co_await resolver.async_resolve(name, "", asio::use_awaitable);
                for (const auto& entry : found)
                    addresses.push_back(entry.endpoint().address().to_string());
            } catch (const std::system_error& e) {
                failure = e.code().message();
            }
            if (addresses.empty())
                throw error(errc::store_failed, fmt::format("the PostgreSQL host {} could not be resolved{}", name,
                                                            failure ? ": " + *failure : std::string()));
        }
        for (const auto& a : addresses) {
            out_hosts.push_back(name); // kept for TLS verification and error messages
            out_addresses.push_back(a);
            if (port_each)
                out_ports.push_back(port_list[n]);
        }
    }
    co_return resolved_hosts{join_list(out_hosts), join_list(out_addresses), port_each ? join_list(out_ports) : ports};
}

} // namespace

struct connection::impl {
    impl(asio::any_io_executor ex, PGconn* c) : conn(c), socket(std::move(ex)) {}
    ~impl()
    {
        release();
        PQfinish(conn);
    }

    PGconn* conn;
    asio::posix::stream_descriptor socket;
    int watched = -1;

    // libpq owns the descriptor: it is released, never closed, and re-taken when libpq changes it.
    void release()
    {
        if (watched >= 0) {
            std::error_code ignored;
            socket.cancel(ignored);
            (void)socket.release();
            watched = -1;
        }
    }

    void follow_socket()
    {
        int fd = PQsocket(conn);
        if (fd == watched)
            return;
        release();
        if (fd < 0)
            throw error(errc::store_failed, "the PostgreSQL connection has no socket: " + last_error(conn));
        std::error_code ec;
        socket.assign(fd, ec);
        if (ec)
            throw error(errc::store_failed, "the PostgreSQL socket cannot be watched: " + ec.message());
        watched = fd;
    }

    asio::awaitable<void> wait(asio::posix::descriptor_base::wait_type type)
    {
        follow_socket();
        co_await socket.async_wait(type, asio::use_awaitable);
    }

    [[noreturn]] void fail(std::string_view what) const
    {
        throw error(errc::store_failed, fmt::format("PostgreSQL {}: {}", what, last_error(conn)));
    }

    // Queues one statement in libpq's output buffer (parameters sent apart, never interpolated).
    void send(const std::string& sql, const parameters& params)
    {
        std::vector<const char*> values;
        values.reserve(params.size());
        for (const auto& p : params)
            values.push_back(p ? p->c_str() : nullptr);
        if (!PQsendQueryParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                               nullptr, 0))
            fail("did not take the statement");
    }

    // Sends what libpq holds, waiting for room when the socket is full. Answers are read
    // meanwhile: with several statements in flight, a server blocked on writing them would
    // otherwise never read the rest.
    asio::awaitable<void> flush()
    {
        for (;;) {
            int flushed = PQflush(conn);
            if (flushed == 0)
                co_return;
            if (flushed < 0)
                fail("sending failed");
            co_await wait(asio::posix::descriptor_base::wait_write);
            if (!PQconsumeInput(conn))
                fail("connection broke");
        }
    }

    // The next result, once it has arrived whole; nullptr at the end of a statement's results.
    asio::awaitable<PGresult*> next_result()
    {
        while (PQisBusy(conn)) {
            co_await wait(asio::posix::descriptor_base::wait_read);
            if (!PQconsumeInput(conn))
                fail("connection broke");
        }
        co_return PQgetResult(conn);
    }
};

asio::awaitable<std::unique_ptr<connection>> connection::connect(asio::any_io_executor executor, std::string url)
{
    if (!url.starts_with("postgres://") && !url.starts_with("postgresql://"))
        throw error(errc::invalid_argument, "a PostgreSQL URL starts with postgres:// or postgresql://");
    char* parse_error = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &parse_error);
    if (!parsed) {
        // libpq quotes the offending text, which may be the password: say what is wrong in our
        // own words instead.
        std::string_view said = parse_error ? parse_error : "";
        auto why = said.find("percent") != std::string_view::npos
            ? "a part of it has a malformed percent-encoding (a % in a user name or password is written %25)"
            : said.find("port") != std::string_view::npos  ? "its port is not a number from 1 to 65535"
            : said.find("query") != std::string_view::npos || said.find("option") != std::string_view::npos
            ? "a query parameter is malformed or unknown to libpq"
            : "it cannot be parsed (check the host, port, user, password and parameters)";
        PQfreemem(parse_error);
        throw error(errc::invalid_argument, std::string("the PostgreSQL URL is malformed: ") + why);
    }
    // The URL's settings as keywords, so that host names can be resolved here, asynchronously:
    // libpq would resolve them with a blocking getaddrinfo inside PQconnectPoll.
    std::vector<std::string> keywords;
    std::vector<std::string> values;
    std::string host;
    std::string port;
    bool has_hostaddr = false;
    for (auto* o = parsed; o->keyword; ++o) {
        if (!o->val)
            continue;
        std::string_view k = o->keyword;
        if (k == "host")
            host = o->val;
        else if (k == "port")
            port = o->val;
        has_hostaddr = has_hostaddr || k == "hostaddr";
        if (k != "host" && k != "port") {
            keywords.emplace_back(o->keyword);
            values.emplace_back(o->val);
        }
    }
    PQconninfoFree(parsed);
    std::optional<resolved_hosts> resolved;
    if (!host.empty() && !has_hostaddr)
        resolved = co_await resolve_hosts(executor, host, port);
    if (resolved) {
        host = resolved->host;
        port = resolved->port;
        keywords.emplace_back("hostaddr");
        values.push_back(resolved->hostaddr);
    }
    // (Two ifs, not a loop over a braced list: g++ 12 miscompiles those in coroutines.)
    if (!host.empty()) {
        keywords.emplace_back("host");
        values.push_back(host);
    }
    if (!port.empty()) {
        keywords.emplace_back("port");
        values.push_back(port);
    }
    std::vector<const char*> keyword_ptrs;
    std::vector<const char*> value_ptrs;
    for (std::size_t k = 0; k < keywords.size(); ++k) {
        keyword_ptrs.push_back(keywords[k].c_str());
        value_ptrs.push_back(values[k].c_str());
    }
    keyword_ptrs.push_back(nullptr);
    value_ptrs.push_back(nullptr);

    PGconn* raw = PQconnectStartParams(keyword_ptrs.data(), value_ptrs.data(), 0);
    if (!raw || PQstatus(raw) == CONNECTION_BAD) {
        auto why = last_error(raw);
        PQfinish(raw);
        throw error(errc::store_failed, "PostgreSQL connection failed: " + why);
    }
    auto i = std::make_unique<impl>(executor, raw);
    for (;;) {
        auto state = PQconnectPoll(i->conn);
        if (state == PGRES_POLLING_OK)
            break;
        if (state == PGRES_POLLING_FAILED)
            i->fail("connection failed");
        co_await i->wait(state == PGRES_POLLING_READING ? asio::posix::descriptor_base::wait_read
                                                        : asio::posix::descriptor_base::wait_write);
    }
    if (PQsetnonblocking(i->conn, 1) != 0)
        i->fail("refused non-blocking mode");
    // The server's notices ("relation already exists, skipping") are not ours to print.
    PQsetNoticeProcessor(i->conn, [](void*, const char*) {}, nullptr);
    co_return std::make_unique<connection>(std::move(i));
}

connection::connection(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
connection::~connection() = default;

void connection::cancel() noexcept
{
    std::error_code ignored;
    impl_->socket.cancel(ignored);
}

bool connection::healthy() const noexcept
{
    return PQstatus(impl_->conn) == CONNECTION_OK;
}

asio::awaitable<std::vector<notification>> connection::wait_for_notifications()
{
    auto& i = *impl_;
    std::vector<notification> out;
    auto drain = [&] {
        while (PGnotify* n = PQnotifies(i.conn)) {
            out.push_back({n->relname, n->extra ? n->extra : ""});
            PQfreemem(n);
        }
    };
    drain(); // some may have come with a query's answer
    if (!out.empty())
        co_return out;
    co_await i.wait(asio::posix::descriptor_base::wait_read);
    if (!PQconsumeInput(i.conn))
        i.fail("connection broke");
    drain();
    co_return out;
}

asio::awaitable<std::vector<outcome>> connection::pipeline(const std::vector<statement>& batch, commit mode)
{
    auto& i = *impl_;
    if (PQpipelineStatus(i.conn) == PQ_PIPELINE_OFF && !PQenterPipelineMode(i.conn))
        i.fail("refused pipeline mode");
    bool together = mode == commit::together && batch.size() > 1;
    // Each statement in a segment of its own (its own sync, so its own transaction), or all in
    // one segment: one implicit transaction, committed at the one sync.
    for (const auto& st : batch) {
        i.send(st.sql, st.params);
        if (!together && !PQpipelineSync(i.conn))
            i.fail("did not take the statement");
    }
    if (together && !PQpipelineSync(i.conn))
        i.fail("did not take the statements");
    co_await i.flush();
    std::vector<outcome> outcomes(batch.size());
    bool group_failed = false;
    for (auto& o : outcomes) {
        result out;
        std::optional<std::string> failure;
        for (;;) {
            PGresult* r = co_await i.next_result();
            if (!r) {
                if (together)
                    break; // the end of one statement's results; the group's sync comes last
                continue;  // the end of one statement's results; its sync follows
            }
            if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
                PQclear(r);
                break;
            }
            absorb(r, out, failure); // PGRES_PIPELINE_ABORTED too: a group's statement after a failure
            PQclear(r);
        }
        if (failure) {
            o.failure = "PostgreSQL refused a statement: " + *failure;
            group_failed = true;
        } else {
            o.rows = std::move(out);
        }
    }
    if (together) {
        // The commit itself may fail (a deferred check, a serialization failure): then nothing
        // of the group took effect either.
        for (;;) {
            PGresult* r = co_await i.next_result();
            if (!r)
                continue;
            auto status = PQresultStatus(r);
            PQclear(r);
            if (status == PGRES_PIPELINE_SYNC)
                break;
            if (status == PGRES_FATAL_ERROR || status == PGRES_PIPELINE_ABORTED)
                group_failed = true;
        }
        // Rolled back as a whole: every statement again, each in its own transaction, so that
        // one bad statement (or a deadlock between two groups) fails only itself.
        if (group_failed)
            co_return co_await pipeline(batch, commit::each);
    }
    co_return outcomes;
}

asio::awaitable<result> connection::query(std::string_view sql)
{
    static const parameters none;
    return query(sql, none);
}

asio::awaitable<result> connection::query(std::string_view sql_view, const parameters& params)
{
    auto& i = *impl_;
    i.send(std::string(sql_view), params); // before the first suspension: libpq copies both
    co_await i.flush();
    result out;
    std::optional<std::string> failure;
    for (;;) {
        PGresult* r = co_await i.next_result();
        if (!r)
            break;
        absorb(r, out, failure);
        PQclear(r);
    }
    if (failure)
        throw error(errc::store_failed, "PostgreSQL refused a statement: " + *failure);
    co_return out;
}

} // namespace discord::oauth2::pg
