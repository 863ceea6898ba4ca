// The complete programs in README.md and docs/*.md (extracted by tests/docs/extract_code.py into
// DOCS_PROGRAMS), each run against the emulator program twice: once with every link it prints
// opened by the user it was made for (the output must say what its marker expects), once opened
// by another Discord account, which the web server refuses (the program must still end cleanly
// and say what its marker's `refused` says). The fragments are compiled by the build.
#include "support/example_runner.hpp"

#include <doctest/doctest.h>

#include <sstream>

namespace {

struct program {
    std::string name, source, args, expect, refused;
};

std::vector<program> programs()
{
    auto listed = test::run_program(DOCS_PROGRAMS, {"--list"});
    REQUIRE(listed.exit_code == 0);
    std::vector<program> out;
    std::istringstream lines(listed.out);
    for (std::string line; std::getline(lines, line);) {
        std::vector<std::string> fields;
        std::istringstream columns(line);
        for (std::string field; std::getline(columns, field, '\t');)
            fields.push_back(field);
        fields.resize(5);
        out.push_back({fields[0], fields[1], fields[2], fields[3], fields[4]});
    }
    return out;
}

// Runs one program, opening the links it prints (to the emulator's consent page) as `user`.
test::run_result run(const program& p, const std::string& user)
{
    test::emulator_program discord(EMULATOR_PROGRAM);
    std::vector<std::string> args{p.name};
    std::istringstream words(p.args);
    for (std::string word; words >> word;)
        args.push_back(word);
    auto authorize = discord.base + "/oauth2/authorize?";
    return test::run_opening_links(discord, DOCS_PROGRAMS, args, 1, [&](const std::string& line) {
        std::optional<test::link_to_open> link;
        if (line.starts_with(authorize))
            link = test::link_to_open{line, user};
        return link;
    });
}

} // namespace

TEST_CASE("the documentation's complete programs run against the emulator")
{
    auto all = programs();
    REQUIRE_FALSE(all.empty());
    for (const auto& p : all) {
        CAPTURE(p.source);
        REQUIRE_FALSE(p.expect.empty());
        REQUIRE_FALSE(p.refused.empty());
        std::istringstream words(p.args);
        std::string user;
        words >> user; // the first argument is the user the program asks
        REQUIRE_FALSE(user.empty());

        auto authorized = run(p, user);
        INFO(authorized.out << authorized.err);
        CHECK(authorized.exit_code == 0);
        CHECK(authorized.page_statuses == std::vector<int>{200});
        CHECK(authorized.out.find(p.expect) != std::string::npos);

        // xiaolong, another account of the emulator's world, answers the link made for `user`.
        auto refused = run(p, user == "613425648685547541" ? "80351110224678912" : "613425648685547541");
        INFO(refused.out << refused.err);
        CHECK(refused.exit_code == 0);
        REQUIRE(refused.page_statuses.size() == 1);
        CHECK(refused.page_statuses[0] != 200);
        CHECK(refused.out.find(p.refused) != std::string::npos);
    }
}
