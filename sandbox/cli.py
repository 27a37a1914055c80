"""python -m sandbox up|down|status|kill|start|fault: two emulated Arc sites on this machine."""
import argparse
import json
import sys
import urllib.error

from .control import Sandbox
from .layout import PROFILES, SITE_NAMES, default_api_port, default_runtime_dir
from .ops import SiteOps
from .supervisor import SandboxError


def _print_status(report):
    if not report["exists"]:
        print(f"no sandbox in {report['runtime_dir']}")
        return
    print(f"sandbox {report['runtime_dir']} (profile {report['profile']}), inventory {report['inventory']}")
    for name, site in report["sites"].items():
        state = "running" if site["running"] else "STOPPED"
        print(f"  {name:<10} {state:<8} {site['api_url']:<28} context {site['context']:<14} "
              f"namespace {site['namespace']:<6} kubeconfig {site['kubeconfig']}")


def _fault_rule(args):
    rule = {"verb": args.verb, "resource": args.resource}
    for key in ("code", "rate", "retry_after", "latency_ms", "drop", "count", "namespace"):
        value = getattr(args, key)
        if value is not None:
            rule[key] = value
    return rule


def run(args):
    sandbox = Sandbox(args.runtime_dir)
    if args.command == "up":
        _print_status(sandbox.up(args.profile, args.api_port))
    elif args.command == "down":
        sandbox.down(keep_state=args.keep_state)
        print(f"sandbox {sandbox.runtime_dir} stopped" + (" (state kept)" if args.keep_state else ""))
    elif args.command == "status":
        report = sandbox.status()
        print(json.dumps(report, indent=2)) if args.json else _print_status(report)
    elif args.command == "kill":
        sandbox.kill_site(args.site)
        print(f"site {args.site} killed (state kept on disk)")
    elif args.command == "start":
        sandbox.start_site(args.site)
        print(f"site {args.site} started")
    elif args.command == "fault":
        site = sandbox.sites()[args.site]
        ops = SiteOps(sandbox.files[args.site], site)
        rules = ops.clear_faults() if args.clear else ops.set_faults(ops.faults() + [_fault_rule(args)])
        print(json.dumps(rules, indent=2))


def parser():
    top = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    top.add_argument("--runtime-dir", default=default_runtime_dir(),
                     help="where state, keys and kubeconfigs live (default: $ARC_SANDBOX_DIR or .sandbox/)")
    commands = top.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start both sites (reuses a running sandbox)")
    up.add_argument("--profile", choices=PROFILES, help="Arc release to emulate (default: current)")
    up.add_argument("--api-port", type=int, default=default_api_port(),
                    help="API port on each site's address; 0 picks free ports (default: %(default)s)")
    down = commands.add_parser("down", help="stop everything the sandbox started and remove its state")
    down.add_argument("--keep-state", action="store_true", help="keep the runtime directory")
    status = commands.add_parser("status", help="report both sites")
    status.add_argument("--json", action="store_true")
    for name, text in (("kill", "kill a site's processes (a disaster; state stays)"),
                       ("start", "start a site again with its state")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--site", required=True, choices=SITE_NAMES)
    fault = commands.add_parser("fault", help="add a fault injection rule to a site's API, or clear them")
    fault.add_argument("--site", required=True, choices=SITE_NAMES)
    fault.add_argument("--clear", action="store_true", help="remove every rule")
    fault.add_argument("--verb", default="*", help="get, list, watch, create, update, patch, delete or *")
    fault.add_argument("--resource", default="*", help="plural, optionally with /status, or *")
    fault.add_argument("--namespace")
    fault.add_argument("--code", type=int, help="answer with this status code (429, 500, 503, ...)")
    fault.add_argument("--rate", type=float, help="fraction of matching requests affected (default 1)")
    fault.add_argument("--retry-after", type=int, help="Retry-After seconds for 429/503")
    fault.add_argument("--latency-ms", type=float, help="added latency")
    fault.add_argument("--drop", choices=("before", "after"), help="cut the connection before or after processing")
    fault.add_argument("--count", type=int, help="stop after this many faults")
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        run(args)
    except (SandboxError, urllib.error.URLError) as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 1
    return 0
