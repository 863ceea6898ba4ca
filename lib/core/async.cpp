// What an operation's exception becomes when it completes a handler (async.hpp).
#include <discord/oauth2/async.hpp>

#include <asio/error.hpp>

#include <new>

namespace discord::oauth2::detail {

std::error_code error_code_of(const std::exception_ptr& failure, error_details* details, std::string* message) noexcept
{
    if (!failure)
        return {};
    try {
        std::rethrow_exception(failure);
    } catch (const error& e) {
        try {
            if (details) {
                details->discord_code = e.discord_code();
                details->description = std::string(e.description());
                details->retry_after = e.retry_after();
                details->field_errors = e.field_errors();
            }
            if (message)
                *message = e.what();
        } catch (...) {
            // Out of memory while copying the details: the code still says what failed.
        }
        return e.code();
    } catch (const std::system_error& e) {
        if (e.code() == asio::error::operation_aborted)
            return make_error_code(errc::cancelled);
        if (message)
            try {
                *message = e.what();
            } catch (...) {
            }
        return e.code();
    } catch (const std::bad_alloc&) {
        return std::make_error_code(std::errc::not_enough_memory);
    } catch (...) {
        return make_error_code(errc::transport);
    }
}

} // namespace discord::oauth2::detail
