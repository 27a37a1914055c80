"""A stand-in for an AWX server, for tests (put this directory in ANSIBLE_ACTION_PLUGINS): it replaces Ansible's
`normal` action, which runs every module that has no action plugin of its own. An awx.awx module task is not sent
to any AWX: its arguments, as Ansible templated them, are validated against the argument spec the awx.awx module
itself builds (types, choices, required, aliases, mutually exclusive... as AnsibleModule would) and appended as a
JSON line to the file ARC_AWX_CALLS names. Any other module runs as usual."""
import importlib
import importlib.util
import json
import os

from ansible.module_utils import basic
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins import action as builtin_actions


def _builtin_normal():
    """Ansible's own `normal` action (this file is loaded under its name, so it cannot simply be imported)."""
    path = os.path.join(os.path.dirname(builtin_actions.__file__), "normal.py")
    spec = importlib.util.spec_from_file_location("arc_awx_builtin_normal", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ActionModule


NormalAction = _builtin_normal()

SPEC_KEYWORDS = ("mutually_exclusive", "required_together", "required_one_of", "required_if", "required_by")


class _Captured(Exception):
    pass


def module_spec(fqcn):
    """(argument_spec, {mutually_exclusive, ...}) that the module `fqcn` gives AnsibleModule in its main()."""
    namespace, collection, name = fqcn.split(".")
    module = importlib.import_module("ansible_collections.%s.%s.plugins.modules.%s" % (namespace, collection, name))
    original = basic.AnsibleModule.__init__

    def capture(self, argument_spec=None, **kwargs):  # pylint: disable=unused-argument
        raise _Captured(argument_spec, kwargs)

    basic.AnsibleModule.__init__ = capture
    try:
        module.main()
    except _Captured as captured:
        spec, kwargs = captured.args
        return spec, dict((key, kwargs[key]) for key in SPEC_KEYWORDS if kwargs.get(key))
    finally:
        basic.AnsibleModule.__init__ = original
    raise AssertionError("%s did not create its AnsibleModule" % fqcn)


class ActionModule(NormalAction):

    def run(self, tmp=None, task_vars=None):
        action = self._task.resolved_action or self._task.action
        if not action.startswith("awx.awx."):
            return super().run(tmp, task_vars)
        args = dict(self._task.args)
        spec, keywords = module_spec(action)
        result = ArgumentSpecValidator(spec, **keywords).validate(args)
        errors = list(result.error_messages)
        with open(os.environ["ARC_AWX_CALLS"], "a", encoding="utf-8") as calls:
            calls.write(json.dumps({"action": action, "task": self._task.get_name(), "args": args, "errors": errors},
                                   default=str) + "\n")
        if errors:
            return {"failed": True, "msg": "%s: %s" % (action, "; ".join(errors))}
        return {"changed": True, "msg": "validated against the %s argument spec; not sent to any AWX" % action}
