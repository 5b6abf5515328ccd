"""What the binaries read, taken from the C sources at test time.

Each service binary (the `oi_service(<dir> <binary>)` lines of CMakeLists.txt) is built from
services/<dir>/*.c plus libcommon/src/*.c, so the variables it reads are the
oi_config_str/oi_config_str_required/oi_config_int/oi_config_bool("NAME", default...) and
getenv("NAME") calls in those files. A getenv() of a computed name is resolved through the
"%s_SUFFIX" format strings of the same file (e.g. "%s_TRUNK_ADDRESS" -> any PROVIDER_TRUNK_ADDRESS).
"""

import os
import re
from dataclasses import dataclass, field

CONFIG_CALL = re.compile(
    r'\boi_config_(str_required|str|int|bool)\s*\(\s*[^,()]+,\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*'
    r'(?:,\s*((?:[^,()"]|"(?:[^"\\]|\\.)*"|\([^()]*\))+))?')
INT_CALL = re.compile(
    r'\boi_config_int\s*\(\s*[^,()]+,\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*,\s*[^,()]+,\s*([^,()]+?)\s*,\s*([^,()]+?)\s*\)')
# limits.h / stdint.h names a bound may be spelled with
C_LIMITS = {'INT_MAX': 2**31 - 1, 'INT32_MAX': 2**31 - 1, 'INT64_MAX': 2**63 - 1, 'LLONG_MAX': 2**63 - 1,
            'LONG_MAX': 2**63 - 1, 'UINT16_MAX': 65535, 'INT_MIN': -2**31, 'INT64_MIN': -2**63}
BOOL_WORDS = {'1', 'true', 'yes', '0', 'false', 'no'}  # what oi_config_bool accepts (config.c)
GETENV_LITERAL = re.compile(r'\b(?:secure_)?getenv\s*\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\)')
GETENV_COMPUTED = re.compile(r'\b(?:secure_)?getenv\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)')
SUFFIX_FORMAT = re.compile(r'"%s(_[A-Z0-9_]+)"')
# the file that implements oi/config.h itself: its getenv(name) takes the callers' names
CONFIG_IMPL = re.compile(r'^[^\s#].*\boi_config_str\s*\(\s*oi_config_t\s*\*', re.M)
SERVICE_LINE = re.compile(r'^\s*oi_service\(\s*([A-Za-z0-9_.-]+)\s+([A-Za-z0-9_.-]+)', re.M)


@dataclass
class Var:
    name: str
    kind: str                 # str, int, bool, env (plain getenv)
    required: bool = False
    default: object = None    # parsed default (int, str, bool) or None when unknown/absent
    files: set = field(default_factory=set)
    lo: object = None         # oi_config_int bounds, None when not a literal
    hi: object = None

    def invalid(self, value):
        """Why the binary would reject value (oi_config_fail), or None. Empty means the default."""
        if value is None or value == '':
            return None
        if self.kind == 'bool' and value not in BOOL_WORDS:
            return f'{value!r} is not one of {sorted(BOOL_WORDS)}'
        if self.kind == 'int':
            if not re.fullmatch(r'[-+]?[0-9]+', value):
                return f'{value!r} is not a decimal integer'
            n = int(value)
            if (self.lo is not None and n < self.lo) or (self.hi is not None and n > self.hi):
                return f'{n} is outside [{self.lo}, {self.hi}]'
        return None


@dataclass
class Binary:
    name: str                 # e.g. oi-gateway
    src_dir: str              # e.g. services/gateway (relative to the repo root)
    vars: dict = field(default_factory=dict)       # name -> Var
    patterns: list = field(default_factory=list)   # compiled regexes for computed names
    unresolved: list = field(default_factory=list)  # "file: getenv(x)" we could not resolve

    def reads(self, name):
        return name in self.vars or any(p.fullmatch(name) for p in self.patterns)

    def default(self, name):
        v = self.vars.get(name)
        return v.default if v else None


def strip_comments(text):
    """Removes C comments, leaving string and character literals intact."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in '"\'':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            i = n if j < 0 else j + 2
            out.append(' ')
        elif text.startswith('//', i):
            j = text.find('\n', i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def parse_default(kind, raw):
    if raw is None:
        return None
    raw = raw.strip()
    if kind == 'int':
        try:
            return int(raw, 0)
        except ValueError:
            return None
    if kind == 'bool':
        return {'true': True, 'false': False}.get(raw)
    m = re.fullmatch(r'"((?:[^"\\]|\\.)*)"', raw)
    return m.group(1) if m else None


def parse_bound(raw):
    raw = raw.strip()
    if raw in C_LIMITS:
        return C_LIMITS[raw]
    try:
        return int(raw.rstrip('uUlL'), 0)
    except ValueError:
        return None


def scan_file(path, rel, binary):
    with open(path, encoding='utf-8', errors='replace') as f:
        text = strip_comments(f.read())
    for m in CONFIG_CALL.finditer(text):
        kind, name, raw = m.group(1), m.group(2), m.group(3)
        required = kind == 'str_required'
        kind = 'str' if required else kind
        v = binary.vars.setdefault(name, Var(name, kind))
        v.required = v.required or required
        if v.default is None:
            v.default = parse_default(kind, raw)
        v.files.add(rel)
    for m in INT_CALL.finditer(text):
        v = binary.vars.get(m.group(1))
        if v is not None:
            lo, hi = parse_bound(m.group(2)), parse_bound(m.group(3))
            v.lo = lo if v.lo is None or (lo is not None and lo > v.lo) else v.lo
            v.hi = hi if v.hi is None or (hi is not None and hi < v.hi) else v.hi
    for m in GETENV_LITERAL.finditer(text):
        v = binary.vars.setdefault(m.group(1), Var(m.group(1), 'env'))
        v.files.add(rel)
    computed = [m.group(1) for m in GETENV_COMPUTED.finditer(text)]
    if computed and not CONFIG_IMPL.search(text):
        suffixes = SUFFIX_FORMAT.findall(text)
        for s in suffixes:
            binary.patterns.append(re.compile(r'[A-Z][A-Z0-9]*' + re.escape(s)))
        if not suffixes:
            binary.unresolved.extend(f'{rel}: getenv({c})' for c in computed)


def c_files(root, rel_dir):
    d = os.path.join(root, rel_dir)
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(rel_dir, f) for f in os.listdir(d) if f.endswith('.c'))


def load_binaries(root):
    """{binary name: Binary} for every oi_service() of CMakeLists.txt."""
    with open(os.path.join(root, 'CMakeLists.txt'), encoding='utf-8') as f:
        cmake = f.read()
    common = c_files(root, 'libcommon/src')
    binaries = {}
    for src, name in SERVICE_LINE.findall(cmake):
        b = Binary(name=name, src_dir='services/' + src)
        for rel in c_files(root, b.src_dir) + common:
            scan_file(os.path.join(root, rel), rel, b)
        binaries[name] = b
    return binaries


def migrations_dir(root, binary):
    """The repo-relative migrations directory of a binary, or None if it has no *.sql."""
    rel = binary.src_dir + '/migrations'
    d = os.path.join(root, rel)
    if os.path.isdir(d) and any(f.endswith('.sql') for f in os.listdir(d)):
        return rel
    return None
