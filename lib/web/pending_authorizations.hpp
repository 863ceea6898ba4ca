// The authorizations a web server knows about, from the link's state to the callback's answer:
// one record per state, the tasks waiting for its result, and the replays that wait for the
// first callback's page. A record lives as long as its link: one timer serves both the waiters'
// deadlines and the links' expiries (records are indexed by when they end, so forgetting one
// costs O(log n), never a scan). A settled record keeps how it ended, never a token: a waiter
// that comes after the callback reads the grant from the token store. Records are capped: links
// (open) at max_pending, and as many again for states only a callback brought (another
// instance's links, the linked roles path's). One mutex guards all of it; nothing here awaits,
// and every handler is called outside the mutex.
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
    /// At most `max_pending` links (pending or settled) and as many states brought only by a
    /// callback are kept; the timer runs on `ex`.
    [[nodiscard]] static std::shared_ptr<pending_authorizations> create(asio::any_io_executor ex,
                                                                        std::size_t max_pending);

    /// How long the page of a replay-only record is kept after its callback: a reload or a
    /// double click of the same callback, not the link's whole lifetime.
    static constexpr std::chrono::seconds replay_window{60};
    /// How long at a time, and how many times, a record whose callback is under way outlives its
    /// link (an exchange may wait out Discord's limits): 10 x 30 s at most.
    static constexpr std::chrono::seconds answering_grace{30};
    static constexpr int max_answering_extensions = 10;

    /// Registers the state of a link just made. Throws `stopped` after close(), and
    /// `too_many_pending` when `max_pending` links are remembered (expired ones are forgotten
    /// first). A state registered already is left as it is.
    void open(const state_claims& claims);

    /// A callback arrived for this state. False when the records are at their cap: the callback
    /// is still served, but its answer is not kept for replays or late waiters. `replay_only`
    /// (a linked roles state, which nobody waits for): its outcome is kept only as the page a
    /// replay of the same callback gets, for replay_window.
    bool begin_callback(const state_claims& claims, bool replay_only = false);

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

    /// The callback's outcome: waiters woken with `result` (its grant included), followers
    /// answered with `page`. Remembered until the link expires: the page, and of `result` how it
    /// ended and for whom (a callback that ends the authorization; without one, only replays are
    /// answered), never its tokens. `unshared` is kept for take_unshared().
    void settle(const std::string& nonce, const answer& page, std::optional<authorization_result> result,
                std::string unshared = {});
    /// The cluster message settle() kept for this state, once.
    [[nodiscard]] std::string take_unshared(const std::string& nonce);

    /// What wait() found.
    struct wait_answer {
        /// The result, at once: a settled state that did not authorize, a closed or full registry.
        std::optional<authorization_result> now;
        /// A settled state that authorized this user: the grant is the token store's.
        std::optional<snowflake> grant_of;
        /// Neither: the receiver was registered (it then gets the result, a timed_out result at
        /// the deadline or when the link expires, or `cancelled` when the slot is emitted).
        [[nodiscard]] bool registered() const noexcept { return !now && !grant_of; }
    };
    /// Waits for the result of this state until `timeout`. Unless the receiver was registered,
    /// `receiver` is left untouched.
    [[nodiscard]] wait_answer wait(const state_claims& claims, std::chrono::milliseconds timeout,
                                   result_receiver_ptr& receiver, asio::cancellation_slot slot);

    /// The user of this state's record while it has no result yet; nullopt when it has one or is
    /// not known here.
    [[nodiscard]] std::optional<snowflake> unsettled_user(const std::string& nonce);
    /// Every state without a result yet (for re-asking the cluster after a gap).
    [[nodiscard]] std::vector<std::string> unsettled_nonces();

    /// No more links (open() throws `stopped`), and the timer no longer waits for links to
    /// expire (it would keep the executor's run() going). False when it was closed already.
    bool close();
    /// Every waiter gets a `stopped` result; later waiters too (after close()).
    void end_waiters();
    /// The waiters of `user`'s states issued before `before` get `result` (the states stay
    /// known: their callback may still come). How many were ended.
    std::size_t end_waiters_of(snowflake user, std::chrono::system_clock::time_point before,
                               const authorization_result& result);

    /// States registered without an answer yet.
    [[nodiscard]] std::size_t pending();
    /// Every record, settled ones included (for tests and benchmarks).
    [[nodiscard]] std::size_t records();
    /// Receivers registered by wait() and not answered yet.
    [[nodiscard]] std::size_t waiting();

    /// Tells `observer` the pending links and the waiters whenever either changes (null: nobody).
    /// Set before the registry is used.
    void observe(std::shared_ptr<metrics_observer> observer);

    /// Takes back from the observer what this registry's links and waiters added.
    ~pending_authorizations();
    pending_authorizations(const pending_authorizations&) = delete;
    pending_authorizations& operator=(const pending_authorizations&) = delete;

private:
    using steady = std::chrono::steady_clock;
    using deadline_index = std::multimap<steady::time_point, std::uint64_t>;
    using expiry_index = std::multimap<steady::time_point, const std::string*>; // to the records' keys

    // How a callback ended, kept until the link expires so that a replayed callback gets the
    // same page and a late waiter the same outcome. Allocated only then: a pending record stays
    // small. No token: a late waiter of an authorized state reads the store.
    struct settled {
        answer page;
        bool has_result = false;
        authorization_outcome outcome = authorization_outcome::failed;
        snowflake user;          // who authorized (outcome authorized)
        std::error_code code;    // why not
        std::string description; // the same for people, bounded
        std::string unshared;
    };
    enum class origin : unsigned char {
        link,       // open(), or wait(): a link of this server's (counts toward max_pending)
        callback,   // a callback or replay brought it (another instance's link)
        replay_only // a linked roles state: only the page, only for replay_window
    };
    struct record {
        snowflake user;
        std::chrono::system_clock::time_point issued_at;
        expiry_index::iterator expiry;
        origin from = origin::link;
        // Its callback is under way (begin_callback, not yet settled): it outlives its link by
        // a grace period, a while at a time, so that an exchange finishing after the link
        // expired still reaches its waiters.
        unsigned char answering_extensions = 0;
        bool answering = false;
        std::unique_ptr<settled> outcome;
        std::vector<std::uint64_t> waiters; // ids in waiters_
        std::vector<std::shared_ptr<answer_channel>> followers;
    };
    using record_map = std::unordered_map<std::string, record>; // by state nonce
    struct waiter {
        result_receiver_ptr receiver;
        std::string nonce;
        deadline_index::iterator deadline;
    };

    pending_authorizations(asio::any_io_executor ex, std::size_t max_pending);

    // Called with mutex_ held.
    record* enrol(const state_claims& claims, origin from);
    // What expired links leave to answer, outside the mutex.
    struct expired_answers {
        std::vector<result_receiver_ptr> waiters;
        std::vector<std::shared_ptr<answer_channel>> followers;
        [[nodiscard]] bool empty() const noexcept { return waiters.empty() && followers.empty(); }
        void deliver();
    };
    void expire(steady::time_point now, expired_answers& answers);
    void forget(record_map::iterator it);
    void reschedule(record& r, steady::time_point when);
    std::vector<result_receiver_ptr> take_waiters(record& r);
    result_receiver_ptr detach(std::unordered_map<std::uint64_t, waiter>::iterator w);
    result_receiver_ptr remove_waiter(std::unordered_map<std::uint64_t, waiter>::iterator w);
    void arm_timer();

    void on_timer();
    void cancel_wait(std::uint64_t id);

    // Called with mutex_ held, at the end of whatever changed the counts: tells the observer
    // what changed since it was last told (a relaxed store each on the observer's side).
    void report();
    struct report_on_exit {
        pending_authorizations& self;
        ~report_on_exit() { self.report(); }
    };

    asio::any_io_executor executor_;
    std::size_t max_pending_;
    std::mutex mutex_;
    record_map records_;
    expiry_index expiries_;
    std::size_t pending_ = 0; // records without an answer
    std::size_t links_ = 0;   // records of origin::link
    bool closed_ = false;
    std::unordered_map<std::uint64_t, waiter> waiters_;
    deadline_index deadlines_;
    std::uint64_t next_waiter_ = 0;
    std::optional<asio::steady_timer> timer_;
    std::optional<steady::time_point> timer_armed_for_;
    std::shared_ptr<metrics_observer> observer_;
    std::size_t reported_pending_ = 0;
    std::size_t reported_waiters_ = 0;
};

} // namespace discord::oauth2::web
