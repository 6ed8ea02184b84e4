"""Training: the fit machinery the families' training uses, and the run that `tfdeblur train` starts.

- `fitting`: strategy, learning-rate schedule, optimizer, callbacks, `fit`, the run folder's config;
- `resume`: the one resume mechanism (the resume folder of Keras training and of SelfDeblur's custom loop);
- `run`: a config's run (`train(config)`): strategy, seed, the family's `train`, the saved and exported model.

`fitting` and `resume` sit below the model families (`tfdeblur.models.<family>.training` imports them);
`run` sits above them, since it finds a family's training in `tfdeblur.families` (README "Package map").
This file imports none of them, so importing `tfdeblur.training.fitting` does not load the families.
"""
