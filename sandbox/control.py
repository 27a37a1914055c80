"""The sandbox as a whole: bring both sites up, report on them, take them down, simulate disasters."""
import datetime
import json
import os
import secrets
import shutil
import signal
import socket
import time
from pathlib import Path
from types import SimpleNamespace

from . import flapper, inventory, kubeconfig, pki, supervisor
from .fault_notes import site_note
from .layout import (CREDENTIALS, DEFAULT_ADDRESSES, DEFAULT_API_PORT, DEFAULT_NAMESPACE, PROFILES, SITE_NAMES,
                     SiteConfig, site_files, write_private)
from .apiserver.signed_tokens import ensure_signing_key
from .controller import behaviour, jsonfile, restarts
from .controller.settings import Timings
from .supervisor import COMPONENTS, SandboxError


def _free_port(address):
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


class Sandbox:
    def __init__(self, runtime_dir):
        self.runtime_dir = Path(runtime_dir).resolve()
        self.config_path = self.runtime_dir / "sandbox.json"
        self.inventory_path = self.runtime_dir / "inventory.yml"
        self.files = {name: site_files(self.runtime_dir, name) for name in SITE_NAMES}

    # -- configuration ----------------------------------------------------------------------------
    def exists(self):
        return self.config_path.exists()

    def sites(self):
        if not self.exists():
            raise SandboxError(f"no sandbox in {self.runtime_dir}; run `python -m sandbox up` first")
        return {name: self.files[name].load_config() for name in SITE_NAMES}

    def components(self):
        """The processes of each site: the API server, and the Arc controller unless created API-only."""
        config = json.loads(self.config_path.read_text())
        return list(COMPONENTS if config.get("controller", True) else COMPONENTS[:1])

    def _create(self, profile, api_port, timings, controller=True, behaviours=None):
        if profile not in PROFILES:
            raise SandboxError(f"--profile must be one of {', '.join(PROFILES)}, got {profile!r}")
        self.runtime_dir.mkdir(parents=True, exist_ok=True)
        for name in SITE_NAMES:
            address = DEFAULT_ADDRESSES[name]
            port = api_port if api_port else _free_port(address)
            site = SiteConfig(name=name, address=address, api_port=port, namespace=DEFAULT_NAMESPACE,
                              profile=profile, timings=dict(timings or {}),
                              behaviour=(behaviours or {}).get(name, behaviour.DEFAULT))
            self.files[name].save_config(site)
        self.config_path.write_text(json.dumps({"profile": profile, "sites": list(SITE_NAMES),
                                                "controller": controller}, indent=2) + "\n")

    def _prepare_site(self, site):
        files = self.files[site.name]
        pki.ensure_site_pki(files, site)
        token_files = [files.token_of(credential) for credential in CREDENTIALS]
        for secret_file in token_files + [files.ops_token]:
            if not secret_file.exists():
                write_private(secret_file, secrets.token_urlsafe(32) + "\n")
        kubeconfig.write(files, site, {credential: files.token_of(credential).read_text().strip()
                                       for credential in CREDENTIALS})
        ensure_signing_key(files.token_signing_key)  # before the API server and any exec plugin read it

    # -- lifecycle --------------------------------------------------------------------------------
    def up(self, profile=None, api_port=DEFAULT_API_PORT, timings=None, controller=True, behaviour_text=None):
        """Start both sites (creating them on first use); a running sandbox is reused as it is.
        `timings` (controller delays, see sandbox/controller/settings.py), `controller` (False: the
        Kubernetes API only, as a cluster with the CRDs installed but no Arc controller) and `behaviour_text`
        (the controllers' behaviour profiles, see sandbox/controller/behaviour.py) apply to a new sandbox."""
        if self.exists():
            current = json.loads(self.config_path.read_text())["profile"]
            if profile and profile != current:
                raise SandboxError(f"the sandbox in {self.runtime_dir} runs profile {current!r}; "
                                   f"run `python -m sandbox down` before starting it with {profile!r}")
        else:
            Timings.from_dict(timings)  # refuse unknown names before anything is written
            try:
                behaviours = behaviour.per_site(behaviour_text, SITE_NAMES)
            except ValueError as exc:
                raise SandboxError(str(exc)) from None
            self._create(profile or "current", api_port, timings, controller, behaviours)
        sites = self.sites()
        for site in sites.values():
            self.start_site(site.name)
        inventory.write(self.inventory_path, sites, self.files, self.admin_password())
        return self.status()

    def start_site(self, name):
        site = self.sites()[self._check_site(name)]
        files = self.files[name]
        self._prepare_site(site)
        supervisor.start(files, "apiserver")
        supervisor.wait_ready(files, site, files.token.read_text().strip())
        for component in self.components()[1:]:
            supervisor.start(files, component)
            supervisor.wait_component_ready(files, site, component)

    def kill_site(self, name):
        """A disaster: every process of the site dies at once (SIGKILL); its state stays on disk."""
        files = self.files[self._check_site(name)]
        for component in reversed(COMPONENTS):  # whatever runs, even if the configuration changed
            supervisor.stop(files, component, hard=True)

    def controller(self, name, action, after=None):
        """Fault the site's Arc controller, the API server staying up. `restart`: the controller proper dies now
        and starts again after `after` seconds (at once when None), the SQL engines running on, as when its pod
        is rescheduled; `stop` / `start`: the same in two steps; `kill`: the whole process dies (controller and
        engines, as on a node's loss) until `start --site`. Returns what was done."""
        files = self.files[self._check_site(name)]
        pid = supervisor.running_pid(files, "controller")
        if pid is None:
            raise SandboxError(f"site {name}: the controller is not running (`python -m sandbox start --site {name}`)")
        if action == "kill":
            supervisor.stop(files, "controller", hard=True)
            site_note(files, {"controller": "killed"})
            return f"site {name}: controller process killed with its SQL engines (start it with `start --site`)"
        before = restarts.read_state(files)
        if action == "start":
            os.kill(pid, signal.SIGUSR2)
            self._wait_controller(files, lambda state: state.get("running"), "start")
            return f"site {name}: controller started"
        down = None if action == "stop" else float(after or 0)
        jsonfile.save(restarts.request_path(files), {"down_seconds": down})
        os.kill(pid, signal.SIGUSR1)
        self._wait_controller(files, lambda state: not state.get("running") or state.get("restarts", 0) > before.get(
            "restarts", 0), action)
        if action == "restart" and not after:
            self._wait_controller(files, lambda state: state.get("restarts", 0) > before.get("restarts", 0), action)
            return f"site {name}: controller restarted (the SQL engines ran on)"
        if action == "restart":
            return f"site {name}: controller stopped; it starts again in {after:g} s"
        return f"site {name}: controller stopped (the SQL engines run on); `controller --site {name} start` starts it"

    @staticmethod
    def _wait_controller(files, reached, action, timeout=supervisor.READY_TIMEOUT_SECONDS):
        deadline = time.monotonic() + timeout
        while not reached(restarts.read_state(files)):
            if time.monotonic() > deadline:
                raise SandboxError(f"{files.dir.name}: the controller did not {action} within {timeout} s; last log "
                                   "lines:\n" + supervisor.log_tail(files, "controller"))
            time.sleep(0.05)

    def down(self, keep_state=False):
        """Stop every process the sandbox started; remove its runtime directory unless asked to keep it."""
        if not self.runtime_dir.exists():
            return
        self.stop_flapping()
        for files in self.files.values():
            for component in reversed(COMPONENTS):
                supervisor.stop(files, component)
        if not keep_state:
            shutil.rmtree(self.runtime_dir)

    @property
    def partition_flag(self):
        """Both sites' mirroring links go silent while this file exists (see controller/partition.py)."""
        return self.runtime_dir / "partitioned"

    def partition(self):
        self.sites()
        self.stop_flapping()
        self.partition_flag.touch()
        flapper.note_both(self.runtime_dir, {"link": "cut"})
        return "mirroring link between the sites cut (both directions)"

    def heal(self):
        """Restore the link, and stop it flapping."""
        self.stop_flapping()
        self.partition_flag.unlink(missing_ok=True)
        flapper.note_both(self.runtime_dir, {"link": "healed"})
        return "mirroring link between the sites restored"

    def flap(self, period, down, duration=None):
        """Cut the link for `down` seconds every `period` seconds, for `duration` seconds (until `heal` when
        None), in a process of the sandbox's own (sandbox/flapper.py)."""
        self.sites()
        try:
            schedule = flapper.check_schedule(period, down, duration)
        except ValueError as exc:
            raise SandboxError(str(exc)) from None
        self.stop_flapping()
        files = flapper.FlapperFiles(self.runtime_dir)
        files.schedule.write_text(json.dumps(schedule) + "\n")
        supervisor.start(files, flapper.COMPONENT)
        supervisor.wait_component_ready(files, SimpleNamespace(name="link"), flapper.COMPONENT)
        until = f"for {duration:g} s" if duration else "until `heal`"
        return f"mirroring link flapping: down {down:g} s every {period:g} s, {until}"

    def flapping(self):
        """The running flapper's schedule, or None."""
        files = flapper.FlapperFiles(self.runtime_dir)
        if not supervisor.running_pid(files, flapper.COMPONENT):
            return None
        return json.loads(files.schedule.read_text())

    def stop_flapping(self):
        files = flapper.FlapperFiles(self.runtime_dir)
        if files.dir.exists():
            supervisor.stop(files, flapper.COMPONENT)

    def rotate_certificate(self, site_name, instance, valid_days=None):
        """Ask the site's controller for a new mirroring certificate of `instance` (through the API), valid
        `valid_days` days (default: Arc's 5 years)."""
        from kubernetes import client, config  # pylint: disable=import-outside-toplevel
        from .controller.instances import (  # pylint: disable=import-outside-toplevel
            ROTATE_ANNOTATION, VALID_DAYS_ANNOTATION)

        if valid_days is not None and valid_days < 1:
            raise SandboxError(f"--valid-days must be at least 1, got {valid_days}")

        site, files = self.sites()[self._check_site(site_name)], self.files[site_name]
        configuration = client.Configuration()
        config.load_kube_config(config_file=str(files.kubeconfig), context=site.context,
                                client_configuration=configuration)
        api = client.CustomObjectsApi(client.ApiClient(configuration))
        stamp = datetime.datetime.now(datetime.timezone.utc).isoformat()
        # both annotations in one patch, so the controller never sees the new stamp with a stale validity;
        # null removes the validity a previous short rotation left
        annotations = {ROTATE_ANNOTATION: stamp, VALID_DAYS_ANNOTATION: str(valid_days) if valid_days else None}
        api.patch_namespaced_custom_object("sql.arcdata.microsoft.com", "v13", site.namespace, "sqlmanagedinstances",
                                           instance, {"metadata": {"annotations": annotations}})
        validity = f"{valid_days} days" if valid_days else "5 years"
        return f"site {site_name}: rotation of {instance}'s mirroring certificate requested ({stamp}, valid {validity})"

    def admin_password(self):
        """The demo admin password of this sandbox's instances (random, kept in the runtime directory)."""
        path = self.runtime_dir / "admin-password"
        if not path.exists():
            write_private(path, "Sbx-" + secrets.token_urlsafe(12) + "1!\n")
        return path.read_text().strip()

    def fleet_inventory(self, pairs, path):
        """An inventory of `pairs` DR pairs on the sandbox's two sites (each with its own instances and DAG)."""
        inventory.write(Path(path), self.sites(), self.files, self.admin_password(), pairs)
        return str(path)

    def _check_site(self, name):
        if name not in SITE_NAMES:
            raise SandboxError(f"--site must be one of {', '.join(SITE_NAMES)}, got {name!r}")
        return name

    # -- reporting --------------------------------------------------------------------------------
    def status(self):
        if not self.exists():
            return {"runtime_dir": str(self.runtime_dir), "exists": False, "sites": {}}
        report = {"runtime_dir": str(self.runtime_dir), "exists": True,
                  "profile": json.loads(self.config_path.read_text())["profile"],
                  "inventory": str(self.inventory_path), "sites": {},
                  "link": {"partitioned": self.partition_flag.exists(), "flapping": self.flapping()}}
        for name, site in self.sites().items():
            files = self.files[name]
            pids = {c: supervisor.running_pid(files, c) for c in self.components()}
            report["sites"][name] = {
                "api_url": site.api_url,
                "behaviour": site.behaviour,
                "kubeconfig": str(files.kubeconfig),
                "context": site.context,
                "contexts": {credential: site.context_of(credential) for credential in CREDENTIALS},
                "namespace": site.namespace,
                "state_dir": str(files.dir),
                "audit_log": str(files.audit_log),
                "running": all(pids.values()),
                "components": {c: {"running": bool(pid), "pid": pid} for c, pid in pids.items()},
                "inventory": str(self.inventory_path),
            }
        return report
