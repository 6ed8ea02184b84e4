"""IRC-Net: ADMM with iterative residual compensation unrolled into a network (non-blind, non-uniform)."""

from __future__ import annotations

import keras
import tensorflow as tf

from tfdeblur.models.ircnet.bank_initializer import BankInitializer
from tfdeblur.models.ircnet.dual_update import DualUpdate
from tfdeblur.models.ircnet.irc_step import IRCStep
from tfdeblur.models.ircnet.nu_conv import NUConv
from tfdeblur.models.ircnet.prior_conv import PriorConv
from tfdeblur.models.ircnet.shrinkage import Shrinkage
from tfdeblur.physics.nonuniform import MotionBank, interpolation
from tfdeblur.presets import PresetMixin


@keras.saving.register_keras_serializable(package="tfdeblur")
class IRCNet(PresetMixin, keras.Model):
    """N stages of ADMM, each with T steps of iterative residual compensation, as a Keras model.

    Inputs: a dict {"blurry": (N, H, W, C) in [0, 1], "motion": (N, H, W, 2)} where motion holds each
    pixel's linear motion (length in pixels, angle in degrees; `tfdeblur.physics.motion_kernel`
    conventions). Output: the deblurred (N, H, W, C) batch (channels are deblurred independently).

    Per stage (Fig. 3 of the paper): z = Shrink(g * x + beta) (red); T times: r_0 = y - NUConv_k(x),
    r_i = z_i - beta_i - g_i * x, x <- x + tau NUConv_d([r_0, r_i]) (blue); beta <- beta + eta (g * x - z)
    (green). NUConv_k blurs with the motion bank (fixed), NUConv_d applies the bank's least-squares
    inverse filters (trainable, initialised by `inverse_filter_bank`), both through the softmax
    interpolation of each pixel's motion onto its 4 bank neighbours (Eq. 17), which is differentiable in
    the motion (so gradients reach a motion estimator upstream). Boundaries, the rule of
    `tfdeblur.solvers.irc`: x lives on the photo's grid extended by the bank's half size, the data term is
    the 'valid' blur (its residual is zero-extended onto that grid), and the prior and inverse filters act
    circularly on the grid.

    Args:
        stages: ADMM stages N.
        inner: IRC steps per stage T.
        max_length, length_step, angle_step: the motion bank (`MotionBank`).
        filter_size: side of the inverse filters.
        rho: ADMM penalty the inverse filters are computed for.
        lam: prior weight (the shrinkage starts as soft thresholding at lam / rho).
        knots: control points of the shrinkage functions.
        temperature: softmax temperature of the interpolation.
        prior_size: side of the learnable prior filters.
        bank_init: initialise the NU-Conv filters from the bank when built (False leaves zeros, e.g. when
            weights are loaded right after).
        **kwargs: `keras.Model` arguments.

    Example:
    >>> import numpy as np
    >>> net = IRCNet(stages=1, inner=1, max_length=5, angle_step=45, filter_size=7)
    >>> y = np.random.rand(1, 16, 16, 1).astype("float32")
    >>> motion = np.stack([np.full((1, 16, 16), 3.0), np.zeros((1, 16, 16))], -1).astype("float32")
    >>> tuple(net({"blurry": y, "motion": motion}).shape)
    (1, 16, 16, 1)

    Reference:
        T. Eboli, J. Sun, J. Ponce, "Neural Embedding of an Iterative Deconvolution Algorithm for Motion
        Blur Estimation and Removal", 2018 (hal-01857177), Sec. 3.2.
    """

    preset_family = "ircnet"

    def __init__(
        self,
        stages: int = 5,
        inner: int = 2,
        max_length: int = 35,
        length_step: int = 2,
        angle_step: int = 6,
        filter_size: int = 31,
        rho: float = 0.03,
        lam: float = 3e-4,
        knots: int = 33,
        temperature: float = 0.25,
        prior_size: int = 3,
        bank_init: bool = True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.stages = int(stages)
        self.inner = int(inner)
        self.max_length = int(max_length)
        self.length_step = int(length_step)
        self.angle_step = int(angle_step)
        self.filter_size = int(filter_size)
        self.rho = float(rho)
        self.lam = float(lam)
        self.knots = int(knots)
        self.temperature = float(temperature)
        self.prior_size = int(prior_size)
        self.bank_init = bool(bank_init)
        self.bank = MotionBank(self.max_length, self.length_step, self.angle_step)
        n_priors = 2
        grid = dict(max_length=self.max_length, length_step=self.length_step, angle_step=self.angle_step)
        motion_init = BankInitializer("motion", **grid) if self.bank_init else "zeros"
        inverse_init = (
            BankInitializer("inverse", rho=self.rho, size=self.filter_size, **grid)
            if self.bank_init
            else "zeros"
        )
        self.motion_blur = NUConv(
            len(self.bank),
            self.bank.size,
            mode="valid",
            filters_initializer=motion_init,
            trainable=False,
            name="motion_blur",
        )
        self.inverse_filters = NUConv(
            len(self.bank),
            self.filter_size,
            in_channels=1 + n_priors,
            mode="circular",
            filters_initializer=inverse_init,
            name="inverse_filters",
        )
        self.prior_convs = [
            PriorConv(n_priors, self.prior_size, name=f"prior_{s}") for s in range(self.stages)
        ]
        self.shrinks = [
            Shrinkage(n_priors, self.lam / self.rho, self.knots, name=f"shrink_{s}")
            for s in range(self.stages)
        ]
        self.irc_steps = [IRCStep(name=f"irc_{s}_{t}") for s in range(self.stages) for t in range(self.inner)]
        # The last stage's multipliers would never be used: N - 1 dual updates.
        self.duals = [DualUpdate(n_priors, name=f"dual_{s}") for s in range(self.stages - 1)]

    @property
    def margin(self) -> int:
        return (self.bank.size - 1) // 2

    def build(self, input_shape=None):
        if self.built:
            return
        grid = (None, None, None, 1)
        index = (None, None, None, 4)
        self.motion_blur.build([grid, index, index])
        self.inverse_filters.build([(None, None, None, 3), index, index])
        for layer in self.prior_convs:
            layer.build(grid)
        for layer in self.shrinks:
            layer.build((None, None, None, 2))
        for layer in self.irc_steps:
            layer.build([grid, grid])
        for layer in self.duals:
            layer.build([(None, None, None, 2)] * 3)
        self.built = True

    def _interpolate(self, length, angle):
        return interpolation(length, angle, self.bank, self.temperature)

    def call(self, inputs, training=None):
        y = tf.convert_to_tensor(inputs["blurry"], tf.float32)
        motion = tf.convert_to_tensor(inputs["motion"], tf.float32)
        shape = tf.shape(y)
        n, h, w, c = shape[0], shape[1], shape[2], shape[3]
        # Channels are separate problems sharing the motion: fold them into the batch (image-major).
        planes = tf.reshape(tf.transpose(y, [0, 3, 1, 2]), [n * c, h, w, 1])
        motion = tf.repeat(motion, c, axis=0)
        m = self.margin
        pads = [[0, 0], [m, m], [m, m], [0, 0]]
        data_grid = self._interpolate(motion[..., 0], motion[..., 1])
        wide = tf.pad(motion, pads, mode="SYMMETRIC")
        solution_grid = self._interpolate(wide[..., 0], wide[..., 1])
        x = tf.pad(planes, pads, mode="SYMMETRIC")
        beta = tf.zeros(tf.concat([tf.shape(x)[:3], [2]], 0))
        step = 0
        for s in range(self.stages):
            prior = self.prior_convs[s]
            z = self.shrinks[s](prior(x) + beta)
            target = z - beta
            for _ in range(self.inner):
                data_residual = tf.pad(planes - self.motion_blur([x, *data_grid]), pads)
                residuals = tf.concat([data_residual, target - prior(x)], axis=-1)
                x = self.irc_steps[step]([x, self.inverse_filters([residuals, *solution_grid])])
                step += 1
            if s < self.stages - 1:
                beta = self.duals[s]([beta, prior(x), z])
        out = x[:, m : m + h, m : m + w, :]
        return tf.transpose(tf.reshape(out, [n, c, h, w]), [0, 2, 3, 1])

    def get_config(self):
        config = super().get_config()
        config.update(
            stages=self.stages,
            inner=self.inner,
            max_length=self.max_length,
            length_step=self.length_step,
            angle_step=self.angle_step,
            filter_size=self.filter_size,
            rho=self.rho,
            lam=self.lam,
            knots=self.knots,
            temperature=self.temperature,
            prior_size=self.prior_size,
            bank_init=self.bank_init,
        )
        return config
