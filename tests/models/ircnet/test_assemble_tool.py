import numpy as np

from tfdeblur import presets


def test_assembles_a_blind_pipeline_that_deblurs_like_its_halves(tmp_path, load_tool, tiny_ircnet):
    from tfdeblur.models.ircnet import BlindIRCNet, MotionNet

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
    pipeline = presets.load(str(tmp_path / "preset"), "ircnet", expected=BlindIRCNet)
    expected = ircnet({"blurry": x, "motion": motion.motion_field(x)}).numpy()
    np.testing.assert_allclose(pipeline(x).numpy(), expected, atol=1e-5)


def test_refuses_halves_of_the_wrong_kind(tmp_path, load_tool, tiny_ircnet, capsys):
    tool = load_tool("assemble_blind_ircnet")
    code = tool.main(["--motion", "ircnet/nonblind", "-o", str(tmp_path / "x.keras")])
    err = capsys.readouterr().err
    assert code == 2 and "Motion-Net" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.keras").exists()
