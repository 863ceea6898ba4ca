#!/usr/bin/env python3
"""Extracts every C++ block of README.md and docs/*.md into two translation units.

    extract_code.py SOURCE_ROOT FRAGMENTS_CPP PROGRAMS_CPP

Each ```cpp block must follow a marker, an HTML comment (invisible on GitHub) that says what the
block is and what it needs around it:

    <!-- compiled: program; args: 80351110224678912; expect: connections; refused: no grant -->
        A complete program. All programs are linked into one executable (each in a namespace, its
        main renamed) that runs one by name; tests/docs_code_test.cpp runs each against the
        emulator twice: once opening every link it prints as the user `args` names (the output
        must contain `expect`), once as another Discord account (the output must contain
        `refused`). Both runs must exit 0.
    <!-- compiled: coroutine(PARAMETERS) -->
        Statements in the body of `asio::awaitable<void> f(PARAMETERS)`.
    <!-- compiled: function(PARAMETERS) -->
        Statements in the body of `void f(PARAMETERS)`.
    <!-- compiled: declarations -->
        Declarations at namespace scope.
    <!-- compiled: excerpt(examples/dpp_bot.cpp) -->
        Lines quoted from a file the build compiles and a test runs (code for a framework that
        only some builds have, such as D++): each non-blank line of the block, stripped, must be
        a line of that file, in the same order. Not compiled again here. A ```python block is
        accepted only with this marker (examples/serve_bot.py, run by examples_test).

A fragment's marker may add `around: CODE`: a declaration placed before it in its namespace,
such as `around: using namespace discord::oauth2`.

Fragments see tests/docs/context.hpp: every public header, the private headers the internals
documents describe, and the few names a fragment may assume (`my_task`). They are
compiled, not run. `#line` directives make a compiler's error name the Markdown file and line.
A block without a marker, or with one not understood, stops the build naming its line.
"""
import glob
import os
import re
import sys

FENCE = re.compile(r"^```(cpp|c\+\+|python)\s*$")  # python: only as an excerpt of a file
MARKER = re.compile(r"^<!--\s*compiled:\s*(.*?)\s*-->\s*$")


class MarkdownError(Exception):
    pass


def blocks(path):
    """Yields (marker text, first code line number, code) for each C++ (or python excerpt) block of `path`."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        if FENCE.match(lines[i]):
            start = i
            j = start - 1
            while j >= 0 and not lines[j].strip():
                j -= 1
            marker = MARKER.match(lines[j]) if j >= 0 else None
            end = start + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            if end == len(lines):
                raise MarkdownError(f"{path}:{start + 1}: a C++ block that never ends")
            if not marker:
                raise MarkdownError(f"{path}:{start + 1}: a C++ block without a <!-- compiled: ... --> marker "
                                    "before it (tests/docs/extract_code.py says which)")
            yield marker.group(1), start + 2, "\n".join(lines[start + 1:end])
            i = end
        i += 1


def parse_marker(text, where):
    kind, _, rest = text.partition(";")
    kind = kind.strip()
    options = {}
    for part in rest.split(";"):
        if part.strip():
            key, sep, value = part.partition(":")
            if not sep:
                raise MarkdownError(f"{where}: marker option '{part.strip()}' is not 'name: value'")
            options[key.strip()] = value.strip()
    call = re.fullmatch(r"(coroutine|function)\((.*)\)", kind)
    if call:
        return call.group(1), call.group(2), options
    excerpt = re.fullmatch(r"excerpt\((.+)\)", kind)
    if excerpt:
        return "excerpt", excerpt.group(1).strip(), options
    if kind in ("program", "declarations"):
        return kind, "", options
    raise MarkdownError(f"{where}: marker '{text}' is not program, coroutine(...), function(...), "
                        "declarations or excerpt(...)")


def check_excerpt(root, source, code, where):
    """Raises unless every non-blank line of `code` is a line of `source`, in order."""
    try:
        with open(os.path.join(root, source), encoding="utf-8") as f:
            file_lines = [line.strip() for line in f.read().split("\n")]
    except OSError:
        raise MarkdownError(f"{where}: excerpt of {source}, which cannot be read")
    at = 0
    for line in code.split("\n"):
        wanted = line.strip()
        if not wanted:
            continue
        try:
            at = file_lines.index(wanted, at) + 1
        except ValueError:
            raise MarkdownError(f"{where}: '{wanted}' is not a line of {source} (after the lines before it)")


def c_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def params_is_cpp(path, line):
    """Whether the fence before code line `line` (1-based) of `path` opens a C++ block."""
    with open(path, encoding="utf-8") as f:
        fence = f.read().split("\n")[line - 2]
    return not fence.strip().endswith("python")


def main():
    root, fragments_path, programs_path = sys.argv[1:4]
    sources = [os.path.join(root, "README.md")] + sorted(glob.glob(os.path.join(root, "docs", "*.md")))
    header = "// Generated by tests/docs/extract_code.py from README.md and docs/*.md: edit those.\n"
    fragments = [header, '#include "docs/context.hpp"\n']
    program_includes = set()
    program_bodies = []
    programs = []
    count = 0
    try:
        for path in sources:
            shown = os.path.relpath(path, root)
            for marker, line, code in blocks(path):
                where = f"{shown}:{line - 1}"
                kind, params, options = parse_marker(marker, where)
                if kind == "excerpt":
                    check_excerpt(root, params, code, where)
                    continue
                if not params_is_cpp(path, line):
                    raise MarkdownError(f"{where}: a python block can only be an excerpt(...) of a file")
                count += 1
                name = f"{shown.replace('/', '_').replace('.', '_').replace('-', '_')}_{line}"
                line_directive = f'#line {line} "{path}"\n'
                if kind == "program":
                    kept = []
                    for code_line in code.split("\n"):
                        if code_line.startswith("#include"):
                            program_includes.add(code_line.strip())
                            kept.append("")  # keeps the line numbers
                        else:
                            kept.append(code_line)
                    body = re.sub(r"\bint\s+main\s*\(", "int main_(", "\n".join(kept))
                    if body == "\n".join(kept):
                        raise MarkdownError(f"{where}: a program without int main(")
                    program_bodies.append(f"namespace {name} {{\n{line_directive}{body}\n}} // namespace {name}\n")
                    programs.append((name, shown, options))
                    continue
                around = f"{options['around']};\n" if "around" in options else ""
                if kind == "declarations":
                    text = f"{around}{line_directive}{code}\n"
                else:
                    signature = f"asio::awaitable<void> fragment({params})" if kind == "coroutine" \
                        else f"void fragment({params})"
                    # At the margin, as the fragment's own statements are: indented, it would follow
                    # a fragment's last loop as if it were its body (clang: misleading indentation).
                    tail = "co_return;\n" if kind == "coroutine" else ""
                    text = f"{around}{signature}\n{{\n{line_directive}{code}\n{tail}}}\n"
                fragments.append(f"namespace {name} {{\n{text}}} // namespace {name}\n")
    except MarkdownError as e:
        print(e, file=sys.stderr)
        return 1

    table = ",\n".join(
        f"    {{{c_string(name)}, {c_string(shown)}, &call<&{name}::main_>, {c_string(o.get('args', ''))}, "
        f"{c_string(o.get('expect', ''))}, {c_string(o.get('refused', ''))}}}"
        for name, shown, o in programs)
    runner = f"""
namespace docs_programs {{

template <auto Main>
int call(int argc, char** argv)
{{
    if constexpr (requires {{ Main(argc, argv); }})
        return Main(argc, argv);
    else
        return Main();
}}

struct program {{
    const char* name;
    const char* source;
    int (*run)(int, char**);
    const char* args;
    const char* expect;
    const char* refused;
}};

const program all[] = {{
{table}
}};

}} // namespace docs_programs

// docs_programs --list: one line per program: name, source, args, expect, refused (tab-separated).
// docs_programs NAME [ARGS...]: runs that program with ARGS.
int main(int argc, char** argv)
{{
    std::string_view first = argc > 1 ? argv[1] : "";
    for (const auto& p : docs_programs::all) {{
        if (first == "--list")
            std::printf("%s\\t%s\\t%s\\t%s\\t%s\\n", p.name, p.source, p.args, p.expect, p.refused);
        else if (first == p.name)
            return p.run(argc - 1, argv + 1);
    }}
    if (first == "--list")
        return 0;
    std::fprintf(stderr, "docs_programs: no program named '%s' (--list names them)\\n", argv[argc > 1 ? 1 : 0]);
    return 2;
}}
"""
    program_text = header + "\n".join(sorted(program_includes)) + "\n#include <cstdio>\n#include <string_view>\n\n" \
        + "\n".join(program_bodies) + runner
    write_if_changed(fragments_path, "\n".join(fragments))
    write_if_changed(programs_path, program_text)
    print(f"{count} C++ blocks: {len(programs)} programs, {count - len(programs)} fragments")
    return 0


if __name__ == "__main__":
    sys.exit(main())
