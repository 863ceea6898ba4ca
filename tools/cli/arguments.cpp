#include "arguments.hpp"

#include <algorithm>

namespace cli {

std::optional<std::string> arguments::value(std::string_view name) const
{
    auto it = options.find(name);
    if (it == options.end() || it->second.empty())
        return std::nullopt;
    return it->second.front();
}

std::vector<std::string> arguments::words_of(std::string_view name) const
{
    auto it = options.find(name);
    return it == options.end() ? std::vector<std::string>{} : it->second;
}

std::vector<std::string> arguments::list(std::string_view name) const
{
    std::vector<std::string> out;
    auto it = options.find(name);
    if (it == options.end())
        return out;
    for (const auto& word : it->second) {
        std::size_t start = 0;
        while (start <= word.size()) {
            auto end = word.find_first_of(" ,", start);
            if (end == std::string::npos)
                end = word.size();
            if (end > start)
                out.push_back(word.substr(start, end - start));
            start = end + 1;
        }
    }
    return out;
}

arguments parse_arguments(const std::vector<std::string>& args, const std::vector<option_spec>& known)
{
    arguments parsed;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view arg = args[i];
        if (!arg.starts_with("--") || arg == "--") {
            parsed.words.emplace_back(arg);
            continue;
        }
        arg.remove_prefix(2);
        std::optional<std::string> inline_value;
        if (auto eq = arg.find('='); eq != std::string_view::npos) {
            inline_value = std::string(arg.substr(eq + 1));
            arg = arg.substr(0, eq);
        }
        auto spec = std::find_if(known.begin(), known.end(), [&](const option_spec& s) { return s.name == arg; });
        if (spec == known.end())
            throw usage_error("unknown option --" + std::string(arg));
        auto& values = parsed.options[std::string(arg)];
        switch (spec->kind) {
        case option_kind::flag:
            if (inline_value)
                throw usage_error("--" + std::string(arg) + " takes no value");
            break;
        case option_kind::value:
            if (!values.empty())
                throw usage_error("--" + std::string(arg) + " is given more than once");
            if (inline_value) {
                values.push_back(*inline_value);
            } else {
                if (i + 1 >= args.size() || args[i + 1].starts_with("--"))
                    throw usage_error("--" + std::string(arg) + " needs a value");
                values.push_back(args[++i]);
            }
            if (values.back().empty())
                throw usage_error("--" + std::string(arg) + " needs a non-empty value");
            break;
        case option_kind::list:
            if (inline_value)
                values.push_back(*inline_value);
            while (i + 1 < args.size() && !args[i + 1].starts_with("--"))
                values.push_back(args[++i]);
            if (values.empty())
                throw usage_error("--" + std::string(arg) + " needs at least one value");
            break;
        }
    }
    return parsed;
}

} // namespace cli
