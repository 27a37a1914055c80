"""The licence type of an instance, changed the way the docs change it after a failover (the new primary
from DisasterRecovery to BasePrice or LicenseIncluded): a spec change the controller carries out."""
from .conftest import GROUP, SQLMI


def switch_licence(instance, licence_type, timeout=20):
    """Patch spec.licenseType; returns the instance once Ready at the new generation."""
    instance.api.patch_namespaced_custom_object(GROUP, SQLMI[1], instance.site.namespace, SQLMI[0], instance.name,
                                                {"spec": {"licenseType": licence_type}})
    return instance.wait_ready(timeout)


def open_to_clients(instance):
    """A DR instance that must take client connections (a promoted one): licence BasePrice."""
    return switch_licence(instance, "BasePrice")
