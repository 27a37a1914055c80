"""The sandbox's Azure: an Entra token endpoint, cloud metadata and Azure Resource Manager for
Microsoft.AzureArcData, projecting ARM writes onto the sites' Kubernetes APIs through their custom
locations, as a direct-mode Arc deployment does (shared/reference/direct-mode.md §5).

One process for the whole sandbox (`python -m sandbox.arm --site-dir <runtime>/azure`), started by
`python -m sandbox up --mode direct` next to the sites' processes."""
