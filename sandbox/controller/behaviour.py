"""Controller behaviour profiles: how an emulated Arc controller differs from another where no document settles it.

Real controllers differ from each other (releases, and samples taken years apart) in what their custom resources'
status carries and when; the collection must work on all of them. Each switch below is one such difference, with
the source it rests on (reference notes: arc-api.md, dr-semantics.md, emulator-audit.md; H read directly in a
source, M two consistent sources or one uncertain, L inference). A profile is a named set of switches, chosen per
site at `python -m sandbox up --behaviour`. Where the sources are silent, a profile takes the value that is the
hardest for the collection (the most conservative choice), so that no test passes because the emulator was kind.

docs/emulator.md lists every emulated behaviour with its source and the tests that depend on it.
"""
import dataclasses


@dataclasses.dataclass(frozen=True)
class Behaviour:
    name: str = "rich"
    # FailoverGroup/Dag status.observedGeneration. In the v2 schema, but absent from every real FailoverGroup dump
    # (2022 primary_cr/dr_cr.yaml) and from the 2025 az model (fog_cr.py). (H, emulator-audit #1)
    dag_observed_generation: bool = True
    # status.replicas[] and status.healthState on a FailoverGroup/Dag: missing in the 2022 dumps, present in the
    # 2025 model and sample. (H, emulator-audit #3)
    dag_link_detail: bool = True
    # What status.state means. "link": Updating until the partner is connected, Failed after the connect timeout
    # (this emulator's original reading). "applied": Succeeded as soon as the configuration is applied, whether or
    # not the partner exists (a 2022 primary reported Succeeded 0.8 s after creation, 8 s before its partner's
    # resource existed). (H, emulator-audit #2)
    dag_state: str = "link"
    # Seconds after the link (re)connects during which the side reports state Failed and role Unknown although
    # both replicas are CONNECTED (the 2025 sample); 0 for never. (H sample, duration unknown: L)
    dag_transient_failed_seconds: float = 0.0
    # status.results: "detailed" (the cause, field by field) or "opaque" ("Completed with Failed state for
    # DistributedAgStateMachine...", as real controllers write it). (H, emulator-audit #4)
    dag_results: str = "detailed"
    # status.message carries the cause of a failure (what the 2025 az reads). (H, emulator-audit #4)
    dag_message: bool = False
    # After a planned switch the partner promotes itself and rewrites its own spec.role to
    # force-primary-allow-data-loss (seen for force-secondary in 2022; for a planned switch inferred from the
    # documented one-command procedure). (M, emulator-audit #5)
    partner_rewrites_role: bool = True
    # `primary` written over a `secondary` the controller abandoned (to withdraw the request) is carried out as a
    # no-op. az refuses `primary` on update; what a controller does with it is undocumented. When False the
    # controller refuses it: the generation ends Failed, saying so, and nothing changes. (H az, L controller;
    # emulator-audit #6)
    withdrawal_accepts_primary: bool = True
    # After a forced promotion the controller sets the partner sync mode back to async, in its spec and its
    # link. Documented and observed, so every profile does it. (H, emulator-audit #7)
    sync_reset_after_forced_promotion: bool = True
    # A Ready instance's status.highAvailability carries healthState Healthy and the contained AG's replicas.
    # A real Ready instance was seen with healthState Error and replicas []. (H, emulator-audit #11)
    instance_ha_detail: bool = True
    # Client connections to an instance whose spec.licenseType is DisasterRecovery. Documented: "you cannot connect
    # to an instance whose licence type is DisasterRecovery" (S-DOC-TSG); whether that still holds once such an
    # instance was promoted is not. "always": refused whatever its role, until the licence is switched to BasePrice
    # or LicenseIncluded (the documented step after a failover); "while-secondary": refused only while it is a
    # secondary. Every profile takes "always", the conservative reading. (M docs, L once promoted;
    # emulator-audit #8)
    dr_licence_refuses_clients: str = "always"

    def describe(self):
        """The switches as a dict (for `python -m sandbox status` and the tests)."""
        return dataclasses.asdict(self)


PROFILES = {
    # This emulator's original behaviour: every status field, link-driven states, detailed results.
    "rich": Behaviour(),
    # The 2022 FailoverGroup dumps: status only state/results/role/lastUpdateTime; Succeeded once applied.
    "observed-2022": Behaviour(
        name="observed-2022", dag_observed_generation=False, dag_link_detail=False, dag_state="applied",
        dag_results="opaque", withdrawal_accepts_primary=False, instance_ha_detail=False),
    # The 2025 az extension's model and sample: healthState, replicas, status.message, opaque results, a transient
    # Failed/Unknown while connected.
    "cli-2025": Behaviour(
        name="cli-2025", dag_observed_generation=False, dag_state="applied", dag_transient_failed_seconds=1.5,
        dag_results="opaque", dag_message=True, withdrawal_accepts_primary=False),
}
DEFAULT = "rich"


def profile(name):
    """The Behaviour of profile `name`."""
    if name not in PROFILES:
        raise ValueError(f"unknown controller behaviour {name!r}; known: {', '.join(PROFILES)}")
    return PROFILES[name]


def per_site(text, sites):
    """{site: profile name} from `--behaviour` text: one profile for every site ("cli-2025"), or one per site
    ("primary=observed-2022,secondary=cli-2025"; a site not named gets the default)."""
    text = (text or DEFAULT).strip()
    if "=" not in text:
        profile(text)
        return {site: text for site in sites}
    chosen = {site: DEFAULT for site in sites}
    for part in text.split(","):
        site, unused, name = part.partition("=")
        site, name = site.strip(), name.strip()
        if site not in chosen:
            raise ValueError(f"--behaviour names site {site!r}; the sites are {', '.join(sites)}")
        profile(name)
        chosen[site] = name
    return chosen
