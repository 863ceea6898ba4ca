#include "web/pending_authorizations.hpp"

#include <discord/oauth2/error.hpp>
#include <discord/oauth2/fmt.hpp>

#include <algorithm>

namespace discord::oauth2::web {

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
    if (closed_)
        throw error(errc::stopped, "the web server has stopped");
    enrol(claims);
}

bool pending_authorizations::begin_callback(const state_claims& claims)
{
    std::lock_guard lock(mutex_);
    try {
        enrol(claims);
        return true;
    } catch (const error&) {
        return false;
    }
}

pending_authorizations::replay pending_authorizations::follow(const state_claims& claims, bool enrol_unknown,
                                                              const asio::any_io_executor& ex)
{
    std::lock_guard lock(mutex_);
    auto it = records_.find(claims.nonce);
    if (it != records_.end() && it->second.outcome)
        return {it->second.outcome->page, nullptr};
    if (it == records_.end() && !enrol_unknown)
        return {};
    auto& r = it != records_.end() ? it->second : enrol(claims);
    auto follower = std::make_shared<answer_channel>(ex, 1);
    r.followers.push_back(follower);
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
        auto it = records_.find(nonce);
        if (it == records_.end())
            return;
        auto& r = it->second;
        if (!r.outcome) {
            --pending_;
            r.outcome = std::make_unique<settled>();
        }
        r.outcome->page = page;
        if (result)
            r.outcome->result = result;
        if (!unshared.empty())
            r.outcome->unshared = std::move(unshared);
        woken = take_waiters(r);
        followers.swap(r.followers);
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

std::optional<authorization_result> pending_authorizations::wait(const state_claims& claims,
                                                                 std::chrono::milliseconds timeout,
                                                                 result_receiver_ptr& receiver,
                                                                 asio::cancellation_slot slot)
{
    std::lock_guard lock(mutex_);
    record* r = nullptr;
    try {
        r = &enrol(claims);
    } catch (const error& e) {
        authorization_result full;
        full.outcome = authorization_outcome::failed;
        full.code = e.code();
        full.description = e.what();
        return full;
    }
    if (r->outcome && r->outcome->result)
        return *r->outcome->result;
    if (closed_) {
        authorization_result stopped;
        stopped.outcome = authorization_outcome::stopped;
        stopped.code = make_error_code(errc::stopped);
        return stopped;
    }
    auto id = ++next_waiter_;
    auto deadline = deadlines_.emplace(steady::now() + timeout, id);
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
    return std::nullopt;
}

std::optional<snowflake> pending_authorizations::unsettled_user(const std::string& nonce)
{
    std::lock_guard lock(mutex_);
    auto it = records_.find(nonce);
    if (it == records_.end() || (it->second.outcome && it->second.outcome->result))
        return std::nullopt;
    return it->second.user;
}

std::vector<std::string> pending_authorizations::unsettled_nonces()
{
    std::vector<std::string> out;
    std::lock_guard lock(mutex_);
    for (const auto& [nonce, r] : records_)
        if (!r.outcome || !r.outcome->result)
            out.push_back(nonce);
    return out;
}

bool pending_authorizations::close()
{
    std::lock_guard lock(mutex_);
    return !std::exchange(closed_, true);
}

void pending_authorizations::end_waiters()
{
    std::vector<result_receiver_ptr> waiting;
    {
        std::lock_guard lock(mutex_);
        for (auto& [nonce, r] : records_) {
            auto taken = take_waiters(r);
            for (auto& w : taken)
                waiting.push_back(std::move(w));
        }
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
        for (auto& [nonce, r] : records_) {
            if (r.user != user || r.issued_at >= before || r.outcome)
                continue;
            auto taken = take_waiters(r);
            for (auto& w : taken)
                waiting.push_back(std::move(w));
        }
    }
    for (auto& w : waiting)
        w->deliver(nullptr, result);
    return waiting.size();
}

std::size_t pending_authorizations::pending()
{
    std::lock_guard lock(mutex_);
    return pending_;
}

std::size_t pending_authorizations::waiting()
{
    std::lock_guard lock(mutex_);
    return waiters_.size();
}

pending_authorizations::record& pending_authorizations::enrol(const state_claims& claims)
{
    if (auto it = records_.find(claims.nonce); it != records_.end())
        return it->second;
    auto now = std::chrono::system_clock::now();
    if (records_.size() >= max_pending_)
        purge(now);
    if (pending_ >= max_pending_)
        throw error(errc::too_many_pending,
                    fmt::format("{} authorizations are pending, the configured maximum; try again later", max_pending_));
    auto& r = records_[claims.nonce];
    r.user = claims.user_id;
    r.issued_at = claims.issued_at;
    r.expires_at = claims.expires_at;
    ++pending_;
    return r;
}

// Drops records whose state has expired and that nobody waits on.
void pending_authorizations::purge(std::chrono::system_clock::time_point now)
{
    for (auto it = records_.begin(); it != records_.end();) {
        if (it->second.expires_at <= now && it->second.waiters.empty() && it->second.followers.empty()) {
            if (!it->second.outcome)
                --pending_;
            it = records_.erase(it);
        } else {
            ++it;
        }
    }
}

std::vector<result_receiver_ptr> pending_authorizations::take_waiters(record& r)
{
    std::vector<result_receiver_ptr> out;
    out.reserve(r.waiters.size());
    for (auto id : r.waiters)
        if (auto w = waiters_.find(id); w != waiters_.end())
            out.push_back(detach(w));
    r.waiters.clear();
    arm_timer();
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

// Arms the timer for the earliest deadline; disarms it when nobody waits, so that it never keeps
// io_context::run() going on its own.
void pending_authorizations::arm_timer()
{
    if (deadlines_.empty()) {
        if (timer_armed_for_) {
            timer_armed_for_.reset();
            timer_->cancel();
        }
        return;
    }
    auto earliest = deadlines_.begin()->first;
    if (timer_armed_for_ && *timer_armed_for_ <= earliest)
        return;
    if (!timer_)
        timer_.emplace(executor_);
    timer_armed_for_ = earliest;
    timer_->expires_at(earliest);
    timer_->async_wait([weak = weak_from_this()](std::error_code ec) {
        if (ec == asio::error::operation_aborted)
            return;
        if (auto self = weak.lock())
            self->on_timer();
    });
}

void pending_authorizations::on_timer()
{
    std::vector<result_receiver_ptr> expired;
    {
        std::lock_guard lock(mutex_);
        timer_armed_for_.reset();
        auto now = steady::now();
        while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
            auto w = waiters_.find(deadlines_.begin()->second);
            if (w == waiters_.end()) {
                deadlines_.erase(deadlines_.begin());
                continue;
            }
            expired.push_back(remove_waiter(w));
        }
        arm_timer();
    }
    authorization_result timed_out;
    timed_out.outcome = authorization_outcome::timed_out;
    timed_out.code = make_error_code(errc::timeout);
    timed_out.description = "no authorization arrived in time";
    for (auto& r : expired)
        r->deliver(nullptr, timed_out);
}

void pending_authorizations::cancel_wait(std::uint64_t id)
{
    result_receiver_ptr cancelled;
    {
        std::lock_guard lock(mutex_);
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
