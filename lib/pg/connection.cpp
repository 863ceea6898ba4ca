#include "pg/connection.hpp"

#include <discord/oauth2/error.hpp>

#include <libpq-fe.h>

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
};

asio::awaitable<std::unique_ptr<connection>> connection::connect(asio::any_io_executor executor, std::string url)
{
    if (!url.starts_with("postgres://") && !url.starts_with("postgresql://"))
        throw error(errc::invalid_argument, "a PostgreSQL URL starts with postgres:// or postgresql://");
    char* parse_error = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &parse_error);
    if (!parsed) {
        std::string why = parse_error ? parse_error : "it cannot be parsed";
        PQfreemem(parse_error);
        while (!why.empty() && why.back() == '\n')
            why.pop_back();
        throw error(errc::invalid_argument, "the PostgreSQL URL is malformed: " + why);
    }
    PQconninfoFree(parsed);

    PGconn* raw = PQconnectStart(url.c_str());
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

asio::awaitable<std::vector<outcome>> connection::pipeline(const std::vector<statement>& batch)
{
    auto& i = *impl_;
    if (PQpipelineStatus(i.conn) == PQ_PIPELINE_OFF && !PQenterPipelineMode(i.conn))
        i.fail("refused pipeline mode");
    // Each statement in a segment of its own (its own sync): an error aborts that one alone.
    for (const auto& st : batch) {
        std::vector<const char*> values;
        values.reserve(st.params.size());
        for (const auto& p : st.params)
            values.push_back(p ? p->c_str() : nullptr);
        if (!PQsendQueryParams(i.conn, st.sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                               nullptr, 0)
            || !PQpipelineSync(i.conn))
            i.fail("did not take the statement");
    }
    for (;;) {
        int flushed = PQflush(i.conn);
        if (flushed == 0)
            break;
        if (flushed < 0)
            i.fail("sending failed");
        // Room comes as the server reads; its answers must be read meanwhile, or both sides wait.
        co_await i.wait(asio::posix::descriptor_base::wait_write);
        if (!PQconsumeInput(i.conn))
            i.fail("connection broke");
    }
    std::vector<outcome> outcomes(batch.size());
    for (auto& o : outcomes) {
        result out;
        std::optional<std::string> failure;
        for (;;) {
            while (PQisBusy(i.conn)) {
                co_await i.wait(asio::posix::descriptor_base::wait_read);
                if (!PQconsumeInput(i.conn))
                    i.fail("connection broke");
            }
            PGresult* r = PQgetResult(i.conn);
            if (!r)
                continue; // the end of one statement's results; its sync follows
            if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
                PQclear(r);
                break;
            }
            absorb(r, out, failure);
            PQclear(r);
        }
        if (failure)
            o.failure = "PostgreSQL refused a statement: " + *failure;
        else
            o.rows = std::move(out);
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
    std::string sql(sql_view); // copied before the first suspension
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params)
        values.push_back(p ? p->c_str() : nullptr);
    if (!PQsendQueryParams(i.conn, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                           nullptr, 0))
        i.fail("did not take the query");
    // Send everything, waiting for room when the socket is full.
    for (;;) {
        int flushed = PQflush(i.conn);
        if (flushed == 0)
            break;
        if (flushed < 0)
            i.fail("sending failed");
        co_await i.wait(asio::posix::descriptor_base::wait_write);
    }
    result out;
    std::optional<std::string> failure;
    for (;;) {
        while (PQisBusy(i.conn)) {
            co_await i.wait(asio::posix::descriptor_base::wait_read);
            if (!PQconsumeInput(i.conn))
                i.fail("connection broke");
        }
        PGresult* r = PQgetResult(i.conn);
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
