import numpy as np
import pytest

from tfdeblur.models.ircnet.scale_selection import reblur_residual, scaled_motion, select_scale
from tfdeblur.physics.nonuniform import MotionBank, nonuniform_blur

BANK = MotionBank(max_length=21, angle_step=15)
SIGMA = 0.01


def _field(shape, length, angle):
    return np.stack([np.full(shape, length), np.full(shape, angle)], axis=-1).astype(np.float32)


@pytest.fixture(scope="module")
def scene(gray_photo):
    """(sharp, blurry, true field): a 96 px crop blurred by a varying motion (11-15 px at 30 deg) + noise."""
    sharp = gray_photo[:96, :96].astype(np.float32)
    field = _field(sharp.shape, 13.0, 30.0)
    field[..., 0] += np.linspace(-2.0, 2.0, 96, dtype=np.float32)[None, :]
    blurry = nonuniform_blur(sharp, field[..., 0], field[..., 1], BANK, mode="same")
    noise = SIGMA * np.random.default_rng(3).standard_normal(sharp.shape).astype(np.float32)
    return sharp, blurry + noise, field


def test_scaled_motion_scales_lengths_keeps_angles_and_stays_in_the_bank():
    motion = np.array([[[10.0, 30.0], [20.0, 170.0], [0.5, 90.0]]], np.float32)
    out = scaled_motion(motion, 1.5, max_length=21.0)
    np.testing.assert_allclose(out[..., 0], [[15.0, 21.0, 1.0]])
    np.testing.assert_array_equal(out[..., 1], motion[..., 1])
    assert motion[0, 0, 0] == 10.0  # the input is not changed


def test_reblurring_the_scene_with_its_own_field_leaves_only_the_noise(scene):
    sharp, blurry, field = scene
    right = reblur_residual(sharp, blurry, field, BANK)
    assert right == pytest.approx(SIGMA ** 2, rel=0.15)
    assert reblur_residual(sharp, blurry, scaled_motion(field, 1.3, 21.0), BANK) > 2 * right
    assert reblur_residual(sharp, blurry, scaled_motion(field, 0.7, 21.0), BANK) > 2 * right


def test_the_reblur_uses_the_given_interpolation_temperature(gray_photo):
    """A model that blurs with a sharp interpolation (temperature 0.05) is checked with that same blur."""
    sharp = gray_photo[:96, :96].astype(np.float32)
    field = _field(sharp.shape, 12.3, 37.0)  # between bank motions, where the temperature matters
    blurry = nonuniform_blur(sharp, field[..., 0], field[..., 1], BANK, temperature=0.05, mode="same")
    assert reblur_residual(sharp, blurry, field, BANK, temperature=0.05) < 1e-10
    assert reblur_residual(sharp, blurry, field, BANK) > 1e-6
    _, info = select_scale(lambda photo, motion: sharp, blurry, field, BANK, scales=(1.0,), noise_sigma=SIGMA,
                           temperature=0.05)
    assert info["residuals"][1.0] < 1e-10


def test_the_longest_scale_within_the_noise_is_chosen(scene):
    sharp, blurry, field = scene
    given = scaled_motion(field, 1 / 1.4, 21.0)  # a field 1.4x too short
    tried = []

    def oracle(photo, motion):  # the scene itself: only the right field explains the photo
        tried.append(float(np.median(motion[..., 0])))
        return sharp

    scale, info = select_scale(oracle, blurry, given, BANK, tolerance=1.2, floor_tolerance=0, noise_sigma=SIGMA)
    assert scale == 1.4
    residuals = info["residuals"]
    assert list(residuals) == [1.6, 1.4, 1.25, 1.12, 1.0, 0.9, 0.8]  # every scale, IRC-Net once each
    assert info["threshold"] == pytest.approx(1.2 * SIGMA ** 2)
    assert residuals[1.6] > info["threshold"] >= residuals[1.4]
    assert min(residuals, key=residuals.get) == 1.4  # the others do not explain the photo
    assert tried == pytest.approx([s * 13 / 1.4 for s in residuals], abs=0.05)


def test_the_field_is_kept_when_no_scale_explains_the_photo(scene):
    _, blurry, field = scene
    scale, info = select_scale(lambda photo, motion: np.zeros_like(photo), blurry, field, BANK, floor_tolerance=0)
    assert scale == 1.0
    assert len(info["residuals"]) == 7
    assert info["noise_sigma"] == pytest.approx(SIGMA, rel=0.3)  # estimated from the photo


def test_the_bar_rises_to_the_smallest_residual_when_that_is_above_the_noise(scene):
    _, blurry, field = scene

    def no_deblurring(photo, motion):  # residuals grow with the scale, all far above the noise
        return photo

    scale, info = select_scale(no_deblurring, blurry, field, BANK, noise_sigma=SIGMA)
    residuals = info["residuals"]
    assert info["threshold"] == pytest.approx(1.3 * min(residuals.values())) and info["threshold"] > SIGMA ** 2
    assert residuals[scale] <= info["threshold"] < min(r for s, r in residuals.items() if s > scale)
    assert scale < 1.6


def test_only_the_central_region_is_deconvolved():
    blurry = np.full((600, 400), 0.5, np.float32)
    shapes = []

    def deconvolve(photo, motion):
        shapes.append((photo.shape, motion.shape))
        return photo

    select_scale(deconvolve, blurry, _field(blurry.shape, 9.0, 0.0), BANK, scales=(1.0,), noise_sigma=SIGMA)
    assert shapes == [((256, 256), (256, 256, 2))]


@pytest.mark.slow  # ~20 s: the ircnet/blind preset, the 511-motion bank's inverse filters, tracing
def test_the_shipped_irc_net_gets_a_too_short_field_back_to_length(gray_photo):
    """With the real deconvolution (ircnet/blind's IRC-Net) and a varying field given 1.4x too short, the
    discrepancy principle lengthens it, and the photo comes out sharper than with the field as given."""
    from tfdeblur import metrics, presets
    from tfdeblur.physics.nonuniform import random_motion_field

    net = presets.load_preset("ircnet/blind", "ircnet")
    bank = net.ircnet.bank
    sharp = gray_photo[:200, :200].astype(np.float32)
    length, angle = random_motion_field(200, 200, (5, 1), max_length=18.0, rotation=0.5, min_length=10.0)
    field = np.stack([length.numpy(), angle.numpy()], axis=-1)
    blurry = nonuniform_blur(sharp, field[..., 0], field[..., 1], bank, mode="same")
    blurry += SIGMA * np.random.default_rng(1).standard_normal(blurry.shape).astype(np.float32)

    def deconvolve(photo, motion):
        return np.clip(net.ircnet({"blurry": photo[None, ..., None], "motion": motion[None]}).numpy()[0, ..., 0], 0, 1)

    given = scaled_motion(field, 1 / 1.4, bank.max_length)
    scale, _ = select_scale(deconvolve, blurry, given, bank)
    assert scale in (1.25, 1.4, 1.6)
    chosen = metrics.psnr(deconvolve(blurry, scaled_motion(given, scale, bank.max_length)), sharp)
    assert chosen > metrics.psnr(deconvolve(blurry, given), sharp) + 1.0
