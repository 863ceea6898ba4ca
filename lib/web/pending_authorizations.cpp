#include "web/pending_authorizations.hpp"

#include <discord/oauth2/error.hpp>
#include <discord/oauth2/fmt.hpp>

#include <asio/post.hpp>

#include <algorithm>

namespace discord::oauth2::web {
namespace {

authorization_result expired_link()
{
    authorization_result r;
    r.outcome = authorization_outcome::timed_out;
    r.code = make_error_code(errc::state_expired);
    r.description = "the authorization link expired before its callback came";
    return r;
}

} // namespace

std::shared_ptr<pending_authorizations> pending_authorizations::create(asio::any_io_executor ex, std::size_t max_pending)
{
    return std::shared_ptr<pending_authorizations>(new pending_authorizations(std::move(ex), max_pending));
}

pending_authorizations::pending_authorizations(asio::any_io_executor ex, std::size_t max_pending)
    : executor_(std::move(ex)), max_pending_(max_pending)
{
}

void pending_authorizations::open(const state_claims& claims)
{
    std::lock_guard lock(mutex_);
    report_on_exit reported{*this};
    if (closed_)
        throw error(errc::stopped, "the web server has stopped");
    if (!enrol(claims, origin::link))
        throw error(errc::too_many_pending,
                    fmt::format("{} authorization links are remembered until they expire, the configured maximum "
                                "(max_pending); try again later",
                                max_pending_));
}

bool pending_authorizations::begin_callback(const state_claims& claims, bool replay_only)
{
    std::lock_guard lock(mutex_);
    report_on_exit reported{*this};
    auto* r = enrol(claims, replay_only ? origin::replay_only : origin::callback);
    if (r && !r->outcome)
        r->answering = true;
    return r != nullptr;
}

pending_authorizations::replay pending_authorizations::follow(const state_claims& claims, bool enrol_unknown,
                                                              const asio::any_io_executor& ex)
{
    std::lock_guard lock(mutex_);
    report_on_exit reported{*this};
    auto it = records_.find(claims.nonce);
    if (it != records_.end() && it->second.outcome)
        return {it->second.outcome->page, nullptr};
    record* r = it != records_.end() ? &it->second : nullptr;
    if (!r && enrol_unknown)
        r = enrol(claims, origin::callback);
    if (!r)
        return {};
    auto follower = std::make_shared<answer_channel>(ex, 1);
    r->followers.push_back(follower);
    return {std::nullopt, std::move(follower)};
}

void pending_authorizations::unfollow(const std::string& nonce, const std::shared_ptr<answer_channel>& follower)
{
    std::lock_guard lock(mutex_);
    if (auto it = records_.find(nonce); it != records_.end())
        std::erase(it->second.followers, follower);
}

void pending_authorizations::settle(const std::string& nonce, const answer& page,
                                    std::optional<authorization_result> result, std::string unshared)
{
    std::vector<result_receiver_ptr> woken;
    std::vector<std::shared_ptr<answer_channel>> followers;
    {
        std::lock_guard lock(mutex_);
        report_on_exit reported{*this};
        auto it = records_.find(nonce);
        if (it == records_.end())
            return;
        auto& r = it->second;
        if (!r.outcome) {
            --pending_;
            r.outcome = std::make_unique<settled>();
            if (r.from == origin::replay_only)
                reschedule(r, std::min(r.expiry->first, steady::now() + replay_window));
        }
        auto& s = *r.outcome;
        s.page = page;
        if (result && r.from != origin::replay_only) {
            s.has_result = true;
            s.outcome = result->outcome;
            s.user = result->grant ? result->grant->user_id : snowflake{};
            s.code = result->code;
            s.description = result->description;
        }
        if (!unshared.empty())
            s.unshared = std::move(unshared);
        woken = take_waiters(r);
        followers.swap(r.followers);
        arm_timer();
    }
    for (auto& w : woken)
        w->deliver(nullptr, result ? *result : authorization_result{});
    for (auto& f : followers)
        f->try_send(std::error_code{}, page);
}

std::string pending_authorizations::take_unshared(const std::string& nonce)
{
    std::lock_guard lock(mutex_);
    if (auto it = records_.find(nonce); it != records_.end() && it->second.outcome)
        return std::exchange(it->second.outcome->unshared, std::string());
    return {};
}

pending_authorizations::wait_answer pending_authorizations::wait(const state_claims& claims,
                                                                 std::chrono::milliseconds timeout,
                                                                 result_receiver_ptr& receiver,
                                                                 asio::cancellation_slot slot)
{
    std::lock_guard lock(mutex_);
    report_on_exit reported{*this};
    wait_answer answer;
    auto* r = enrol(claims, origin::link);
    if (!r) {
        authorization_result full;
        full.outcome = authorization_outcome::failed;
        full.code = make_error_code(errc::too_many_pending);
        full.description = fmt::format("{} authorization links are remembered, the configured maximum", max_pending_);
        answer.now = std::move(full);
        return answer;
    }
    if (r->outcome && r->outcome->has_result) {
        const auto& s = *r->outcome;
        if (s.outcome == authorization_outcome::authorized) {
            answer.grant_of = s.user;
        } else {
            authorization_result ended;
            ended.outcome = s.outcome;
            ended.code = s.code;
            ended.description = s.description;
            answer.now = std::move(ended);
        }
        return answer;
    }
    if (closed_) {
        authorization_result stopped;
        stopped.outcome = authorization_outcome::stopped;
        stopped.code = make_error_code(errc::stopped);
        answer.now = std::move(stopped);
        return answer;
    }
    auto id = ++next_waiter_;
    // A timeout of years (milliseconds::max()) must not overflow the clock: the link ends first.
    auto deadline = deadlines_.emplace(steady::now() + std::min<std::chrono::milliseconds>(timeout, std::chrono::hours(24 * 365)), id);
    waiters_.emplace(id, waiter{std::move(receiver), claims.nonce, deadline});
    r->waiters.push_back(id);
    arm_timer();
    if (slot.is_connected())
        slot.assign([weak = weak_from_this(), id](asio::cancellation_type type) {
            if (type == asio::cancellation_type::none)
                return;
            if (auto self = weak.lock())
                self->cancel_wait(id);
        });
    return answer;
}

std::optional<snowflake> pending_authorizations::unsettled_user(const std::string& nonce)
{
    std::lock_guard lock(mutex_);
    auto it = records_.find(nonce);
    if (it == records_.end() || it->second.from == origin::replay_only
        || (it->second.outcome && it->second.outcome->has_result))
        return std::nullopt;
    return it->second.user;
}

std::vector<std::string> pending_authorizations::unsettled_nonces()
{
    std::vector<std::string> out;
    std::lock_guard lock(mutex_);
    for (const auto& [nonce, r] : records_)
        if (r.from != origin::replay_only && (!r.outcome || !r.outcome->has_result))
            out.push_back(nonce);
    return out;
}

bool pending_authorizations::close()
{
    std::lock_guard lock(mutex_);
    if (std::exchange(closed_, true))
        return false;
    arm_timer();
    return true;
}

void pending_authorizations::end_waiters()
{
    std::vector<result_receiver_ptr> waiting;
    {
        std::lock_guard lock(mutex_);
        report_on_exit reported{*this};
        for (auto& [nonce, r] : records_) {
            auto taken = take_waiters(r);
            for (auto& w : taken)
                waiting.push_back(std::move(w));
        }
        arm_timer();
    }
    authorization_result stopped;
    stopped.outcome = authorization_outcome::stopped;
    stopped.code = make_error_code(errc::stopped);
    for (auto& w : waiting)
        w->deliver(nullptr, stopped);
}

std::size_t pending_authorizations::end_waiters_of(snowflake user, std::chrono::system_clock::time_point before,
                                                   const authorization_result& result)
{
    std::vector<result_receiver_ptr> waiting;
    {
        std::lock_guard lock(mutex_);
        report_on_exit reported{*this};
        for (auto& [nonce, r] : records_) {
            if (r.user != user || r.issued_at >= before || r.outcome)
                continue;
            auto taken = take_waiters(r);
            for (auto& w : taken)
                waiting.push_back(std::move(w));
        }
        arm_timer();
    }
    for (auto& w : waiting)
        w->deliver(nullptr, result);
    return waiting.size();
}

void pending_authorizations::observe(std::shared_ptr<metrics_observer> observer)
{
    std::lock_guard lock(mutex_);
    observer_ = std::move(observer);
}

void pending_authorizations::report()
{
    if (!observer_)
        return;
    // Changes, not totals: the web servers of one client add up in the observer's gauges.
    auto delta = [](std::size_t now, std::size_t before) {
        return static_cast<std::int64_t>(now) - static_cast<std::int64_t>(before);
    };
    if (pending_ != reported_pending_) {
        observer_->links_pending_changed(delta(pending_, reported_pending_));
        reported_pending_ = pending_;
    }
    if (waiters_.size() != reported_waiters_) {
        observer_->waiters_changed(delta(waiters_.size(), reported_waiters_));
        reported_waiters_ = waiters_.size();
    }
}

pending_authorizations::~pending_authorizations()
{
    // What this registry added to the observer's gauges goes with it.
    if (observer_) {
        observer_->links_pending_changed(-static_cast<std::int64_t>(reported_pending_));
        observer_->waiters_changed(-static_cast<std::int64_t>(reported_waiters_));
    }
}

std::size_t pending_authorizations::pending()
{
    std::lock_guard lock(mutex_);
    return pending_;
}

std::size_t pending_authorizations::records()
{
    std::lock_guard lock(mutex_);
    return records_.size();
}

std::size_t pending_authorizations::waiting()
{
    std::lock_guard lock(mutex_);
    return waiters_.size();
}

pending_authorizations::record* pending_authorizations::enrol(const state_claims& claims, origin from)
{
    if (auto it = records_.find(claims.nonce); it != records_.end()) {
        // A waiter makes a callback's record a link of this server's, when there is room.
        if (from == origin::link && it->second.from == origin::callback && links_ < max_pending_) {
            it->second.from = origin::link;
            ++links_;
        }
        return &it->second;
    }
    // Expired links leave here too: the timer may be late on a busy thread, and after close()
    // it no longer runs for them. Their waiters and followers are answered off the mutex.
    auto steady_now = steady::now();
    if (!expiries_.empty() && expiries_.begin()->first <= steady_now) {
        auto answers = std::make_shared<expired_answers>();
        expire(steady_now, *answers);
        if (!answers->empty())
            asio::post(executor_, [answers] { answers->deliver(); });
    }
    // Links and callback-only states have caps of their own: a flood of callbacks (the linked
    // roles path is open to anyone) never takes the room of the bot's links.
    auto callbacks = records_.size() - links_;
    if (from == origin::link ? links_ >= max_pending_ : callbacks >= max_pending_)
        return nullptr;
    auto now = std::chrono::system_clock::now();
    auto until = steady_now
        + std::chrono::duration_cast<steady::duration>(std::max(claims.expires_at - now, std::chrono::system_clock::duration::zero()));
    auto it = records_.try_emplace(claims.nonce).first;
    auto& r = it->second;
    r.user = claims.user_id;
    r.issued_at = claims.issued_at;
    r.from = from;
    r.expiry = expiries_.emplace(until, &it->first);
    ++pending_;
    links_ += from == origin::link;
    arm_timer();
    return &r;
}

// Forgets every record whose link has expired (its waiters and followers handed back to be
// answered outside the mutex). Each record leaves once, in O(log n).
void pending_authorizations::expire(steady::time_point now, expired_answers& answers)
{
    while (!expiries_.empty() && expiries_.begin()->first <= now) {
        auto it = records_.find(*expiries_.begin()->second);
        auto& r = it->second;
        if (r.answering && !r.outcome && r.answering_extensions < max_answering_extensions) {
            ++r.answering_extensions;
            reschedule(r, now + answering_grace);
            continue;
        }
        auto taken = take_waiters(it->second);
        for (auto& w : taken)
            answers.waiters.push_back(std::move(w));
        for (auto& f : it->second.followers)
            answers.followers.push_back(std::move(f));
        forget(it);
    }
}

void pending_authorizations::expired_answers::deliver()
{
    auto expired = expired_link();
    for (auto& r : waiters)
        r->deliver(nullptr, expired);
    // A replay waiting for a first callback that never answered: it gets the used-link page.
    for (auto& f : followers)
        f->try_send(make_error_code(errc::state_expired), answer{});
}

void pending_authorizations::forget(record_map::iterator it)
{
    auto& r = it->second;
    if (!r.outcome)
        --pending_;
    links_ -= r.from == origin::link;
    expiries_.erase(r.expiry);
    records_.erase(it);
}

void pending_authorizations::reschedule(record& r, steady::time_point when)
{
    const auto* key = r.expiry->second;
    expiries_.erase(r.expiry);
    r.expiry = expiries_.emplace(when, key);
}

std::vector<result_receiver_ptr> pending_authorizations::take_waiters(record& r)
{
    std::vector<result_receiver_ptr> out;
    out.reserve(r.waiters.size());
    for (auto id : r.waiters)
        if (auto w = waiters_.find(id); w != waiters_.end())
            out.push_back(detach(w));
    r.waiters.clear();
    return out;
}

// Takes one waiter out of the waiters and the deadline index (not out of its record's list).
result_receiver_ptr pending_authorizations::detach(std::unordered_map<std::uint64_t, waiter>::iterator w)
{
    deadlines_.erase(w->second.deadline);
    auto receiver = std::move(w->second.receiver);
    waiters_.erase(w);
    return receiver;
}

// Takes one waiter out of the waiters, its deadline and its record.
result_receiver_ptr pending_authorizations::remove_waiter(std::unordered_map<std::uint64_t, waiter>::iterator w)
{
    if (auto r = records_.find(w->second.nonce); r != records_.end())
        std::erase(r->second.waiters, w->first);
    return detach(w);
}

// Arms the timer for the earliest waiter's deadline or link's expiry. After close() only
// waiters count (records then leave as they are next touched), and with nobody waiting and no
// link the timer is disarmed: it never keeps io_context::run() going on its own.
void pending_authorizations::arm_timer()
{
    std::optional<steady::time_point> earliest;
    if (!deadlines_.empty())
        earliest = deadlines_.begin()->first;
    if (!closed_ && !expiries_.empty() && (!earliest || expiries_.begin()->first < *earliest))
        earliest = expiries_.begin()->first;
    if (!earliest) {
        if (timer_armed_for_) {
            timer_armed_for_.reset();
            timer_->cancel();
        }
        return;
    }
    if (timer_armed_for_ && *timer_armed_for_ <= *earliest)
        return;
    if (!timer_)
        timer_.emplace(executor_);
    timer_armed_for_ = *earliest;
    timer_->expires_at(*earliest);
    timer_->async_wait([weak = weak_from_this()](std::error_code ec) {
        if (ec == asio::error::operation_aborted)
            return;
        if (auto self = weak.lock())
            self->on_timer();
    });
}

void pending_authorizations::on_timer()
{
    std::vector<result_receiver_ptr> timed_out_waiters;
    expired_answers expired;
    {
        std::lock_guard lock(mutex_);
        report_on_exit reported{*this};
        timer_armed_for_.reset();
        auto now = steady::now();
        while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
            auto w = waiters_.find(deadlines_.begin()->second);
            if (w == waiters_.end()) {
                deadlines_.erase(deadlines_.begin());
                continue;
            }
            timed_out_waiters.push_back(remove_waiter(w));
        }
        expire(now, expired);
        arm_timer();
    }
    authorization_result timed_out;
    timed_out.outcome = authorization_outcome::timed_out;
    timed_out.code = make_error_code(errc::timeout);
    timed_out.description = "no authorization arrived in time";
    for (auto& r : timed_out_waiters)
        r->deliver(nullptr, timed_out);
    expired.deliver();
}

void pending_authorizations::cancel_wait(std::uint64_t id)
{
    result_receiver_ptr cancelled;
    {
        std::lock_guard lock(mutex_);
        report_on_exit reported{*this};
        auto w = waiters_.find(id);
        if (w == waiters_.end())
            return; // already answered
        cancelled = remove_waiter(w);
        arm_timer();
    }
    cancelled->deliver(std::make_exception_ptr(error(errc::cancelled, "waiting for the access token was cancelled")),
                       authorization_result{});
}

} // namespace discord::oauth2::web
