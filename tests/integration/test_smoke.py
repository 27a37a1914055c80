"""The smallest end-to-end check: a module reaches both sites through the generated inventory."""
from .conftest import collection_requests


def test_info_modules_read_both_sites_with_one_discovery_request_each(ansible, arc_sites):
    marks = {name: site.audit_mark() for name, site in arc_sites.sites.items()}
    run = ansible.run(ansible.play([{"name": "instances", "arcdata.sqlmi.arc_sqlmi_info": {}},
                                    {"name": "dags", "arcdata.sqlmi.arc_dag_info": {}}], hosts="all"))
    assert run.rc == 0, run
    for host in ("primary", "secondary"):
        assert run.result("instances", host)["instances"] == []
        assert run.result("dags", host)["api_kind"] == "FailoverGroup"
        requests = collection_requests(arc_sites.site(host).audit_since(marks[host]))
        assert [e["path"] for e in requests if e["path"] in ("/apis", "/api")] == ["/apis", "/apis"]  # one a task
