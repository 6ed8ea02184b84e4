"""A known kernel carried into SelfDeblur's kernel generator (`init="blind"` starts the networks from it)."""

import numpy as np

from tfdeblur import physics
from tfdeblur.models.selfdeblur import KernelGenerator
from tfdeblur.models.selfdeblur import kernel_transfer as kt
from tfdeblur.physics.kernel_support import resize_kernel


def test_carried_kernel_is_reproduced_exactly():
    upsampled = resize_kernel(physics.motion_kernel(5, 60), (9, 9))
    net = KernelGenerator(9, seed=0)
    net.build((1, 200))
    before = net(np.full((1, 200), 0.05, np.float32))[0].numpy()
    claimed = kt.carry_kernel(net, upsampled)
    np.testing.assert_allclose(claimed, upsampled, atol=1e-4)  # only the log floor (1e-6 per tap) differs
    for noise in (np.full((1, 200), 0.05, np.float32), np.random.default_rng(1).random((1, 200)).astype("float32")):
        np.testing.assert_allclose(net(noise)[0].numpy(), claimed, atol=1e-7)
    assert np.abs(before - upsampled).max() > 1e-3  # the check above can fail: the fresh net differs
