"""levin dataset."""
