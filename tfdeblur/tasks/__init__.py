"""The tasks built on the methods and models, one module per `tfdeblur` command that is not plain deblurring:

- `evaluate`: `tfdeblur evaluate`, a method over a dataset, PSNR/SSIM per image and on average;
- `export`: `tfdeblur export`, a Keras model to a SavedModel (TF Serving layout) and TFLite;
- `demo`: `tfdeblur demo`, the bundled photo blurred and deblurred by every method, side by side.

(Batch inference is `tfdeblur.beam`, the web page `tfdeblur.app`, training `tfdeblur.training`.)
This file imports none of them: each loads TensorFlow or the methods only when used.
"""
