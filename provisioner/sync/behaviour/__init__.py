"""What each resource kind means to the sync stage: one module per kind, registered in provisioner.sync.kinds."""
