import numpy as np
import pytest

from tfdeblur import presets


def test_assembles_a_blind_pipeline_that_deblurs_like_its_halves(tmp_path, load_tool, tiny_ircnet):
    from tfdeblur.models.ircnet import BlindIRCNet, MotionNet
    from tfdeblur.models.ircnet.field_refinement import SMOOTHING
    from tfdeblur.models.ircnet.method import blind_field

    motion, ircnet = MotionNet(width=8, blocks=1, max_length=9.0), tiny_ircnet()
    x = np.random.default_rng(0).random((1, 40, 40, 1)).astype(np.float32)
    motion(x)
    ircnet({"blurry": x, "motion": motion.motion_field(x)})
    motion.save(tmp_path / "motion.keras")
    ircnet.save(tmp_path / "ircnet.keras")
    tool = load_tool("assemble_blind_ircnet")
    code = tool.main(["--motion", str(tmp_path / "motion.keras"), "--ircnet", str(tmp_path / "ircnet.keras"),
                      "-o", str(tmp_path / "preset")])
    assert code == 0
    pipeline = presets.load_preset(str(tmp_path / "preset"), "ircnet", expected=BlindIRCNet)
    assert pipeline.smoothing == SMOOTHING  # the Python blind path's smoothing, in the graph
    field, *_ = blind_field(pipeline, x[0, ..., 0], refine=False)
    expected = ircnet({"blurry": x, "motion": field[None]}).numpy()
    np.testing.assert_allclose(pipeline(x).numpy(), expected, atol=1e-5)
    # --smoothing 0: the networks end to end on the raw field
    assert tool.main(["--motion", str(tmp_path / "motion.keras"), "--ircnet", str(tmp_path / "ircnet.keras"),
                      "--smoothing", "0", "-o", str(tmp_path / "raw.keras")]) == 0
    raw = presets.load_preset(str(tmp_path / "raw.keras"), "ircnet", expected=BlindIRCNet)
    expected = ircnet({"blurry": x, "motion": motion.motion_field(x)}).numpy()
    np.testing.assert_allclose(raw(x).numpy(), expected, atol=1e-5)
    field, *_ = blind_field(raw, x[0, ..., 0], refine=False)  # the Python path follows the pipeline's smoothing
    np.testing.assert_allclose(field, motion.motion_field(x).numpy()[0], atol=1e-5)


@pytest.mark.parametrize("args, match", [(["--motion", "ircnet/nonblind"], "Motion-Net"),
                                         (["--smoothing", "-1"], "--smoothing")])
def test_refuses_wrong_halves_and_options(tmp_path, load_tool, capsys, args, match):
    tool = load_tool("assemble_blind_ircnet")
    code = tool.main([*args, "-o", str(tmp_path / "x.keras")])
    err = capsys.readouterr().err
    assert code == 2 and match in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.keras").exists()
