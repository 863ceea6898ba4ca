#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <sys/resource.h>

int main(int argc, char** argv)
{
    // Concurrency tests open a few thousand loopback sockets; the soft limit is often 1024.
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    doctest::Context context(argc, argv);
    return context.run();
}
