#!/usr/bin/env python
"""Put a Motion-Net and an IRC-Net together into one blind pipeline (`BlindIRCNet`) saved as .keras.

No training: the two halves keep their weights (optimizer state is dropped). `tfdeblur deblur --method
ircnet --model OUT.keras` (no kernel) then runs Motion-Net, the field refinement and IRC-Net; a pipeline
fine-tuned end to end comes from `tfdeblur train configs/ircnet_blind.yaml` instead.

    python tools/assemble_blind_ircnet.py --motion runs/ircnet_motionnet_long/model.keras -o blind.keras
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--motion", default="ircnet/motionnet", help="Motion-Net preset or .keras path")
    parser.add_argument("--ircnet", default="ircnet/nonblind", help="IRC-Net preset or .keras path")
    parser.add_argument("--channels", type=int, default=1, help="channels the pipeline is served with")
    parser.add_argument("--smoothing", type=float, default=None,
                        help="in-graph smoothing of the field as a fraction of the shorter side (default: the "
                             "blind path's, field_refinement.SMOOTHING; 0: the raw field)")
    parser.add_argument("-o", "--output", required=True,
                        help="the pipeline's .keras path, or a folder to write it as a preset (model.keras and "
                             "metadata.json)")
    parser.add_argument("--description", default="Motion-Net -> field refinement -> IRC-Net, blind",
                        help="the preset's description (with a folder --output)")
    args = parser.parse_args(argv)

    import numpy as np

    from tfdeblur import presets
    from tfdeblur.errors import InputError
    from tfdeblur.models.ircnet import BlindIRCNet, IRCNet, MotionNet
    from tfdeblur.models.ircnet.field_refinement import SMOOTHING

    smoothing = SMOOTHING if args.smoothing is None else args.smoothing
    if not 0 <= smoothing <= 10:
        print(f"assemble_blind_ircnet: --smoothing must be in [0, 10], got {args.smoothing}", file=sys.stderr)
        return 2
    try:
        motion = presets.load_preset(args.motion, "ircnet", expected=MotionNet, hint="--motion must be a Motion-Net")
        ircnet = presets.load_preset(args.ircnet, "ircnet", expected=IRCNet, hint="--ircnet must be an IRC-Net")
    except InputError as error:
        print(f"assemble_blind_ircnet: {error}", file=sys.stderr)
        return 2
    if ircnet.max_length < motion.max_length:
        print(f"assemble_blind_ircnet: the IRC-Net's bank reaches {ircnet.max_length} px, the Motion-Net "
              f"estimates up to {motion.max_length}", file=sys.stderr)
        return 2
    pipeline = BlindIRCNet(motion, ircnet, channels=args.channels, smoothing=smoothing)
    pipeline(np.zeros((1, 48, 48, args.channels), np.float32))
    if args.output.endswith(".keras"):
        pipeline.save(args.output)
    else:
        pipeline.save_to_preset(args.output, description=args.description,
                                halves={"motion_net": args.motion, "ircnet": args.ircnet})
    print(f"saved {args.output} ({pipeline.count_params():,} parameters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
