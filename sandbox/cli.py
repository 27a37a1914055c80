"""python -m sandbox up|down|status|kill|start|fault: two emulated Arc sites on this machine."""
import argparse
import json
import os
import sys
import urllib.error

from . import fault_presets, inventory, kubeconfig
from .control import Sandbox
from .controller.behaviour import DEFAULT as DEFAULT_BEHAVIOUR, PROFILES as BEHAVIOURS
from .exec_credential import EXEC_INFO_VARIABLE, ExecCredentialError, exec_credential
from .layout import CREDENTIALS, PROFILES, SITE_NAMES, default_api_port, default_runtime_dir
from .ops import SiteOps
from .sqlclient import SqlClient, SqlError, endpoint_of
from .supervisor import SandboxError
from .workload import Workload


def _print_status(report):
    if not report["exists"]:
        print(f"no sandbox in {report['runtime_dir']}")
        return
    print(f"sandbox {report['runtime_dir']} (profile {report['profile']}), inventory {report['inventory']}")
    for name, site in report["sites"].items():
        state = "running" if site["running"] else "STOPPED"
        # a site's controller behaviour profile (sandbox/controller/behaviour.py) shapes what its DAG status says
        behaviour = site.get("behaviour") if "controller" in site["components"] else "none (API only)"
        print(f"  {name:<10} {state:<8} {site['api_url']:<28} context {site['context']:<14} "
              f"namespace {site['namespace']:<6} behaviour {behaviour:<13} kubeconfig {site['kubeconfig']}")
    link = report.get("link") or {}
    if link.get("flapping"):
        flapping = link["flapping"]
        print(f"  link       FLAPPING down {flapping['down']:g} s every {flapping['period']:g} s")
    elif link.get("partitioned"):
        print("  link       CUT (partition)")
    azure = report.get("azure")
    if azure:
        state = "running" if azure["running"] else "STOPPED"
        print(f"  azure      {state:<8} {azure['url']:<28} (direct mode: ARM, Entra, cloud metadata) "
              f"principals {azure['principals_file']}")


def _fault_rule(args):
    rule = dict(fault_presets.PRESETS[args.preset]) if args.preset else {}
    rule.update(verb=args.verb or rule.get("verb", "*"), resource=args.resource or rule.get("resource", "*"))
    for key in ("code", "rate", "retry_after", "latency_ms", "latency_jitter_ms", "drop", "count", "namespace",
                "user_agent", "watch"):
        value = getattr(args, key)
        if value is not None:
            rule[key] = value
    return rule


def _arm_fault(ops, args):
    if args.clear:
        return ops.clear_faults()
    rule = {"method": args.method, "resource_type": args.resource_type}
    if args.hold_lro:
        rule["lro"] = "hold"
    for key in ("code", "rate", "count", "retry_after", "hold_seconds"):
        value = getattr(args, key)
        if value is not None:
            rule[key] = value
    return ops.set_faults(ops.faults() + [rule])


def _arm_tokens(ops, args):
    if args.revoke:
        return {"revoked_at": ops.revoke_tokens(args.principal)}
    return {"lifetime_seconds": ops.set_token_lifetime(args.lifetime)}


def _sql(args, endpoint):
    with SqlClient(endpoint) as sql:
        if args.operation == "write":
            return {"lsn": sql.write(args.key, args.value)}
        if args.operation == "read":
            found = sql.read(args.key)
            return {"found": found is not None, "lsn": found[0], "value": found[1]} if found else {"found": False}
        return sql.stats()


def _status(sandbox, direct):
    report = sandbox.status()
    if report["exists"] and direct.enabled():
        report["azure"] = direct.status()
    return report


def _direct_mode(runtime_dir):
    """The sandbox's Azure side, imported only when needed: the exec credential plugin runs before a client's
    requests once its token is near expiry, and the kubernetes library this side imports doubles its start time."""
    from .arm.deployment import DirectMode  # pylint: disable=import-outside-toplevel
    return DirectMode(runtime_dir)


def _print_exec_credential(sandbox, args):
    site = sandbox.sites()[args.site]
    files = sandbox.files[args.site]
    # the key the site's API server verifies with; the site creates it when it starts
    if not files.token_signing_key.exists():
        raise SandboxError(f"site {args.site} has no token signing key yet: run `python -m sandbox up` first")
    credential = exec_credential(files.token_signing_key.read_text().strip(), site, args.user, args.ttl,
                                 os.environ.get(EXEC_INFO_VARIABLE))
    print(json.dumps(credential))


def _write_kubeconfig(sandbox, args):
    site, files = sandbox.sites()[args.site], sandbox.files[args.site]
    if args.exec:
        kubeconfig.write_exec(args.output, files, site, args.user, args.ttl, sys.executable)
    else:
        kubeconfig.write_static(args.output, files, site, args.user)
    print(args.output)


def run(args):
    sandbox = Sandbox(args.runtime_dir)
    if args.command == "exec-credential":  # first: it runs before client requests, nothing else is needed
        _print_exec_credential(sandbox, args)
        return
    direct = _direct_mode(sandbox.runtime_dir)
    if args.command == "up":
        mode = direct.mode_of(sandbox, args.mode)
        if mode == "direct" and (args.profile or "current") != "current":
            raise SandboxError("--mode direct needs the current profile (failover groups)")
        if mode == "direct" and not direct.enabled():
            direct.parse_behaviour(args.arm_behaviour)  # refused before anything starts
        timings = {name: value for name, value in (("ready_delay_seconds", args.ready_delay),
                                                   ("session_timeout_seconds", args.session_timeout),
                                                   ("connect_timeout_seconds", args.connect_timeout),
                                                   ("failover_timeout_seconds", args.failover_timeout),
                                                   ("seeding_rate", args.seeding_rate)) if value is not None}
        sandbox.up(args.profile, args.api_port, timings, controller=not args.api_only, behaviour_text=args.behaviour)
        if mode == "direct":
            direct.up(sandbox, args.api_port, args.token_lifetime, args.arm_behaviour)
        _print_status(_status(sandbox, direct))
    elif args.command == "down":
        if direct.enabled():
            direct.stop()
        sandbox.down(keep_state=args.keep_state)
        print(f"sandbox {sandbox.runtime_dir} stopped" + (" (state kept)" if args.keep_state else ""))
    elif args.command == "status":
        report = _status(sandbox, direct)
        print(json.dumps(report, indent=2)) if args.json else _print_status(report)
    elif args.command == "kill":
        sandbox.kill_site(args.site)
        print(f"site {args.site} killed (state kept on disk)")
    elif args.command == "start":
        sandbox.start_site(args.site)
        print(f"site {args.site} started")
    elif args.command == "controller":
        print(sandbox.controller(args.site, args.action, args.after))
    elif args.command == "partition":
        print(sandbox.partition())
    elif args.command == "heal":
        print(sandbox.heal())
    elif args.command == "flap":
        print(sandbox.flap(args.period, args.down, getattr(args, "for")))
    elif args.command == "inventory":
        if direct.enabled():
            inventory.write(args.output, sandbox.sites(), sandbox.files, sandbox.admin_password(), args.pairs,
                            azure=direct.inventory_settings())
            print(args.output)
        else:
            print(sandbox.fleet_inventory(args.pairs, args.output))
    elif args.command == "kubeconfig":
        _write_kubeconfig(sandbox, args)
    elif args.command == "rotate-cert":
        print(sandbox.rotate_certificate(args.site, args.instance, args.valid_days))
    elif args.command in ("sql", "workload"):
        site = sandbox.sites()[args.site]
        endpoint = endpoint_of(sandbox.files[args.site], site, args.instance)
        print(json.dumps(_sql(args, endpoint) if args.command == "sql" else
                         Workload(endpoint, args.rate, args.prefix).run_for(args.seconds).report()))
    elif args.command == "fault":
        site = sandbox.sites()[args.site]
        ops = SiteOps(sandbox.files[args.site], site)
        rules = ops.clear_faults() if args.clear else ops.set_faults(ops.faults() + [_fault_rule(args)])
        print(json.dumps(rules, indent=2))
    elif args.command in ("arm-fault", "arm-tokens"):
        if not direct.enabled():
            raise SandboxError(f"{args.command}: the sandbox in {sandbox.runtime_dir} is not in direct mode")
        print(json.dumps(_arm_fault(direct.ops(), args) if args.command == "arm-fault"
                         else _arm_tokens(direct.ops(), args), indent=2))
    elif args.command == "cut-watches":
        ops = SiteOps(sandbox.files[args.site], sandbox.sites()[args.site])
        print(json.dumps(ops.cut_watches(args.user_agent, args.resource), indent=2))


def parser():
    top = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    top.add_argument("--runtime-dir", default=default_runtime_dir(),
                     help="where state, keys and kubeconfigs live (default: $ARC_SANDBOX_DIR or .sandbox/)")
    commands = top.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start both sites (reuses a running sandbox)")
    up.add_argument("--profile", choices=PROFILES, help="Arc release to emulate (default: current)")
    up.add_argument("--behaviour", help="the controllers' behaviour profile, one for both sites (%s; default %s) "
                    "or one per site: primary=observed-2022,secondary=cli-2025"
                    % (", ".join(BEHAVIOURS), DEFAULT_BEHAVIOUR))
    up.add_argument("--api-port", type=int, default=default_api_port(),
                    help="API port on each site's address; 0 picks free ports (default: %(default)s)")
    for flag, text in (("--ready-delay", "seconds until a new or changed instance is Ready (default 1)"),
                       ("--session-timeout", "seconds of silence before a partner is DISCONNECTED (default 10)"),
                       ("--connect-timeout", "seconds a DAG may take to connect before it reports Failed (default 5)"),
                       ("--failover-timeout", "seconds a planned failover waits for the partner (default 30)"),
                       ("--seeding-rate", "log records per second sent to a catching-up partner (default: no limit)")):
        up.add_argument(flag, type=float, help=text + "; applies when the sandbox is created")
    up.add_argument("--api-only", action="store_true",
                    help="no Arc controller: only the Kubernetes API with the CRDs (conformance tests)")
    up.add_argument("--mode", choices=("indirect", "direct"),
                    help="connection mode of a new sandbox (default indirect); direct adds the sandbox's Azure: "
                         "ARM, an Entra token endpoint and cloud metadata (sandbox/arm/)")
    up.add_argument("--token-lifetime", type=int,
                    help="direct mode: seconds an access token lasts (default 3600); applies when created")
    up.add_argument("--arm-behaviour",
                    help="direct mode: ARM behaviour switches, e.g. delete_cascades=true,fill_partner_certificate="
                         "false (sandbox/arm/behaviour.py); applies when created")
    down = commands.add_parser("down", help="stop everything the sandbox started and remove its state")
    down.add_argument("--keep-state", action="store_true", help="keep the runtime directory")
    status = commands.add_parser("status", help="report both sites")
    status.add_argument("--json", action="store_true")
    for name, text in (("kill", "kill a site's processes (a disaster; state stays)"),
                       ("start", "start a site again with its state")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--site", required=True, choices=SITE_NAMES)
    controller = commands.add_parser("controller", help="restart, stop, start or kill a site's Arc controller, "
                                                        "its API server staying up")
    controller.add_argument("action", choices=("restart", "stop", "start", "kill"),
                            help="restart: the controller dies now and starts again (--after); stop/start: the same "
                                 "in two steps; the SQL engines run on (a rescheduled pod). kill: the whole process, "
                                 "engines included, until `start --site`")
    controller.add_argument("--site", required=True, choices=SITE_NAMES)
    controller.add_argument("--after", type=float, help="restart: seconds the controller stays down (default 0)")
    commands.add_parser("partition", help="cut the mirroring link between the sites (both directions)")
    commands.add_parser("heal", help="restore the mirroring link between the sites (and stop it flapping)")
    flap = commands.add_parser("flap", help="cut and heal the mirroring link over and over, in the background, "
                                            "until `heal` or --for seconds")
    flap.add_argument("--period", type=float, required=True, help="seconds from one cut to the next")
    flap.add_argument("--down", type=float, required=True, help="seconds the link stays cut each time")
    flap.add_argument("--for", type=float, help="seconds to flap (default: until `heal`)")
    fleet = commands.add_parser("inventory", help="write an inventory of N DR pairs on the two sites (a fleet)")
    fleet.add_argument("--pairs", type=int, required=True, help="number of DR pairs")
    fleet.add_argument("--output", required=True, help="inventory file to write (mode 0600)")
    _exec_parsers(commands)
    rotate = commands.add_parser("rotate-cert", help="give an instance a new mirroring certificate (and key)")
    rotate.add_argument("--site", required=True, choices=SITE_NAMES)
    rotate.add_argument("--instance", required=True, help="SqlManagedInstance name")
    rotate.add_argument("--valid-days", type=int,
                        help="days the new certificate is valid, to test expiry warnings (default: 5 years, as Arc)")
    sql = commands.add_parser("sql", help="talk to an instance's client endpoint: write, read or stats")
    workload = commands.add_parser("workload", help="write at a steady rate; report every acknowledged LSN")
    for command in (sql, workload):
        command.add_argument("--site", required=True, choices=SITE_NAMES)
        command.add_argument("--instance", required=True, help="SqlManagedInstance name")
    sql.add_argument("operation", choices=("write", "read", "stats"))
    sql.add_argument("key", nargs="?", help="the key to write or read")
    sql.add_argument("value", nargs="?", help="the value to write")
    workload.add_argument("--rate", type=float, default=50.0, help="writes per second (default %(default)s)")
    workload.add_argument("--seconds", type=float, default=10.0, help="how long (default %(default)s)")
    workload.add_argument("--prefix", default="w", help="key prefix (default %(default)s)")
    fault = commands.add_parser("fault", help="add a fault injection rule to a site's API, or clear them")
    fault.add_argument("--site", required=True, choices=SITE_NAMES)
    fault.add_argument("--clear", action="store_true", help="remove every rule")
    fault.add_argument("--preset", choices=sorted(fault_presets.PRESETS),
                       help="start from a named rule (%s); the other options override its fields" % "; ".join(
                           f"{name}: {text}" for name, text in sorted(fault_presets.DESCRIPTIONS.items())))
    fault.add_argument("--verb", help="get, list, watch, create, update, patch, delete or * (default *)")
    fault.add_argument("--resource", help="plural, optionally with /status, or * (default *)")
    fault.add_argument("--namespace")
    fault.add_argument("--user-agent", help="only requests whose User-Agent starts with this (e.g. arcdata.sqlmi/)")
    fault.add_argument("--code", type=int, help="answer with this status code (429, 500, 503, ...)")
    fault.add_argument("--rate", type=float, help="fraction of matching requests affected (default 1)")
    fault.add_argument("--retry-after", type=int, help="Retry-After seconds for 429/503")
    fault.add_argument("--latency-ms", type=float, help="added latency")
    fault.add_argument("--latency-jitter-ms", type=float,
                       help="a random extra latency between 0 and this, drawn per request")
    fault.add_argument("--watch", choices=("expire",),
                       help="expire: answer 410 Gone (Expired) to matching watches resumed from a resourceVersion")
    fault.add_argument("--drop", choices=("before", "after"), help="cut the connection before or after processing")
    fault.add_argument("--count", type=int, help="stop after this many faults")
    _arm_parsers(commands)
    cut = commands.add_parser("cut-watches", help="reset every open watch of a site's API now")
    cut.add_argument("--site", required=True, choices=SITE_NAMES)
    cut.add_argument("--user-agent", help="only watches of clients whose User-Agent starts with this")
    cut.add_argument("--resource", help="only watches of this resource (plural)")
    return top


def _arm_parsers(commands):
    """arm-fault and arm-tokens: faults of the sandbox's Azure (direct mode, sandbox/arm/faults.py)."""
    fault = commands.add_parser("arm-fault", help="direct mode: add a fault rule to the sandbox's ARM, or clear them")
    fault.add_argument("--clear", action="store_true", help="remove every rule")
    fault.add_argument("--method", default="*", help="GET, PUT, PATCH, DELETE or * (default %(default)s)")
    fault.add_argument("--resource-type", default="*",
                       help="sqlManagedInstances, failoverGroups, operationStatuses, ... or * (default %(default)s)")
    fault.add_argument("--code", type=int, help="answer with ARM's error for this status (429, 500, 502, 503, 504)")
    fault.add_argument("--retry-after", type=int, help="Retry-After seconds (429: default 5)")
    fault.add_argument("--hold-lro", action="store_true",
                       help="a matching write's long-running operation stays InProgress (the resource Accepted)")
    fault.add_argument("--hold-seconds", type=float, help="for --hold-lro: this long (default: until --clear)")
    fault.add_argument("--rate", type=float, help="fraction of matching requests affected (default 1)")
    fault.add_argument("--count", type=int, help="stop after this many faults")
    tokens = commands.add_parser("arm-tokens", help="direct mode: revoke the access tokens issued so far, or set "
                                                    "the lifetime of new ones")
    action = tokens.add_mutually_exclusive_group(required=True)
    action.add_argument("--revoke", action="store_true",
                        help="every token issued so far gets 401 ExpiredAuthenticationToken from now on")
    action.add_argument("--lifetime", type=_positive_seconds, help="seconds new tokens last")
    action.add_argument("--default-lifetime", action="store_true", help="new tokens last the configured lifetime")
    tokens.add_argument("--principal", help="--revoke: only this principal's tokens (operator, reader, ...)")


def _exec_parsers(commands):
    """exec-credential and kubeconfig: a kubeconfig whose user is an exec credential plugin, as Arc-enabled
    clusters hand them out (kubelogin, `aws eks get-token`), and the sandbox's stand-in for such a plugin."""
    plugin = commands.add_parser("exec-credential", help="print an ExecCredential with a short-lived token of a site "
                                 "(the stand-in exec credential plugin a kubeconfig from `kubeconfig --exec` runs)")
    config = commands.add_parser("kubeconfig", help="write a kubeconfig of one site and credential (mode 0600)")
    for command in (plugin, config):
        command.add_argument("--site", required=True, choices=SITE_NAMES)
        command.add_argument("--user", choices=CREDENTIALS, default="operator",
                             help="whose credential: the collection's operator (default), the viewer or the admin")
        command.add_argument("--ttl", type=_positive_seconds, default=3600,
                             help="seconds each token is valid (default %(default)s, as Entra's access tokens)")
    config.add_argument("--exec", action="store_true",
                        help="the user is the stand-in exec credential plugin, issuing tokens valid --ttl seconds "
                             "(default: the credential's static bearer token)")
    config.add_argument("--output", required=True, help="kubeconfig file to write")


def _positive_seconds(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 second, got {value}")
    return value


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        run(args)
    except (SandboxError, SqlError, ExecCredentialError, OSError, urllib.error.URLError) as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 1
    return 0
