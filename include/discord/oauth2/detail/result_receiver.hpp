// The completion handler of web_server::async_wait_for_access_token, type-erased so that the
// server can keep any number of waiters of any handler type without knowing them.
#pragma once

#include <discord/oauth2/detail/asio_config.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/associated_executor.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>

#include <exception>
#include <memory>
#include <utility>

namespace discord::oauth2::detail {

template <class Result>
struct result_receiver {
    virtual ~result_receiver() = default;
    /// Consumes the receiver: the handler runs on its own executor, never inside the caller.
    virtual void deliver(std::exception_ptr failure, Result result) = 0;
};

template <class Result, class Handler>
class result_receiver_for final : public result_receiver<Result> {
public:
    result_receiver_for(Handler h, const asio::any_io_executor& fallback)
        : handler_(std::move(h)),
          work_(asio::prefer(asio::get_associated_executor(handler_, fallback), asio::execution::outstanding_work.tracked))
    {
    }

    void deliver(std::exception_ptr failure, Result result) override
    {
        auto executor = std::move(work_);
        asio::post(executor, [h = std::move(handler_), failure, r = std::move(result)]() mutable {
            std::move(h)(failure, std::move(r));
        });
    }

private:
    Handler handler_;
    asio::any_io_executor work_; // keeps the handler's context running while it waits
};

} // namespace discord::oauth2::detail
