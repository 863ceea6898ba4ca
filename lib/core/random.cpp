#include "core/random.hpp"

#include "core/base64.hpp"
#include "core/wipe.hpp"

#include <discord/oauth2/error.hpp>

#include <openssl/rand.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

namespace discord::oauth2::random {
namespace {

void from_openssl(unsigned char* out, std::size_t count)
{
    if (count && RAND_bytes(out, static_cast<int>(count)) != 1)
        throw error(errc::transport, "the system's random generator failed");
}

// Set when this thread's pool is destroyed. A thread_local (or, on the main thread, a static)
// destroyed after it may still draw, and must go to OpenSSL, never to the unmapped page. A flag
// of its own, trivially destroyed: a store into the dying pool itself would be dropped as dead.
thread_local bool pool_gone = false;

// Each thread draws from a page of OpenSSL's output, taken a page at a time: RAND_bytes costs
// about 7,000 instructions a call whatever it is asked for, and a link takes three draws (the
// nonce, the PKCE verifier, the state's IV). A byte is handed out once and wiped from the page as
// it goes. The page is MADV_WIPEONFORK, so a forked child finds it zeroed (nothing left) and
// draws afresh rather than repeating its parent's bytes, whichever way it was forked; and
// MADV_DONTDUMP, so a core dump holds none of the bytes still to come. Where the kernel refuses
// either, every draw goes to OpenSSL directly.
class page_pool {
public:
    page_pool() = default;
    page_pool(const page_pool&) = delete;
    page_pool& operator=(const page_pool&) = delete;
    ~page_pool()
    {
        if (page_) {
            core::wipe(page_, size_);
            ::munmap(page_, size_);
        }
        pool_gone = true;
    }

    /// Fills `out` from the page; false when this thread has no page (the kernel refused one).
    bool take(unsigned char* out, std::size_t count)
    {
        if (!page_ && !map())
            return false;
        auto& left = header();
        if (left < count) {
            left = 0; // a refill that fails leaves nothing to hand out, not half-written bytes
            from_openssl(bytes(), capacity());
            left = capacity();
        }
        auto* from = bytes() + (capacity() - left);
        std::memcpy(out, from, count);
        core::wipe(from, count);
        left -= count;
        return true;
    }

private:
    bool map()
    {
        if (refused_)
            return false;
        auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
        void* p = ::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            refused_ = true;
            return false;
        }
        if (::madvise(p, page, MADV_WIPEONFORK) != 0 || ::madvise(p, page, MADV_DONTDUMP) != 0) {
            ::munmap(p, page);
            refused_ = true;
            return false;
        }
        page_ = static_cast<unsigned char*>(p);
        size_ = page;
        header() = 0; // zero-filled already; said for the reader: nothing drawn yet
        return true;
    }
    // The page's first word counts the bytes left, so that the fork's wipe empties it too.
    std::size_t& header() noexcept { return *reinterpret_cast<std::size_t*>(page_); }
    unsigned char* bytes() noexcept { return page_ + sizeof(std::size_t); }
    [[nodiscard]] std::size_t capacity() const noexcept { return size_ - sizeof(std::size_t); }

    unsigned char* page_ = nullptr;
    std::size_t size_ = 0;
    bool refused_ = false;
};

thread_local page_pool pool;

// The most one draw takes from the page; larger ones go to OpenSSL whole.
constexpr std::size_t largest_from_pool = 256;

} // namespace

std::string bytes(std::size_t count)
{
    std::string out(count, '\0');
    auto* data = reinterpret_cast<unsigned char*>(out.data());
    if (count > largest_from_pool || pool_gone || !pool.take(data, count))
        from_openssl(data, count);
    return out;
}

std::string url_safe(std::size_t count)
{
    auto raw = bytes(count);
    auto text = base64::encode_url(raw);
    core::wipe(raw.data(), raw.size());
    return text;
}

} // namespace discord::oauth2::random
