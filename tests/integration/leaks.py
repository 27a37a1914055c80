"""Secret hygiene helpers (test_secret_hygiene.py): the actual secret values of a sandbox, read from its runtime
directory, and a search of what a run left behind (outputs, logs, task results, records, reports) that says where a
secret showed up without ever printing it."""
import base64
import re
from pathlib import Path

import yaml

from .conftest import is_public, public_certificate_bodies

# A PEM private key of any algorithm (RSA, EC, PKCS#8, encrypted); its body lines are what a leak would show.
PRIVATE_KEY_BLOCK = re.compile(r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----(.*?)-----END \1PRIVATE KEY-----", re.S)
# A body line shorter than this (the last line of a PEM) is too short to tell a leak from a chance match in
# other base64 text such as a certificate; a leaked key shows its full 64-character lines anyway.
MIN_KEY_LINE = 40
# Token files may hold one token, or (a role map some sandboxes keep) several: any string at least this long.
MIN_TOKEN = 16
# Files that are not secrets themselves and are too large to scan for keys (databases, logs of requests).
SKIP_SCAN = re.compile(r"(\.db|\.db-wal|\.db-shm|\.log|\.jsonl)$")
CONTEXT = 40
BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{24,}=*")


def _strings(node):
    """Every string in a YAML/JSON structure, keys included."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, str):
        yield node


def _tokens_in(text):
    """The token(s) of a token file: its one line, or every long string of a structured file."""
    stripped = text.strip()
    if stripped and "\n" not in stripped and ":" not in stripped:
        return [stripped]
    try:
        parsed = yaml.safe_load(stripped)
    except yaml.YAMLError:
        parsed = None
    if isinstance(parsed, (dict, list)):
        return [value.strip() for value in _strings(parsed) if len(value.strip()) >= MIN_TOKEN]
    return [line.strip() for line in stripped.splitlines() if len(line.strip()) >= MIN_TOKEN]


def _kubeconfig_tokens(config):
    """Every credential a kubeconfig's users carry (token, password, client key data, auth-provider tokens)."""
    found = []
    for user in (config or {}).get("users") or []:
        for key, value in ((user or {}).get("user") or {}).items():
            if key in ("token", "password", "client-key-data"):
                found.append((key, value))
            elif isinstance(value, dict):  # auth-provider / exec config
                found.extend((key, text) for text in _strings(value) if len(text) >= MIN_TOKEN)
    return found


class Secrets:
    """The secret values, each with a name that says what it is and which file holds it, never the value. Several
    values may share a name (the lines of one private key); a value found twice (a token in its token file and in
    the kubeconfig) keeps its first name."""

    def __init__(self):
        self.values = {}  # value -> name
        self._public = set()  # certificate bodies (add_runtime_dir)

    def add(self, name, value):
        if isinstance(value, str) and value.strip():
            self.values.setdefault(value.strip(), name)

    def add_password(self, name, password):
        """The password, and its base64 form (how a Secret's data carries it)."""
        self.add(name, password)
        self.add(f"{name} (base64, as in a Secret)", base64.b64encode(password.encode()).decode())

    def add_runtime_dir(self, runtime_dir):
        """Every secret of a sandbox's runtime directory: bearer tokens (token files of each site, whatever their
        role, and every kubeconfig's credentials), kubeconfig texts, the demo admin password, and the body lines
        of every PEM private key (API server CAs and keys, controller CAs, instance mirroring keys)."""
        root = Path(runtime_dir)
        files = [(str(path.relative_to(root)), path) for path in sorted(root.rglob("*")) if path.is_file()]
        self._public = public_certificate_bodies(root)
        # token files first: a token is named after its own file, not after the kubeconfig that also holds it
        for where, path in files:
            if "token" in path.name:
                for token in _tokens_in(path.read_text(errors="replace")):
                    self.add(f"bearer token of {where}", token)
        for where, path in files:
            if "kubeconfig" in path.name:
                self._add_kubeconfig(where, path.read_text(errors="replace"))
            elif path.name == "admin-password":
                self.add_password(f"sandbox admin password ({where})", path.read_text())
            if not SKIP_SCAN.search(path.name) and path.stat().st_size < 1_000_000:
                self._add_private_keys(where, path.read_text(errors="replace"))

    def _add_kubeconfig(self, where, text):
        try:
            config = yaml.safe_load(text)
        except yaml.YAMLError:
            config = None
        for key, value in _kubeconfig_tokens(config if isinstance(config, dict) else {}):
            self.add(f"kubeconfig {key} of {where}", value)
        self.add(f"kubeconfig text {where}", text)

    def _add_private_keys(self, where, text):
        for block, match in enumerate(PRIVATE_KEY_BLOCK.finditer(text)):
            for line in match.group(2).split():
                if len(line) >= MIN_KEY_LINE and ":" not in line and not is_public(line, self._public):
                    # (not an encrypted key's headers, nor a part of the public modulus)
                    self.add(f"private key {where}" + (f" (block {block})" if block else ""), line)

    def names(self):
        return set(self.values.values())

    def count(self, name):
        return sum(1 for value_name in self.values.values() if value_name == name)

    def redact(self, text):
        """The text with every secret value replaced by <its name> (longest values first: a kubeconfig text is
        replaced as a whole before the token inside it)."""
        for value in sorted(self.values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, f"<{self.values[value]}>")
        return text


class Artifacts:
    """What the runs left for a user to see, by name: 'run 3 dr_setup --check: stdout' -> text."""

    def __init__(self):
        self.texts = {}

    def add(self, name, text):
        if text:
            self.texts[name] = self.texts.get(name, "") + text

    def add_structure(self, name, node):
        """A JSON-like structure (a task result, an Event): its strings one per line, so a value is found as it
        is and not only in its JSON-escaped form."""
        self.add(name, "\n".join(_strings(node)) + "\n")

    def leaks(self, secrets):
        """One line per (secret, artifact) where the secret occurs: its name, where, how much of it (lines of a
        key), and the first occurrence's surroundings cut from the artifact with EVERY secret replaced by its name
        (cut after the redaction, so the cut can never leave a fragment of a secret)."""
        found = []
        for artifact, text in self.texts.items():
            leaked = {}
            for value, name in secrets.values.items():
                if value in text:
                    leaked.setdefault(name, []).append(value)
            if not leaked:
                continue
            redacted = secrets.redact(text)
            for name, values in leaked.items():
                part = f" ({len(values)} of {secrets.count(name)} lines)" if secrets.count(name) > 1 else ""
                found.append(f"{name}{part} in {artifact}: {_context(redacted, name, values[0], secrets)}")
        return found

    def size(self):
        return sum(len(text) for text in self.texts.values())


def _context(redacted, name, value, secrets):
    """The surroundings of the first place the value shows in the redacted text (as its own name, or as the name
    of a longer secret it is part of: a token inside a kubeconfig text)."""
    markers = [f"<{name}>"] + [f"<{other}>" for longer, other in secrets.values.items()
                               if value in longer and longer != value]
    shown = [(redacted.find(marker), marker) for marker in markers if marker in redacted]
    if not shown:  # it overlaps another secret: no surroundings can be shown without a fragment of that one
        return "(no context: overlaps another secret)"
    at, marker = min(shown)
    surroundings = redacted[max(0, at - CONTEXT):at + len(marker) + CONTEXT]
    # they may hold a piece of a secret that is not a whole value (half a key line): base64 runs are hidden too,
    # outside the <name> markers
    pieces = re.split(r"(<[^<>]+>)", surroundings)
    return "..." + repr("".join(p if p.startswith("<") else BASE64_RUN.sub("<base64>", p) for p in pieces)) + "..."


def collect_run(artifacts, name, run, log_path, report_dir):
    """Everything a playbook run showed: its stdout and stderr, the Ansible log file, every task result (its diff and
    set_stats data apart) and the status reports it wrote."""
    artifacts.add(f"{name}: stdout", run.stdout)
    artifacts.add(f"{name}: stderr", run.stderr)
    artifacts.add(f"{name}: Ansible log file", log_path.read_text() if log_path.exists() else "")
    for task in run.tasks:
        result = dict(task["result"])
        where = f"{name}: task {task['task']!r} on {task['host']}"
        for key, label in (("diff", "diff"), ("ansible_stats", "set_stats data")):
            if key in result:
                artifacts.add_structure(f"{where}, {label}", result.pop(key))
        artifacts.add_structure(f"{where}, result", result)
    for report in sorted(report_dir.glob("*")) if report_dir.exists() else []:
        artifacts.add(f"{name}: status report {report.name}", report.read_text())
