"""The manual says what the code does.

Fails when man/dbbackupfs.1, man/dbbackupfs.conf.5 or README.md drift from
the code: every configuration key the code accepts (common_keys in
src/core/catalog.c, each kind's config_keys in src/providers/*.c) with its
default and range, every provider kind and what it can do, every option of
--help, every extended attribute, .stats field, log field, provider error
code and environment variable, the constants the man pages quote, and that
groff renders both pages without a warning.

Everything is read from the C source and the binary at test time; nothing
is mounted. DBB_BINARY names the binary (default build/dbbackupfs).
"""
import os
import re
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BINARY = os.environ.get("DBB_BINARY", os.path.join(ROOT, "build", "dbbackupfs"))
MAN1 = os.path.join(ROOT, "man", "dbbackupfs.1")
MAN5 = os.path.join(ROOT, "man", "dbbackupfs.conf.5")
README = os.path.join(ROOT, "README.md")
PAGES = (MAN1, MAN5)


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return f.read()


def provider_sources():
    """The sources that define provider kinds: what a user can configure."""
    directory = os.path.join(ROOT, "src", "providers")
    sources = {name: read("src", "providers", name)
               for name in sorted(os.listdir(directory)) if name.endswith(".c")}
    return {name: source for name, source in sources.items()
            if re.search(r"const struct provider_kind \w+ = \{", source)}


# ---- reading C ---------------------------------------------------------------

def strip_comments(source):
    """The source without comments; string literals (URLs hold "//") kept."""
    return re.sub(r'"(?:[^"\\\n]|\\.)*"|/\*.*?\*/|//[^\n]*',
                  lambda m: m.group(0) if m.group(0).startswith('"') else " ",
                  source, flags=re.S)


def c_strings(text):
    return re.findall(r'"((?:[^"\\]|\\.)*)"', text)


def c_array(source, name):
    """The string literals of `name[] = { ... };`."""
    match = re.search(r"\b%s\s*\[\s*\]\s*=\s*\{(.*?)\};" % re.escape(name), source, re.S)
    assert match, "no array %s" % name
    return c_strings(match.group(1))


def c_defines(source):
    """Single-line object-like macros: name -> replacement text."""
    return {m.group(1): m.group(2).strip()
            for m in re.finditer(r"^#define[ \t]+(\w+)[ \t]+([^\\\n]+)$", source, re.M)}


def c_macros(source):
    """Multi-line macros (bodies continued with backslashes): name -> body."""
    return {m.group(1): m.group(2)
            for m in re.finditer(r"^#define[ \t]+(\w+)[ \t]*\\\n((?:[^\n]*\\\n)*[^\n]*)",
                                 source, re.M)}


def c_eval(expression, defines):
    """An integer constant expression of the source, macros expanded."""
    for _ in range(10):
        expanded = re.sub(r"\b[A-Za-z_]\w*\b",
                          lambda m: "(%s)" % defines[m.group(0)]
                          if m.group(0) in defines else m.group(0), expression)
        if expanded == expression:
            break
        expression = expanded
    expression = re.sub(r"(\d+)[uUlL]+\b", r"\1", expression)
    assert re.fullmatch(r"[\d\s+\-*/()<>]+", expression), "cannot evaluate " + expression
    return int(eval(expression))  # digits and operators only, checked above


def typed_getters(source):
    """key -> (getter, default, min, max) for config_get_uint/duration_ms calls."""
    defines = c_defines(source)
    found = {}
    pattern = (r'config_get_(uint|duration_ms)\(\s*\w+,\s*\w+,\s*"(\w+)",\s*([^,]+),'
               r"\s*([^,]+),\s*([^,]+),")
    for m in re.finditer(pattern, strip_comments(source)):
        found[m.group(2)] = (m.group(1),) + tuple(c_eval(e, defines) for e in m.group(3, 4, 5))
    return found


def format_duration(ms):
    """As config.c writes a bound: the largest exact unit."""
    for unit, size in (("h", 3600000), ("m", 60000), ("s", 1000)):
        if ms % size == 0 and (ms or unit == "s"):
            return "%d%s" % (ms // size, unit)
    return "%dms" % ms


def format_value(getter, value):
    return format_duration(value) if getter == "duration_ms" else str(value)


def seconds_text(ms):
    return "%d s" % (ms // 1000) if ms % 1000 == 0 else "%d ms" % ms


class Kind:
    def __init__(self, name, source, body):
        self.name = name
        self.source = source
        keys = re.search(r"\.config_keys\s*=\s*(\w+)", body)
        self.keys = c_array(source, keys.group(1)) if keys else []
        endpoint = re.search(r'\.default_endpoint\s*=\s*"([^"]*)"', body)
        region = re.search(r'\.default_region\s*=\s*"([^"]*)"', body)
        self.default_endpoint = endpoint.group(1) if endpoint else None
        self.default_region = region.group(1) if region else None


def kinds_from_source():
    """Every provider_kind defined in src/providers/*.c, macros expanded."""
    kinds = []
    for source in provider_sources().values():
        code = strip_comments(source)
        macros = c_macros(code)
        for m in re.finditer(r"const struct provider_kind \w+ = \{(.*?)\n\};", code, re.S):
            body = m.group(1)
            for macro, expansion in macros.items():
                if re.search(r"\b%s\b" % macro, body):
                    body += "\n" + expansion
            name = re.search(r'\.name\s*=\s*"([^"]+)"', body)
            if name:
                kinds.append(Kind(name.group(1), source, body))
    assert kinds, "no provider kind found in src/providers"
    return kinds


# ---- reading roff -----------------------------------------------------------

ESCAPES = [
    (r"\(aq", "'"), (r"\(dq", '"'), (r"\(ti", "~"), (r"\(ha", "^"), (r"\(bu", "*"),
    (r"\(em", "--"), (r"\(mu", "x"), (r"\(lq", '"'), (r"\(rq", '"'), (r"\-", "-"),
    (r"\&", ""), (r"\%", ""), (r"\c", ""), (r"\^", ""), (r"\e", "\\"),
]
FONT_MACROS = {".B": " ", ".I": " ", ".BR": "", ".RB": "", ".BI": "", ".IB": "",
               ".IR": "", ".RI": ""}
BREAKS = {".TP", ".TQ", ".PP", ".P", ".LP", ".IP", ".SH", ".SS", ".RS", ".RE",
          ".EX", ".EE", ".TS", ".TE", ".nf", ".fi"}


def unescape(text):
    text = re.sub(r"\\f(\[[^\]]*\]|\(..|.)", "", text)
    for escape, plain in ESCAPES:
        text = text.replace(escape, plain)
    return text


def macro_arguments(rest):
    return [a[1:-1] if a.startswith('"') else a
            for a in re.findall(r'"[^"]*"|\S+', rest)]


class Page:
    """A man page as items: (section, subsection, kind, text), kind being
    "term" (the tag of a .TP/.TQ), "text" or "break"."""

    def __init__(self, path):
        self.path = path
        self.source = open(path, encoding="utf-8").read()
        self.items = []
        section = subsection = None
        expecting_term = False
        table = None          # None, "format" or "data"
        for line in self.source.split("\n"):
            if line.startswith('.\\"') or line.startswith("'\\\""):
                continue
            word, _, rest = line.partition(" ")
            if word == ".TS":
                table = "format"
            elif word == ".TE":
                table = None
            elif table == "format":
                if line.rstrip().endswith("."):
                    table = "data"
                continue
            if word == ".SH":
                section, subsection = unescape(" ".join(macro_arguments(rest))), None
            elif word == ".SS":
                subsection = unescape(" ".join(macro_arguments(rest)))
            if word in (".TP", ".TQ"):
                expecting_term = True
            if word in BREAKS:
                if word != ".TQ":
                    self.items.append((section, subsection, "break", ""))
                continue
            if word in FONT_MACROS:
                text = FONT_MACROS[word].join(macro_arguments(rest))
            elif line.startswith("."):
                continue
            else:
                text = line
            if table == "data":
                text = text.replace("T{", "").replace("T}", "").replace(";", " | ")
            text = unescape(text)
            if expecting_term:
                self.items.append((section, subsection, "term", text.strip()))
                expecting_term = False
            else:
                self.items.append((section, subsection, "text", text))

    def sections(self):
        return [s for s in dict.fromkeys(i[0] for i in self.items) if s]

    def subsections(self, section=None):
        return [s for s in dict.fromkeys(i[1] for i in self.items
                                         if section is None or i[0] == section) if s]

    def text(self, section=None, subsection=None):
        return "\n".join(text for s, ss, kind, text in self.items
                         if kind != "break" and (section is None or s == section) and
                         (subsection is None or ss == subsection))

    def terms(self, section=None):
        """term -> the text of its paragraph (.TQ terms share one)."""
        result, pending, body = {}, [], []
        for s, ss, kind, text in self.items + [(None, None, "break", "")]:
            if section is not None and s != section and kind != "break":
                continue
            if kind == "term":
                if body:
                    for term in pending:
                        result[term] = "\n".join(body)
                    pending, body = [], []
                pending.append(text)
            elif kind == "text" and pending:
                body.append(text)
            elif kind == "break" and body:
                for term in pending:
                    result[term] = "\n".join(body)
                pending, body = [], []
        for term in pending:
            result.setdefault(term, "")
        return result

    def section_of_subsection(self, subsection):
        for s, ss, kind, text in self.items:
            if ss == subsection:
                return s
        return None


@pytest.fixture(scope="module")
def man1():
    return Page(MAN1)


@pytest.fixture(scope="module")
def man5():
    return Page(MAN5)


@pytest.fixture(scope="module")
def readme():
    with open(README, encoding="utf-8") as f:
        return f.read()


def flat(text):
    return re.sub(r"\s+", " ", text)


# ---- the binary -------------------------------------------------------------

def run_binary(*arguments):
    if not os.access(BINARY, os.X_OK):
        pytest.skip("no binary at %s (set DBB_BINARY)" % BINARY)
    result = subprocess.run([BINARY] + list(arguments), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=30)
    assert result.returncode == 0, result.stdout
    return result.stdout


@pytest.fixture(scope="module")
def listed_kinds():
    """--list-providers: kind -> {"list": "yes", ...}."""
    lines = run_binary("--list-providers").strip().split("\n")
    header = lines[0].split()
    assert header[:6] == ["KIND", "LIST", "MKDIR", "EXPORT", "CONTENT", "SERVICE"], lines[0]
    kinds = {}
    for line in lines[1:]:
        cells = line.split()
        kinds[cells[0]] = dict(zip(("list", "mkdir", "export", "content"), cells[1:5]))
    assert kinds
    return kinds


def help_options():
    """The options --help shows: "-f", "--help", "-o config", ..."""
    options = []
    for line in run_binary("--help").split("\n"):
        tokens = line.split()
        i = 0
        while i < len(tokens) and tokens[i].startswith("-"):
            token = tokens[i].rstrip(",")
            if token == "-o" and i + 1 < len(tokens):
                options.append("-o " + re.match(r"[a-z_]+", tokens[i + 1]).group(0))
                i += 2
            else:
                options.append(token)
                i += 1
    assert "--help" in options and "-o config" in options, options
    return list(dict.fromkeys(options))


# ---- rendering --------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES, ids=os.path.basename)
@pytest.mark.parametrize("device", ["utf8", "ps"])
def test_groff_renders_without_warnings(page, device):
    if not shutil.which("groff"):
        pytest.skip("groff is not installed")
    result = subprocess.run(["groff", "-t", "-man", "-ww", "-z", "-T" + device, page],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            timeout=60)
    assert result.returncode == 0 and not result.stderr, result.stderr


@pytest.mark.parametrize("page", PAGES, ids=os.path.basename)
def test_man_renders_at_80_columns_without_warnings(page):
    if not shutil.which("man") or not shutil.which("groff"):
        pytest.skip("man or groff is not installed")
    env = dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat")
    result = subprocess.run(["man", "--warnings", "-l", page], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, timeout=60)
    warnings = [line for line in result.stderr.split("\n") if "warning" in line]
    assert result.returncode == 0 and not warnings, result.stderr


def test_pages_carry_the_version(man1):
    version = re.search(r"project\(dbbackupfs VERSION ([\d.]+)", read("CMakeLists.txt"))
    for path in PAGES:
        th = re.search(r"^\.TH .*$", open(path).read(), re.M).group(0)
        assert '"dbbackupfs %s"' % version.group(1) in th, (path, th)


# ---- configuration keys -----------------------------------------------------

def check_default_and_range(where, key, paragraph, getter, default, low, high):
    text = flat(paragraph)
    assert "Default: %s." % format_value(getter, default) in text, (where, key, text)
    assert "Range: %s to %s" % (format_value(getter, low), format_value(getter, high)) \
        in text, (where, key, text)


def test_common_keys_are_exactly_those_of_the_code(man5):
    code = set(c_array(read("src", "core", "catalog.c"), "common_keys"))
    documented = set(man5.terms("COMMON KEYS"))
    assert documented == code, ("undocumented: %s; not in the code: %s"
                                % (sorted(code - documented), sorted(documented - code)))


def test_common_keys_give_the_code_s_defaults_and_ranges(man5):
    terms = man5.terms("COMMON KEYS")
    getters = typed_getters(read("src", "core", "catalog.c"))
    assert {"cache_ttl", "poll_interval", "max_stale", "timeout", "retries",
            "max_rps"} <= set(getters)
    for key, (getter, default, low, high) in getters.items():
        check_default_and_range("COMMON KEYS", key, terms[key], getter, default, low, high)


def test_every_kind_has_a_subsection_with_its_keys(man5):
    for kind in kinds_from_source():
        assert kind.name in man5.subsections(), "no .SS %s in dbbackupfs.conf.5" % kind.name
        section = man5.section_of_subsection(kind.name)
        shared = man5.terms(section)
        own = flat(man5.text(section, kind.name))
        getters = typed_getters(kind.source)
        for key in kind.keys:
            assert key in shared, "%s: key %s is not a term of %s" % (kind.name, key, section)
            assert re.search(r"\b%s\b" % key, own), "%s: key %s not in its .SS" % (
                kind.name, key)
            if key in getters:
                check_default_and_range(kind.name, key, shared[key], *getters[key])
        for term in shared:
            if re.fullmatch(r"[a-z0-9_]+", term):
                assert any(term in k.keys for k in kinds_from_source()), \
                    "%s documents key %s, which no kind accepts" % (section, term)


def test_every_kind_s_defaults_are_documented(man5):
    for kind in kinds_from_source():
        section = flat(man5.text(man5.section_of_subsection(kind.name)))
        for value in (kind.default_endpoint, kind.default_region):
            if value:
                assert value in section, (kind.name, value)


def test_environment_variables_are_documented_in_order(man1, man5):
    secrets = flat(man5.text("SECRETS"))
    environment = man1.text("ENVIRONMENT")
    for name, source in provider_sources().items():
        for array in re.findall(r"\b(\w+_variables)\s*\[\s*\]\s*=", source):
            names = c_array(source, array)
            positions = [secrets.find(n) for n in names]
            assert all(p >= 0 for p in positions), (name, array, names)
            assert positions == sorted(positions), (name, array, "order", names)
            for variable in names:
                assert variable in environment, (name, variable)


# ---- kinds and options ------------------------------------------------------

def test_listed_kinds_are_the_source_s(listed_kinds):
    assert set(listed_kinds) == {k.name for k in kinds_from_source()}


def test_every_kind_appears_in_both_pages_and_the_readme(listed_kinds, man1, man5, readme):
    for kind in listed_kinds:
        for where, text in (("dbbackupfs.1", man1.text()), ("dbbackupfs.conf.5", man5.text()),
                            ("README.md", readme)):
            assert re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(kind), text), (kind, where)


def test_capability_table_matches_list_providers(listed_kinds, man1):
    rows = {}
    for line in man1.text("DESCRIPTION").split("\n"):
        cells = [c.strip() for c in line.split(" | ")]
        if len(cells) == 5 and cells[0] in listed_kinds:
            rows[cells[0]] = dict(zip(("list", "mkdir", "export", "content"), cells[1:]))
    assert rows == listed_kinds


def test_every_help_option_is_in_the_options_section(man1):
    options = flat(man1.text("OPTIONS"))
    for option in help_options():
        if option.startswith("-o "):
            pattern = r"-o %s\b" % re.escape(option[3:])
        else:
            pattern = r"(?<![\w-])%s(?![\w-])" % re.escape(option)
        assert re.search(pattern, options), "%s is not in OPTIONS of dbbackupfs.1" % option


# ---- what the tree shows ----------------------------------------------------

def test_every_attribute_is_documented(man1):
    section = man1.text("EXTENDED ATTRIBUTES")
    names = set(re.findall(r'"(user\.[a-z_.]*)', read("src", "core", "xattrs.c")))
    assert "user.backup.id" in names
    for name in names:
        assert name in section, name


def test_every_stats_field_is_documented(man1):
    source = read("src", "core", "stats.c")
    fields = set()
    for call in re.findall(r"json_pack\((.*?)\);", source, re.S):
        fields.update(s for s in c_strings(call) if re.fullmatch(r"[a-z_]+", s))
    assert "requests_total" in fields and "last_error" in fields
    section = man1.text("STATISTICS")
    for field in fields:
        assert re.search(r"\b%s\b" % field, section), field


def test_every_log_field_is_documented(man1):
    source = read("src", "core", "log.c")
    fields = set(re.findall(r"\b(\w+)=%", source)) | set(re.findall(r'" (\w+)="', source))
    assert {"profile", "errno", "request_id", "remedy"} <= fields
    section = man1.text("LOGGING")
    for field in fields:
        assert field + "=" in section, field
    for level in c_array(source, "level_names"):
        assert level in section, level


def test_every_refused_operation_is_in_the_semantics_table(man1):
    section = man1.text("SEMANTICS")
    directory = os.path.join(ROOT, "src", "fs")
    operations = set()
    for name in os.listdir(directory):
        if name.endswith(".c"):
            operations.update(re.findall(r'refuse\(req, "([^"]+)"',
                                         read("src", "fs", name)))
    assert "unlink" in operations
    for operation in operations:
        assert re.search(r"\b%s\b" % re.escape(operation.split()[0]), section), operation


def test_provider_error_codes_are_documented(man5):
    lines = [flat(line) for line in man5.text().split("\n")]
    for name, source in provider_sources().items():
        for code, errnum in re.findall(r'\{\s*"([\w.]+)",\s*(E[A-Z]+)\s*\}',
                                       strip_comments(source)):
            assert any(re.search(r"(?<![\w.])%s(?![\w.]).*\b%s\b" % (re.escape(code), errnum),
                                 line) for line in lines), (name, code, errnum)


def test_http_status_errnos_are_documented(man1):
    source = read("src", "providers", "http.c")
    function = re.search(r"int http_status_errno\(long status\)\n\{(.*?)\n\}", source, re.S)
    code = {}
    pending = []
    for token in re.findall(r"case (\d+):|return (E[A-Z]+);", function.group(1)):
        if token[0]:
            pending.append(token[0])
        else:
            for status in pending:
                code[status] = token[1]
            pending = []
    text = flat(man1.text("ERRORS"))
    sentence = re.search(r"Otherwise the HTTP status does: ([^;]*)", text)
    assert sentence, "ERRORS lacks the HTTP status sentence"
    documented = {}
    for clause in sentence.group(1).split(","):
        errnum = re.search(r"\bE[A-Z]+\b", clause)
        for status in re.findall(r"\b\d{3}\b", clause):
            documented[status] = errnum.group(0)
    assert documented == code
    assert re.search(r"any other EIO", sentence.group(1))


# ---- numbers the pages quote ------------------------------------------------

def test_network_constants(man1):
    http = read("src", "providers", "http.c")
    defines = c_defines(http)
    network = flat(man1.text("NETWORK"))
    for name in ("BACKOFF_BASE_MS", "BACKOFF_CAP_MS", "RETRY_AFTER_CAP_MS"):
        assert seconds_text(c_eval(name, defines)) in network, name
    connect = c_eval("CONNECT_TIMEOUT_MS", c_defines(read("src", "core", "catalog.c")))
    assert seconds_text(connect) in network
    body = c_eval("DEFAULT_MAX_BODY", defines)
    assert "%d MiB" % (body >> 20) in flat(man1.text("ERRORS"))
    for name, source in provider_sources().items():
        for window in re.findall(r"#define \w+_CLOCK_WINDOW_SECONDS (\d+)", source):
            assert "%s s" % window in network, (name, window)


def test_tree_constants(man1):
    ops = read("src", "fs", "fs.h")
    static = c_defines(ops)["STATIC_TIMEOUT"].rstrip("0").rstrip(".")
    assert "%s s" % static in flat(man1.text("CACHING"))
    limit = c_eval("NAMES_MAX_BYTES", c_defines(read("src", "core", "names.h")))
    assert "%d bytes" % limit in flat(man1.text("NAMES"))
    assert "f_namemax %d" % limit in flat(man1.text("SEMANTICS"))


def test_default_durations_quoted_in_the_command_page(man1):
    getters = typed_getters(read("src", "core", "catalog.c"))
    text = flat(man1.text())
    for key in ("cache_ttl", "poll_interval", "max_stale", "timeout"):
        default = format_duration(getters[key][1])
        spoken = re.sub(r"(\d+)", r"\1 ", default, count=1)
        assert "%s (default %s)" % (key, spoken) in text or \
            "%s= (default %s)" % (key, spoken) in text, (key, spoken)
    for key in ("retries", "max_rps"):
        assert "%s= (default %d)" % (key, getters[key][1]) in text, key


# ---- README -----------------------------------------------------------------

def test_readme_starts_with_the_two_commands(readme):
    first_block = re.search(r"```\n(.*?)```", readme, re.S).group(1)
    assert "scripts/demo.sh" in first_block and "scripts/test.sh" in first_block
    assert "man/dbbackupfs.1" in readme and "man/dbbackupfs.conf.5" in readme
