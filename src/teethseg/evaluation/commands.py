"""The command-line side of ``teethseg evaluate --report`` and ``--compare A B``."""

from __future__ import annotations

import argparse

from teethseg.errors import TeethsegError


def report_command(args: argparse.Namespace) -> int:
    """Run the report or the comparison the arguments ask for; the exit code."""
    if args.worst < 0:
        raise TeethsegError(None, f"--worst must be 0 or more, not {args.worst}")
    if args.compare:
        if args.model:
            raise TeethsegError(None, "--compare A B names both models: leave out --model")
        if args.naming:
            raise TeethsegError(None, "--compare A B compares models with their own naming: leave out --naming")
        from teethseg.evaluation.compare import compare_report

        compare_report(args.data, tuple(args.compare), args.out, args.split, args.device, args.backend, args.mirror,
                       args.numbering, args.worst)
        return 0
    from teethseg.evaluation.reports import evaluate_report

    evaluate_report(args.data, args.model, args.out, args.split, args.device, args.backend, args.mirror, args.numbering, args.worst,
                    naming=args.naming)
    return 0
