#include <discord/oauth2/sqlite_token_store.hpp>

#include "core/replaceable.hpp"
#include "store/key_check.hpp"
#include "store/sealed_grant.hpp"

#include <discord/oauth2/error.hpp>

#include <sqlite3.h>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/thread_pool.hpp>

#include <functional>
#include <asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <mutex>

namespace discord::oauth2 {
namespace {

// Grants a rekey re-seals in one transaction: short enough that the bot's own writes wait
// little between batches.
constexpr int rekey_batch = 256;

std::int64_t to_db(snowflake s)
{
    return static_cast<std::int64_t>(s.value()); // bit for bit: ids fit in 63 bits anyway
}

struct statement {
    sqlite3_stmt* s = nullptr;
    ~statement() { sqlite3_finalize(s); }
};

} // namespace

struct sqlite_token_store::impl {
    explicit impl(store_key_ring ring) : keys(std::move(ring)) {}

    sqlite3* db = nullptr;
    core::replaceable<store_key_ring> keys; // a SIGHUP may replace them (set_keys)
    asio::thread_pool worker{1}; // SQLite's calls, off the callers' event loops
    std::mutex mutex;            // one statement at a time on the connection

    ~impl()
    {
        worker.join();
        if (db)
            sqlite3_close_v2(db);
    }

    [[noreturn]] void fail(std::string_view what) const
    {
        throw error(errc::store_failed, fmt::format("the token store failed to {}: {}", what, sqlite3_errmsg(db)));
    }

    void exec(const char* sql, std::string_view what)
    {
        if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
            fail(what);
    }

    statement prepare(const char* sql)
    {
        statement st;
        if (sqlite3_prepare_v2(db, sql, -1, &st.s, nullptr) != SQLITE_OK)
            fail("prepare a statement");
        return st;
    }

    int user_version()
    {
        auto st = prepare("PRAGMA user_version");
        if (sqlite3_step(st.s) != SQLITE_ROW)
            fail("read the schema version");
        return sqlite3_column_int(st.s, 0);
    }

    // Each step moves the schema one version up, in one transaction.
    void migrate()
    {
        int version = user_version();
        if (version > schema_version)
            throw error(errc::invalid_argument,
                        fmt::format("the token store's schema is version {}, newer than this program's {}; use a "
                                    "newer discord-oauth2",
                                    version, schema_version));
        if (version < 1) {
            exec("BEGIN IMMEDIATE;"
                 "CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);"
                 "CREATE TABLE grants (user_id INTEGER PRIMARY KEY, version INTEGER NOT NULL,"
                 " expires_at INTEGER NOT NULL, flags INTEGER NOT NULL, sealed BLOB NOT NULL);"
                 "CREATE INDEX grants_by_expiry ON grants (expires_at);"
                 "PRAGMA user_version = 1;"
                 "COMMIT;",
                 "create the schema");
        }
    }

    // Throws wrong_store_key unless `ring` opens the key check; writes it (again) under the
    // ring's current key when it is missing or under another key, so that the check follows a
    // rotation and still opens once the old key is dropped.
    void check_key(const store_key_ring& ring)
    {
        auto st = prepare("SELECT value FROM meta WHERE name = 'key_check'");
        int rc = sqlite3_step(st.s);
        if (rc == SQLITE_ROW) {
            std::string_view sealed(static_cast<const char*>(sqlite3_column_blob(st.s, 0)),
                                    static_cast<std::size_t>(sqlite3_column_bytes(st.s, 0)));
            if (store::open_key_check(ring, sealed))
                return;
        } else if (rc != SQLITE_DONE) {
            fail("read the key check");
        }
        auto sealed = store::seal_key_check(ring.current());
        auto write = prepare("INSERT INTO meta (name, value) VALUES ('key_check', ?)"
                             " ON CONFLICT (name) DO UPDATE SET value = excluded.value");
        sqlite3_bind_blob(write.s, 1, sealed.data(), static_cast<int>(sealed.size()), SQLITE_TRANSIENT);
        if (sqlite3_step(write.s) != SQLITE_DONE)
            fail("write the key check");
    }

    void set_keys(store_key_ring ring)
    {
        std::lock_guard lock(mutex);
        check_key(ring);
        keys.set(std::move(ring));
    }

    // One batch of a rekey: the grants after `after`, in one transaction (so that no other
    // process writes a row between its read and its update). The last user it looked at, or
    // nullopt when there were none.
    std::optional<std::int64_t> rekey_batch_after(std::optional<std::int64_t> after, rekey_report& report)
    {
        std::lock_guard lock(mutex);
        auto ring = keys.get();
        exec("BEGIN IMMEDIATE", "begin a rekey");
        std::optional<std::int64_t> last;
        try {
            if (!after)
                check_key(*ring); // the check follows the current key, whoever wrote it last
            auto read = prepare("SELECT user_id, sealed FROM grants WHERE ?1 IS NULL OR user_id > ?1"
                                " ORDER BY user_id LIMIT ?2");
            if (after)
                sqlite3_bind_int64(read.s, 1, *after);
            else
                sqlite3_bind_null(read.s, 1);
            sqlite3_bind_int(read.s, 2, rekey_batch);
            int rc;
            while ((rc = sqlite3_step(read.s)) == SQLITE_ROW) {
                last = sqlite3_column_int64(read.s, 0);
                snowflake user(static_cast<std::uint64_t>(*last));
                std::string_view sealed(static_cast<const char*>(sqlite3_column_blob(read.s, 1)),
                                        static_cast<std::size_t>(sqlite3_column_bytes(read.s, 1)));
                if (store::sealed_under(ring->current(), sealed)) {
                    ++report.current;
                    continue;
                }
                std::string resealed;
                try {
                    auto token = store::open_grant(*ring, user, sealed);
                    resealed = store::seal_grant(ring->current(), user, token);
                } catch (const error& e) {
                    report.failed.push_back({user, e.what()});
                    continue;
                }
                // The sealed text is unique to its write: the row changes only if it is still
                // the one read (the version is left alone).
                auto update = prepare("UPDATE grants SET sealed = ? WHERE user_id = ? AND sealed = ?");
                sqlite3_bind_blob(update.s, 1, resealed.data(), static_cast<int>(resealed.size()), SQLITE_TRANSIENT);
                sqlite3_bind_int64(update.s, 2, *last);
                sqlite3_bind_blob(update.s, 3, sealed.data(), static_cast<int>(sealed.size()), SQLITE_TRANSIENT);
                if (sqlite3_step(update.s) != SQLITE_DONE)
                    fail("re-seal a grant");
                ++report.resealed;
            }
            if (rc != SQLITE_DONE)
                fail("read grants to re-seal");
            exec("COMMIT", "commit a rekey");
        } catch (...) {
            sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
        return last;
    }

    std::optional<stored_grant> load(snowflake user)
    {
        std::lock_guard lock(mutex);
        auto st = prepare("SELECT version, flags, sealed FROM grants WHERE user_id = ?");
        sqlite3_bind_int64(st.s, 1, to_db(user));
        int rc = sqlite3_step(st.s);
        if (rc == SQLITE_DONE)
            return std::nullopt;
        if (rc != SQLITE_ROW)
            fail("load a grant");
        stored_grant g;
        g.user_id = user;
        g.version = static_cast<std::uint64_t>(sqlite3_column_int64(st.s, 0));
        auto flags = sqlite3_column_int64(st.s, 1);
        g.refresh_in_flight = flags & 1;
        g.needs_reauthorization = flags & 2;
        std::string_view sealed(static_cast<const char*>(sqlite3_column_blob(st.s, 2)),
                                static_cast<std::size_t>(sqlite3_column_bytes(st.s, 2)));
        g.token = store::open_grant(*keys.get(), user, sealed);
        return g;
    }

    // Group commit: the writes waiting at the same moment go into one transaction with one
    // synchronous commit, and each caller is answered only after the commit that holds its
    // write (durability as with one commit each; docs/grants.md).
    struct pending_write {
        stored_grant grant;
        std::optional<std::uint64_t> expected; // compare-and-swap: the version it must still be
        std::function<void(std::exception_ptr, std::optional<std::uint64_t>)> answer;
    };
    std::mutex pending_mutex;
    std::vector<pending_write> pending;
    bool flush_posted = false;

    // Queues a write; a flush runs on the store's thread unless one is already on its way.
    void enqueue(pending_write w)
    {
        bool post;
        {
            std::lock_guard lock(pending_mutex);
            pending.push_back(std::move(w));
            post = !flush_posted;
            flush_posted = true;
        }
        if (post)
            asio::post(worker, [this] { flush(); });
    }

    // On the store's thread: every queued write in one transaction, then the answers.
    void flush()
    {
        std::vector<pending_write> batch;
        {
            std::lock_guard lock(pending_mutex);
            batch.swap(pending);
            flush_posted = false;
        }
        std::vector<std::optional<std::uint64_t>> results(batch.size());
        std::exception_ptr failure;
        try {
            std::lock_guard lock(mutex);
            exec("BEGIN IMMEDIATE", "begin a transaction");
            try {
                // In order: a later write for the same user sees the earlier one's version.
                for (std::size_t i = 0; i < batch.size(); ++i)
                    results[i] = write_row(batch[i].grant, batch[i].expected);
                exec("COMMIT", "commit grants");
            } catch (...) {
                sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
                throw;
            }
        } catch (...) {
            failure = std::current_exception(); // nothing was committed: every write of the batch fails
        }
        for (std::size_t i = 0; i < batch.size(); ++i)
            batch[i].answer(failure, failure ? std::nullopt : results[i]);
    }

    // Inside the flush's transaction: writes the row; with `expected`, only if the stored version
    // is still that (0: absent). nullopt when it is not.
    std::optional<std::uint64_t> write_row(const stored_grant& g, std::optional<std::uint64_t> expected)
    {
        auto read = prepare("SELECT version FROM grants WHERE user_id = ?");
        sqlite3_bind_int64(read.s, 1, to_db(g.user_id));
        int rc = sqlite3_step(read.s);
        std::uint64_t current = rc == SQLITE_ROW ? static_cast<std::uint64_t>(sqlite3_column_int64(read.s, 0)) : 0;
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            fail("read a grant's version");
        if (expected && *expected != current)
            return std::nullopt;
        auto sealed = store::seal_grant(keys.get()->current(), g.user_id, g.token);
        auto next = current + 1;
        auto upsert = prepare("INSERT INTO grants (user_id, version, expires_at, flags, sealed) VALUES (?, ?, ?, ?, ?)"
                              " ON CONFLICT (user_id) DO UPDATE SET version = excluded.version,"
                              " expires_at = excluded.expires_at, flags = excluded.flags, sealed = excluded.sealed");
        sqlite3_bind_int64(upsert.s, 1, to_db(g.user_id));
        sqlite3_bind_int64(upsert.s, 2, static_cast<std::int64_t>(next));
        sqlite3_bind_int64(upsert.s, 3,
                           std::chrono::duration_cast<std::chrono::seconds>(g.token.expires_at.time_since_epoch()).count());
        sqlite3_bind_int64(upsert.s, 4, (g.refresh_in_flight ? 1 : 0) | (g.needs_reauthorization ? 2 : 0));
        sqlite3_bind_blob(upsert.s, 5, sealed.data(), static_cast<int>(sealed.size()), SQLITE_TRANSIENT);
        if (sqlite3_step(upsert.s) != SQLITE_DONE)
            fail("write a grant");
        return next;
    }

    // A write, queued for the next group commit; completes on the caller's executor after it.
    // Not a coroutine: the grant is moved into the queue by value (see on_worker).
    asio::awaitable<std::optional<std::uint64_t>> write(stored_grant g, std::optional<std::uint64_t> expected)
    {
        auto grant = std::make_shared<stored_grant>(std::move(g));
        return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, std::optional<std::uint64_t>)>(
            [this, grant, expected](auto handler) {
                // std::function needs a copyable target; the handler is move-only.
                auto shared = std::make_shared<decltype(handler)>(std::move(handler));
                enqueue(pending_write{std::move(*grant), expected,
                                      [shared](std::exception_ptr failure, std::optional<std::uint64_t> result) {
                                          auto back = asio::get_associated_executor(*shared);
                                          asio::post(back, [shared, failure, result]() mutable {
                                              std::move(*shared)(failure, result);
                                          });
                                      }});
            },
            asio::use_awaitable);
    }

    bool erase(snowflake user)
    {
        std::lock_guard lock(mutex);
        auto st = prepare("DELETE FROM grants WHERE user_id = ?");
        sqlite3_bind_int64(st.s, 1, to_db(user));
        if (sqlite3_step(st.s) != SQLITE_DONE)
            fail("erase a grant");
        return sqlite3_changes(db) > 0;
    }

    std::vector<snowflake> users(const char* sql, std::optional<std::int64_t> bound)
    {
        std::lock_guard lock(mutex);
        auto st = prepare(sql);
        if (bound)
            sqlite3_bind_int64(st.s, 1, *bound);
        std::vector<snowflake> out;
        int rc;
        while ((rc = sqlite3_step(st.s)) == SQLITE_ROW)
            out.emplace_back(static_cast<std::uint64_t>(sqlite3_column_int64(st.s, 0)));
        if (rc != SQLITE_DONE)
            fail("list grants");
        return out;
    }

    // Runs `work` on the store's thread and hands its result (or exception) back on the
    // caller's executor. Not a coroutine: g++ 12 copies a closure passed by value to a coroutine
    // bitwise, and the work's captures (a grant and its strings) would be destroyed twice.
    template <class T, class Work>
    asio::awaitable<T> on_worker(Work work)
    {
        auto job = std::make_shared<Work>(std::move(work));
        return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, T)>(
            [this, job](auto handler) {
                asio::post(worker, [job, handler = std::move(handler)]() mutable {
                    std::exception_ptr failure;
                    T result{};
                    try {
                        result = (*job)();
                    } catch (...) {
                        failure = std::current_exception();
                    }
                    auto back = asio::get_associated_executor(handler);
                    asio::post(back, [handler = std::move(handler), failure, result = std::move(result)]() mutable {
                        std::move(handler)(failure, std::move(result));
                    });
                });
            },
            asio::use_awaitable);
    }
};

std::shared_ptr<sqlite_token_store> sqlite_token_store::open(const std::string& path, store_key_ring keys)
{
    auto i = std::make_unique<impl>(std::move(keys));
    // A new database is made here, readable by its owner only (SQLite gives its -wal and -shm
    // files the database's mode), and a symbolic link is never followed: another local user
    // cannot point the store at a file of their choosing.
    if (path != ":memory:" && !path.empty()) {
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
            throw error(errc::invalid_argument,
                        fmt::format("the token store {} cannot be opened: {}", path,
                                    errno == ELOOP ? "it is a symbolic link" : std::strerror(errno)));
        ::close(fd);
    }
    if (sqlite3_open_v2(path.c_str(), &i->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW,
                        nullptr) != SQLITE_OK) {
        auto message = i->db ? std::string(sqlite3_errmsg(i->db)) : std::string("out of memory");
        throw error(errc::invalid_argument, fmt::format("the token store {} cannot be opened: {}", path, message));
    }
    sqlite3_busy_timeout(i->db, 5000);
    try {
        // WAL and synchronous commits: a committed grant survives a crash or a power cut.
        i->exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;", "set its journal mode");
        i->migrate();
        i->check_key(*i->keys.get());
    } catch (const error& e) {
        if (e.code() == errc::store_failed)
            throw error(errc::invalid_argument,
                        fmt::format("the token store {} is not usable (not a database of ours?): {}", path, e.what()));
        throw;
    }
    return std::shared_ptr<sqlite_token_store>(new sqlite_token_store(std::move(i)));
}

sqlite_token_store::sqlite_token_store(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
sqlite_token_store::~sqlite_token_store() = default;

asio::awaitable<void> sqlite_token_store::set_keys(store_key_ring keys)
{
    auto* i = impl_.get();
    auto ring = std::make_shared<store_key_ring>(std::move(keys));
    auto work = [i, ring] {
        i->set_keys(*ring);
        return true;
    };
    (void)co_await i->on_worker<bool>(std::move(work));
}

asio::awaitable<rekey_report> sqlite_token_store::rekey()
{
    auto* i = impl_.get();
    auto report = std::make_shared<rekey_report>();
    std::optional<std::int64_t> after; // none before the first batch: every user id is visited
    // One batch at a time on the store's thread, so that the bot's own writes go between them.
    for (;;) {
        auto work = [i, report, after] { return i->rekey_batch_after(after, *report); };
        auto last = co_await i->on_worker<std::optional<std::int64_t>>(std::move(work));
        if (!last)
            break;
        after = last;
    }
    co_return std::move(*report);
}

// Not coroutines: the work is handed to the store's thread by value (see on_worker).
asio::awaitable<std::optional<stored_grant>> sqlite_token_store::load(snowflake user)
{
    auto* i = impl_.get();
    return i->on_worker<std::optional<stored_grant>>([i, user] { return i->load(user); });
}

asio::awaitable<std::optional<std::uint64_t>> sqlite_token_store::compare_and_swap(stored_grant grant)
{
    auto expected = grant.version;
    return impl_->write(std::move(grant), expected);
}

asio::awaitable<std::uint64_t> sqlite_token_store::save(stored_grant grant)
{
    auto written = co_await impl_->write(std::move(grant), std::nullopt);
    co_return *written;
}

asio::awaitable<bool> sqlite_token_store::erase(snowflake user)
{
    auto* i = impl_.get();
    return i->on_worker<bool>([i, user] { return i->erase(user); });
}

asio::awaitable<std::vector<snowflake>> sqlite_token_store::list()
{
    auto* i = impl_.get();
    return i->on_worker<std::vector<snowflake>>(
        [i] { return i->users("SELECT user_id FROM grants ORDER BY user_id", std::nullopt); });
}

asio::awaitable<std::size_t> sqlite_token_store::count()
{
    auto* i = impl_.get();
    return i->on_worker<std::size_t>([i] {
        std::lock_guard lock(i->mutex);
        auto st = i->prepare("SELECT count(*) FROM grants");
        if (sqlite3_step(st.s) != SQLITE_ROW)
            i->fail("count grants");
        return static_cast<std::size_t>(sqlite3_column_int64(st.s, 0));
    });
}

asio::awaitable<std::vector<snowflake>> sqlite_token_store::list_expiring_before(std::chrono::system_clock::time_point when)
{
    auto* i = impl_.get();
    auto bound = std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
    return i->on_worker<std::vector<snowflake>>([i, bound] {
        return i->users("SELECT user_id FROM grants WHERE expires_at < ? ORDER BY expires_at, user_id", bound);
    });
}

} // namespace discord::oauth2
