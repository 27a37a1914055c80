"""Two emulated Azure Arc sites on one machine, behind real Kubernetes-style HTTPS APIs.

Not part of the collection's Galaxy artifact: it exists so that the collection can be run, tested
and demonstrated without two real clusters (DESIGN.md section 4).
"""
