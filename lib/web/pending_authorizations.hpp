// The authorizations a web server knows about, from the link's state to the callback's answer:
// one record per state, the tasks waiting for its result (with one timer for all their
// deadlines, so that a waiter costs no timer of its own), and the replays that wait for the
// first callback's page. One mutex guards all of it; nothing here awaits, and every handler is
// called outside the mutex.
#pragma once

#include "web/pages.hpp"

#include <discord/oauth2/detail/result_receiver.hpp>
#include <discord/oauth2/state.hpp>
#include <discord/oauth2/web_server.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/experimental/concurrent_channel.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace discord::oauth2::web {

/// Where a replayed callback waits for the first callback's page.
using answer_channel = asio::experimental::concurrent_channel<void(std::error_code, answer)>;
using result_receiver_ptr = std::unique_ptr<detail::result_receiver<authorization_result>>;

class pending_authorizations : public std::enable_shared_from_this<pending_authorizations> {
public:
    /// At most `max_pending` states without an answer are kept; the deadline timer runs on `ex`.
    [[nodiscard]] static std::shared_ptr<pending_authorizations> create(asio::any_io_executor ex,
                                                                        std::size_t max_pending);

    /// Registers the state of a link just made. Throws `stopped` after close(), and
    /// `too_many_pending` when `max_pending` states wait for an answer (expired ones are dropped
    /// first). A state registered already is left as it is.
    void open(const state_claims& claims);

    /// A callback arrived for this state. False when the registry is full: the callback is still
    /// served, but its answer is not kept for replays or late waiters.
    bool begin_callback(const state_claims& claims);

    /// What a replayed callback gets: the first callback's answer when it has one, else a
    /// channel that receives it (when the state is known here, or when `enrol_unknown` because
    /// the first callback may have come to another instance), else nothing: not known here.
    struct replay {
        std::optional<answer> settled;
        std::shared_ptr<answer_channel> follower;
    };
    [[nodiscard]] replay follow(const state_claims& claims, bool enrol_unknown, const asio::any_io_executor& ex);
    /// Forgets a follower that gave up waiting.
    void unfollow(const std::string& nonce, const std::shared_ptr<answer_channel>& follower);

    /// The callback's outcome: remembered until the state expires (`result` only for a callback
    /// that ends the authorization; without one, only replays are answered), waiters woken with
    /// `result`, followers answered with `page`. `unshared` is kept for take_unshared().
    void settle(const std::string& nonce, const answer& page, std::optional<authorization_result> result,
                std::string unshared = {});
    /// The cluster message settle() kept for this state, once.
    [[nodiscard]] std::string take_unshared(const std::string& nonce);

    /// Waits for the result of this state until `timeout`: the result, or nullopt when the
    /// receiver was registered (it then gets the result, a timed_out result at the deadline, or
    /// `cancelled` when `slot` is emitted). A settled state, a closed registry and a full one
    /// answer at once and leave `receiver` untouched.
    [[nodiscard]] std::optional<authorization_result> wait(const state_claims& claims, std::chrono::milliseconds timeout,
                                                           result_receiver_ptr& receiver, asio::cancellation_slot slot);

    /// The user of this state's record while it has no result yet; nullopt when it has one or is
    /// not known here.
    [[nodiscard]] std::optional<snowflake> unsettled_user(const std::string& nonce);
    /// Every state without a result yet (for re-asking the cluster after a gap).
    [[nodiscard]] std::vector<std::string> unsettled_nonces();

    /// No more links (open() throws `stopped`). False when it was closed already.
    bool close();
    /// Every waiter gets a `stopped` result; later waiters too (after close()).
    void end_waiters();
    /// The waiters of `user`'s states issued before `before` get `result` (the states stay
    /// known: their callback may still come). How many were ended.
    std::size_t end_waiters_of(snowflake user, std::chrono::system_clock::time_point before,
                               const authorization_result& result);

    /// States registered without an answer yet.
    [[nodiscard]] std::size_t pending();
    /// Receivers registered by wait() and not answered yet.
    [[nodiscard]] std::size_t waiting();

    pending_authorizations(const pending_authorizations&) = delete;
    pending_authorizations& operator=(const pending_authorizations&) = delete;

private:
    using steady = std::chrono::steady_clock;
    using deadline_index = std::multimap<steady::time_point, std::uint64_t>;

    // What a callback ended with, kept until the state expires so that a replayed callback gets
    // the same answer and a late waiter the same result. Allocated only then: a pending record
    // stays small.
    struct settled {
        answer page;
        std::optional<authorization_result> result;
        std::string unshared;
    };
    struct record {
        snowflake user;
        std::chrono::system_clock::time_point issued_at;
        std::chrono::system_clock::time_point expires_at;
        std::unique_ptr<settled> outcome;
        std::vector<std::uint64_t> waiters; // ids in waiters_
        std::vector<std::shared_ptr<answer_channel>> followers;
    };
    struct waiter {
        result_receiver_ptr receiver;
        std::string nonce;
        deadline_index::iterator deadline;
    };

    pending_authorizations(asio::any_io_executor ex, std::size_t max_pending);

    // Called with mutex_ held.
    record& enrol(const state_claims& claims);
    void purge(std::chrono::system_clock::time_point now);
    std::vector<result_receiver_ptr> take_waiters(record& r);
    result_receiver_ptr detach(std::unordered_map<std::uint64_t, waiter>::iterator w);
    result_receiver_ptr remove_waiter(std::unordered_map<std::uint64_t, waiter>::iterator w);
    void arm_timer();

    void on_timer();
    void cancel_wait(std::uint64_t id);

    asio::any_io_executor executor_;
    std::size_t max_pending_;
    std::mutex mutex_;
    std::unordered_map<std::string, record> records_; // by state nonce
    std::size_t pending_ = 0;                          // records without an answer
    bool closed_ = false;
    std::unordered_map<std::uint64_t, waiter> waiters_;
    deadline_index deadlines_;
    std::uint64_t next_waiter_ = 0;
    std::optional<asio::steady_timer> timer_;
    std::optional<steady::time_point> timer_armed_for_;
};

} // namespace discord::oauth2::web
