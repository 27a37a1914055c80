"""What an AWX server would do with extensions/awx, for the tests of test_awx.py (there is no AWX here):

- configure(): runs extensions/awx/configure_awx.yml with awx.awx on the collections path and the stand-in of
  awx_action_plugins/normal.py, which validates every awx.awx task's arguments against that module's own argument
  spec and records them instead of calling an AWX API: the records are the objects AWX would hold.
- credential_type_errors() and survey_errors(): the checks AWX's API makes before it stores a credential type
  (awx/main/fields.py: CredentialTypeInputField, CredentialTypeInjectorField) or a survey
  (awx/api/views: JobTemplateSurveySpec._validate_spec_data).
- Awx: the objects of one configure() run, and launch(): a job the way AWX runs it - the survey's answers checked
  and turned into extra vars, the credential's injectors rendered (files written, extra vars and environment
  set), AWX's own job variables, the inventory as AWX holds it, `--check` for the Check job type, the job
  template's playbook from the project."""
import json
import os
import re
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import jsonschema
import yaml
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from sandbox.layout import REPO_ROOT

AWX_DIR = REPO_ROOT / "extensions" / "awx"
CONFIGURE = AWX_DIR / "configure_awx.yml"
HERE = Path(__file__).resolve().parent
COLLECTIONS_PATH = f"{REPO_ROOT / 'build'}:{REPO_ROOT / 'build' / 'vendor-collections'}"
# the project of the job templates is the collection's repository (vars/objects.yml)
PROJECT_DIR = REPO_ROOT

# -- what AWX checks before it stores a credential type (awx/main/fields.py) ---------------------------------------
NAME = "^[a-zA-Z_]+[a-zA-Z0-9_]*$"
INPUTS_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "required": {"type": "array", "items": {"type": "string"}},
        "fields": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["id", "label"],
            "properties": {
                "type": {"enum": ["string", "boolean"]}, "format": {"enum": ["ssh_private_key", "url"]},
                "choices": {"type": "array", "minItems": 1, "items": {"type": "string"}, "uniqueItems": True},
                "id": {"type": "string", "pattern": NAME}, "label": {"type": "string"},
                "help_text": {"type": "string"}, "multiline": {"type": "boolean"}, "secret": {"type": "boolean"},
                "ask_at_runtime": {"type": "boolean"}, "default": {}}}}}}
INJECTORS_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "file": {"type": "object", "additionalProperties": False,
                 "patternProperties": {r"^template(\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$": {"type": "string"}}},
        "env": {"type": "object", "additionalProperties": False,
                "patternProperties": {NAME: {"type": "string", "pattern": "^[\x00-\x7F]*$"}}},
        "extra_vars": {"type": "object", "additionalProperties": False,
                       "patternProperties": {NAME: {"type": "string"}}}}}
KINDS = ("ssh", "vault", "net", "scm", "cloud", "token", "insights", "external", "kubernetes", "galaxy", "cryptography")
# job templates accept credentials of these kinds only (awx/api/views: JobTemplateCredentialsList)
JOB_TEMPLATE_KINDS = ("ssh", "vault", "cloud", "net", "kubernetes")
# AWX's environment variables a credential may not set, besides ANSIBLE_* (awx/main/constants.py ENV_BLOCKLIST)
ENV_BLOCKLIST = {"VIRTUAL_ENV", "PATH", "PYTHONPATH", "JOB_ID", "INVENTORY_ID", "INVENTORY_SOURCE_ID",
                 "INVENTORY_UPDATE_ID", "AD_HOC_COMMAND_ID", "REST_API_URL", "REST_API_TOKEN", "MAX_EVENT_RES",
                 "CALLBACK_QUEUE", "CALLBACK_CONNECTION", "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_HOSTVARS",
                 "AWX_HOST", "PROJECT_REVISION", "SUPERVISOR_CONFIG_PATH"}


class _Filenames:
    """tower.filename of the injector templates: one attribute per file of the multi-file syntax."""


def credential_type_errors(kind, inputs, injectors):
    """Why AWX would refuse this credential type (an empty list: it would store it)."""
    errors = []
    if kind not in KINDS:
        errors.append(f"kind {kind!r} is not one of {KINDS}")
    for what, value, schema in (("inputs", inputs, INPUTS_SCHEMA), ("injectors", injectors, INJECTORS_SCHEMA)):
        errors += [f"{what}: {e.message} at {list(e.absolute_path)}"
                   for e in jsonschema.Draft4Validator(schema).iter_errors(value)]
    if errors:
        return errors
    ids = []
    for field in inputs.get("fields", []):
        if field["id"] == "tower" or field["id"] in ids:
            errors.append(f"field id {field['id']!r} is reserved or not unique")
        ids.append(field["id"])
        kind_of = field.get("type", "string")
        if "default" in field and not isinstance(field["default"], {"string": str, "boolean": bool}[kind_of]):
            errors.append(f"{field['id']}: default {field['default']!r} is not a {kind_of}")
        errors += [f"{field['id']}: {key} not allowed for {kind_of} type"
                   for key in ("choices", "multiline", "format", "secret") if key in field and kind_of != "string"]
    errors += [f"required {name!r} is not a field" for name in inputs.get("required", []) if name not in ids]
    namespace = dict((name, "EXAMPLE") for name in ids)
    filenames = _Filenames()
    templates = list(injectors.get("file", {}))
    if "template" in templates:
        if len(templates) > 1:
            errors.append("must use multi-file syntax when injecting multiple files")
        filenames = "EXAMPLE_FILENAME"
    for template in templates:
        if "." in template:
            setattr(filenames, template.split(".", 1)[1], "EXAMPLE_FILENAME")
    namespace["tower"] = type("Tower", (), {"filename": filenames})()
    for kind_of, injector in injectors.items():
        if kind_of == "env":
            errors += [f"environment variable {key} is not allowed in credentials" for key in injector
                       if key.startswith("ANSIBLE_") or key in ENV_BLOCKLIST]
        for key, template in injector.items():
            try:
                ImmutableSandboxedEnvironment(undefined=StrictUndefined).from_string(template).render(namespace)
            except (UndefinedError, SecurityError, TemplateSyntaxError) as exc:
                errors.append(f"{kind_of}.{key}: {exc}")
    return errors


# -- what AWX checks before it stores a survey (JobTemplateSurveySpec._validate_spec_data) ---------------------------
SURVEY_TYPES = {"text": str, "textarea": str, "password": str, "multiplechoice": str, "multiselect": str,
                "integer": int, "float": (float, int)}


def _choices(question):
    choices = question["choices"]
    return [c for c in choices.splitlines() if c.strip()] if isinstance(choices, str) else list(choices)


def survey_errors(survey):
    """Why AWX would refuse this survey spec."""
    errors = [f"{field!r} missing or not a {kind.__name__}" for field, kind in
              (("name", str), ("description", str), ("spec", list)) if not isinstance(survey.get(field), kind)]
    if errors:
        return errors
    if not survey["spec"]:
        return ["'spec' doesn't contain any items"]
    variables = set()
    for index, question in enumerate(survey["spec"]):
        where = f"survey question {index}"
        if not isinstance(question, dict):
            errors.append(f"{where} is not an object")
            continue
        for field in ("type", "question_name", "variable", "required"):
            if not isinstance(question.get(field), bool if field == "required" else str):
                errors.append(f"{where}: {field!r} missing or of the wrong type")
        if errors:
            continue
        if question["variable"] in variables:
            errors.append(f"{where}: variable {question['variable']!r} duplicated")
        variables.add(question["variable"])
        kind = question["type"]
        if kind not in SURVEY_TYPES:
            errors.append(f"{where}: type {kind!r} is not one of {list(SURVEY_TYPES)}")
            continue
        if question.get("default", "") != "" and not isinstance(question["default"], SURVEY_TYPES[kind]):
            errors.append(f"{where}: default {question['default']!r} is not a {kind}")
        errors += [f"{where}: {key} is not an integer" for key in ("min", "max")
                   if question.get(key) is not None and not isinstance(question[key], int)]
        if kind in ("multiplechoice", "multiselect"):
            if "choices" not in question:
                errors.append(f"{where}: type {kind} must specify choices")
                continue
            if not isinstance(question["choices"], (str, list)):
                errors.append(f"{where}: choices must be a string of lines or a list")
                continue
            default = question.get("default")
            defaults = ([d for d in default.splitlines() if d.strip()] if isinstance(default, str) else default) or []
            if kind == "multiplechoice" and len(defaults) > 1:
                errors.append(f"{where}: a multiple choice has one default at most")
            errors += [f"{where}: default {d!r} is not one of the choices" for d in defaults if d not in _choices(question)]
        if isinstance(question.get("default"), str) and question["default"].startswith("$encrypted$"):
            errors.append(f"{where}: $encrypted$ is reserved")
    return errors


class LaunchRefused(Exception):
    """AWX refused to start the job (HTTP 400 on launch)."""


def survey_extra_vars(survey, answers):
    """The extra vars of a launch with these survey answers, or LaunchRefused (AWX's survey_variable_validation):
    answers to questions the survey does not ask are dropped, as AWX does when extra vars are not prompted for."""
    extra_vars, problems = {}, []
    for question in survey["spec"]:
        name = question["variable"]
        if name not in answers:
            if question.get("default", "") != "":
                extra_vars[name] = question["default"]
            elif question["required"]:
                problems.append(f"'{name}' value missing")
            continue
        value = answers[name]
        kind = question["type"]
        if kind in ("text", "textarea", "password"):
            if not isinstance(value, str):
                problems.append(f"value {value!r} for '{name}' expected to be a string")
            elif question.get("min") is not None and len(value) < question["min"]:
                problems.append(f"'{name}' value {value!r} is too small (length is {len(value)}, must be at least "
                                f"{question['min']})")
            elif question.get("max") is not None and len(value) > question["max"]:
                problems.append(f"'{name}' value {value!r} is too large (must be no more than {question['max']})")
        elif kind == "multiplechoice" and value not in _choices(question):
            problems.append(f"value {value!r} for '{name}' expected to be one of {_choices(question)}")
        extra_vars[name] = value
    if problems:
        raise LaunchRefused("; ".join(problems))
    return extra_vars


def render_injectors(credential_type, inputs, private_dir):
    """What AWX's CredentialType.inject_credential gives a job: (extra vars, environment), the files written
    (mode 0600) under private_dir/env/."""
    namespace = {}
    for field in credential_type["inputs"].get("fields", []):
        default = "" if field.get("type", "string") == "string" else False
        namespace[field["id"]] = inputs.get(field["id"], default)
    sandbox_env = ImmutableSandboxedEnvironment()
    filenames = _Filenames()
    env_dir = Path(private_dir) / "env"
    env_dir.mkdir(parents=True, exist_ok=True)
    for label, template in credential_type["injectors"].get("file", {}).items():
        path = env_dir / f"tmp{uuid.uuid4().hex[:8]}"
        path.write_text(sandbox_env.from_string(template).render(**namespace))
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
        if "." in label:
            setattr(filenames, label.split(".", 1)[1], str(path))
        else:
            filenames = str(path)
    namespace["tower"] = type("Tower", (), {"filename": filenames})()
    env = dict((key, sandbox_env.from_string(t).render(**namespace))
               for key, t in credential_type["injectors"].get("env", {}).items())
    extra_vars = dict((key, sandbox_env.from_string(t).render(**namespace))
                      for key, t in credential_type["injectors"].get("extra_vars", {}).items())
    return extra_vars, env


def _unsafe_loader():
    class Loader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
        pass
    Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
    return Loader


def load_vars(name):
    """A vars file of extensions/awx/vars/ (its !unsafe values as plain strings)."""
    return yaml.load((AWX_DIR / "vars" / name).read_text(), Loader=_unsafe_loader())  # nosec: our own file


def configure(workdir, extra_vars, playbook=CONFIGURE):
    """Runs configure_awx.yml (or another playbook) against the stand-in; returns (process, calls)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    calls_file = workdir / f"awx-calls-{uuid.uuid4().hex[:6]}.jsonl"
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, ARC_AWX_CALLS=str(calls_file),
                       ANSIBLE_ACTION_PLUGINS=str(HERE / "awx_action_plugins"), ANSIBLE_NOCOLOR="1",
                       ANSIBLE_FORCE_COLOR="0", ANSIBLE_RETRY_FILES_ENABLED="0",
                       ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
                       ANSIBLE_LOCAL_TEMP=str(workdir / "ansible-tmp"))
    process = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), str(playbook),
                              "-e", json.dumps(extra_vars)], cwd=workdir, env=environment, capture_output=True,
                             text=True, timeout=300, check=False)
    calls = [json.loads(line) for line in calls_file.read_text().splitlines()] if calls_file.exists() else []
    return process, calls


# AWX's built-in credential type for Azure Resource Manager: its name, and the input IDs it injects as AZURE_*
AZURE_CREDENTIAL_TYPE = "Microsoft Azure Resource Manager"
AZURE_CREDENTIAL_INPUTS = {"subscription", "client", "secret", "tenant", "username", "password", "cloud_environment"}


class Awx:
    """The objects one configure() run created, and jobs launched from them."""

    def __init__(self, calls, workdir):
        self.calls = calls
        self.workdir = Path(workdir)
        self.credential_type = self.one("credential_type")
        credentials = [c["args"] for c in self.of("credential")]
        # the sites credential (the collection's own type) and, for direct mode, the built-in Azure one
        self.credential = next((c for c in credentials if c["credential_type"] == self.credential_type["name"]), None)
        self.azure_credential = next((c for c in credentials if c["credential_type"] == AZURE_CREDENTIAL_TYPE), None)
        self.templates = dict((c["args"]["name"], c["args"]) for c in self.of("job_template"))
        self.job_id = 100

    def of(self, module):
        return [c for c in self.calls if c["action"] == f"awx.awx.{module}"]

    def one(self, module):
        found = self.of(module)
        assert len(found) == 1, f"{len(found)} awx.awx.{module} calls"
        return found[0]["args"]

    def template(self, playbook):
        """The job template that runs this playbook of the collection (e.g. 'dr_setup')."""
        found = [t for t in self.templates.values() if Path(t["playbook"]).stem == playbook]
        assert len(found) == 1, (playbook, list(self.templates))
        return found[0]

    def write_inventory(self, path):
        """The inventory as AWX holds it (its hosts, groups and their variables), as a YAML inventory."""
        inventory = self.one("inventory")
        hosts = dict((c["args"]["name"], c["args"].get("variables") or {}) for c in self.of("host"))
        groups = {}
        for call in self.of("group"):
            group = call["args"]
            groups[group["name"]] = {"vars": group.get("variables") or {},
                                     "hosts": dict((h, None) for h in group.get("hosts") or []),
                                     "children": dict((c, None) for c in group.get("children") or [])}
        Path(path).write_text(yaml.safe_dump({"all": {"vars": inventory.get("variables") or {}, "hosts": hosts,
                                                      "children": groups}}, sort_keys=False))
        return path

    def launch(self, ansible, playbook, answers, job_type="run", user="dr-operator"):
        """Runs the job template of `playbook` as AWX would, with the `ansible` runner of conftest; returns
        (the Run, the extra vars the job had). LaunchRefused when AWX would not start it."""
        template = self.template(playbook)
        if job_type != template.get("job_type", "run") and not template.get("ask_job_type_on_launch"):
            raise LaunchRefused("job_type is not prompted for on launch")
        extra_vars = dict(template.get("extra_vars") or {})
        if template.get("survey_enabled"):
            extra_vars.update(survey_extra_vars(template["survey_spec"], answers))
        self.job_id += 1
        for prefix in ("awx", "tower"):
            extra_vars.update({f"{prefix}_job_id": self.job_id, f"{prefix}_job_launch_type": "manual",
                               f"{prefix}_job_template_name": template["name"], f"{prefix}_user_name": user,
                               f"{prefix}_inventory_name": template["inventory"]})
        private_dir = self.workdir / f"job-{self.job_id}"
        injected, env = render_injectors(self.credential_type, self.credential["inputs"], private_dir)
        inventory = self.write_inventory(private_dir / "inventory.yml")
        run = ansible.run(PROJECT_DIR / template["playbook"], extra_vars=dict(extra_vars, **injected),
                          check=job_type == "check", inventory=inventory, env=env)
        return run, extra_vars


def template_variables(text):
    """The variable names a Jinja expression of an inventory value uses ({{ name }} only)."""
    return re.findall(r"{{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*}}", text)
