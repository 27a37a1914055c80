"""A Kubernetes API server emulator: discovery, CRDs with structural schemas, CRUD, watch, persistence."""
