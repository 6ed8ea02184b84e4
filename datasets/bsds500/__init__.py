"""bsds500 dataset."""
