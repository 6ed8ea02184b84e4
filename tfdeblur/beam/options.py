"""Beam pipeline options passed through `tfdeblur batch`: checked up front, so a typo is a one-line error
rather than a warning Beam prints and ignores."""

from __future__ import annotations

from apache_beam.options import pipeline_options

from tfdeblur.errors import InputError


def _option_parser():
    # Beam's own parser class: its options use add_value_provider_argument, which plain argparse lacks.
    base = getattr(pipeline_options, "_BeamArgumentParser", None)
    if base is None:
        return None

    class Parser(base):
        def error(self, message):
            raise InputError(f"Beam pipeline option: {message}")

    parser = Parser(allow_abbrev=False)
    seen = {}
    for cls in pipeline_options.PipelineOptions.__subclasses__():
        seen.setdefault(str(cls), cls)  # as Beam does: one parser entry per options class
    for cls in seen.values():
        cls._add_argparse_args(parser)
    return parser


def check_pipeline_args(args: list[str]) -> list[str]:
    """Return `args` unchanged if every one is a Beam pipeline option, else raise InputError."""
    parser = _option_parser()
    if parser is None or not args:
        return list(args)
    known, unknown = parser.parse_known_args(args)
    if unknown:
        raise InputError(f"not a tfdeblur batch or Beam pipeline option: {' '.join(unknown)}")
    if getattr(known, "runner", None):
        check_runner(known.runner)
    return list(args)


def check_runner(name: str) -> None:
    """Refuse a runner Beam cannot create (unknown name, or its extra not installed), as Beam would only
    when the pipeline runs."""
    from apache_beam.runners import runner

    try:
        runner.create_runner(name)
    except ValueError:
        known = ", ".join(sorted(getattr(pipeline_options.StandardOptions, "KNOWN_RUNNER_NAMES", ())))
        raise InputError(f"unknown Beam runner '{name}' (known: {known}, or the full name of a "
                         "PipelineRunner class)") from None
    except (ImportError, AttributeError) as err:
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"cannot create Beam runner '{name}': {message}") from None
