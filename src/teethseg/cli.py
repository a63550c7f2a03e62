"""Command-line parsing only: every command calls one function of the package."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from teethseg.errors import TeethsegError
from teethseg.inference.mirror import MIRROR_BY_DEFAULT
from teethseg.io.images import quiet_decoders
from teethseg.teeth.arch_decoder import NAMINGS
from teethseg.version import __version__

DEVICE_HELP = "where the networks run: auto = a CUDA GPU when PyTorch sees one, else the CPU"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="teethseg",
        description="Find the teeth in dental X-rays: predict masks, evaluate, train your own U-Net.",
    )
    parser.add_argument("--version", action="version", version=f"teethseg {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    predict = commands.add_parser("predict", help="segment teeth in radiographs (files or folders)")
    predict.add_argument("inputs", nargs="*", metavar="INPUT",
                         help="image files, folders of images, text files (.txt) of paths, or quoted glob patterns")
    predict.add_argument("--sample", action="store_true", help="also run on the sample radiographs shipped with teethseg")
    predict.add_argument("--out", default="teethseg-out", help="output folder (default: ./teethseg-out)")
    _add_model_arguments(predict)
    predict.add_argument("--batch-size", type=int, default=None,
                         help="images per network call (default: 1 on CPU, 8 on a GPU)")
    predict.add_argument("--threshold", type=float, default=None, metavar="P",
                         help="tooth probability from which a pixel is tooth (default: 0.5); lower finds more, "
                              "and fainter, tooth pixels")
    predict.add_argument("--outputs", default=None, metavar="LIST",
                         help="which files to write, comma-separated from mask,overlay,teeth,json (default: all)")
    predict.add_argument("--summary", action="store_true",
                         help="also write OUT/summary.csv: one row per radiograph (teeth count, missing teeth, "
                              "numbers to check, problems)")
    predict.add_argument("--quiet", "-q", action="store_true", help="print problems only (no line per image, no progress bar)")
    predict.add_argument("--skip-existing", action="store_true",
                         help="skip inputs whose outputs are already complete in --out (resume a folder)")
    predict.add_argument("--dicom-seg", action="store_true",
                         help="also write <stem>_seg.dcm (DICOM Segmentation) for non-DICOM inputs "
                              "(DICOM inputs always get it), with new UIDs and empty patient fields")
    predict.add_argument("--dicom-sr", action="store_true",
                         help="also write <stem>_sr.dcm, a DICOM measurement report (TID 1500): tooth count, "
                              "FDI numbers not found, areas in mm² (implies --dicom-seg, which it refers to)")
    predict.add_argument("--force", action="store_true",
                         help="segment inputs that do not look like dental radiographs too (their JSON says "
                              "\"looks_dental\": false and why) instead of refusing them")
    _add_engine(predict)  # --engine, --ray-address, --num-workers

    evaluate = commands.add_parser("evaluate", help="score a model on a labelled dataset")
    evaluate.add_argument("--data", required=True, help="dataset folder (any supported layout)")
    evaluate.add_argument("--out", default="teethseg-eval", help="output folder (default: ./teethseg-eval)")
    evaluate.add_argument("--split", default="auto", choices=["auto", "val", "train", "test", "all"],
                          help="which images: auto = the val split when the data has one, else all")
    _add_model_arguments(evaluate)
    evaluate.add_argument("--naming", default=None, choices=NAMINGS,
                          help="how teeth are named: pixels = each pixel's vote, then one region per number; arch = "
                               "each jaw's teeth at once in arch order; arch-gaps = the same, also weighing the gaps "
                               "between teeth (default: the model's own; see the model card)")
    evaluate.add_argument("--report", action="store_true",
                          help="also write OUT/report.html: one self-contained page with the scores, boundary metrics "
                               "(HD95, surface Dice), per-split and per-group scores and the worst images")
    evaluate.add_argument("--compare", nargs=2, metavar=("A", "B"), default=None,
                          help="evaluate two model files on the same images and write one report of both side by side "
                               "(OUT/report.html, each model's own results in OUT/A and OUT/B)")
    evaluate.add_argument("--worst", type=int, default=8, metavar="N", help="worst images pictured in the report (default: 8)")

    train = commands.add_parser(
        "train", help="train a U-Net on a labelled dataset",
        description="Train a U-Net on a labelled dataset. On several GPUs or machines, start it with torchrun "
                    "(torchrun --nproc_per_node N -m teethseg train ...): the recipe's batch_size is then the "
                    "global batch, split evenly over the N processes; rank 0 alone writes the run.")
    train.add_argument("--data", required=True, help="dataset folder (any supported layout)")
    train.add_argument("--out", required=True, help="run folder for checkpoints, best model and curves")
    train.add_argument("--config", default=None,
                       help="YAML recipe (configs/*.yaml; default: the bundled mask network's recipe, "
                            "configs/contacts.yaml, without its contact class on masks of one value for all teeth)")
    train.add_argument("--resume", action="store_true",
                       help="continue the run in --out from its last checkpoint (with --epochs N above the run's: "
                            "train on to N epochs with a new learning-rate schedule)")
    train.add_argument("--seed", type=int, default=None, help="random seed (overrides the config)")
    train.add_argument("--epochs", type=int, default=None, help="number of epochs (overrides the config)")
    train.add_argument("--batch-size", type=int, default=None, help="images per training step, all processes together (overrides the config)")
    train.add_argument("--lr", type=float, default=None, help="peak learning rate (overrides the config)")
    train.add_argument("--checkpoint-every", type=float, default=None, metavar="MINUTES",
                       help="minutes between checkpoints within an epoch, besides one after each epoch and one on "
                            "Ctrl-C (default: 5; 0: after every step)")
    train.add_argument("--init", default=None, metavar="MODEL",
                       help="fine-tune: start from this teethseg model file's weights (same network body; "
                            "'default' = the bundled mask network)")
    train.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help=DEVICE_HELP)
    train.add_argument("--report", action=argparse.BooleanOptionalAction, default=True,
                       help="at the end, evaluate the best model on the validation images and write RUN/report.html "
                            "(default: on)")

    export = commands.add_parser("export", help="export a model to ONNX for fast CPU inference")
    export.add_argument("--model", default=None,
                        help="model file, or model folder (default: the bundled model: its four networks)")
    export.add_argument("--onnx", default=None, help="output .onnx file of a model file (config embedded in its metadata)")
    export.add_argument("--out", default=None, metavar="DIR",
                        help="output folder for a whole model (the bundled one by default): every network as a model "
                             "file and its ONNX graph, and teethseg-model.json; --model DIR and load_model(DIR) take it")

    pacs = commands.add_parser("pacs", help="segment a PACS's radiographs over DICOMweb and store the SEGs back")
    pacs.add_argument("--url", required=True, help="DICOMweb root, e.g. http://HOST:PORT/dicom-web")
    pacs.add_argument("--since", default=None, metavar="DATE", help="only studies from this date on (YYYY-MM-DD)")
    pacs.add_argument("--modality", default="PX,DX,IO", help="modalities of the series to segment (default: PX,DX,IO)")
    pacs.add_argument("--dry-run", action="store_true", help="list the instances that would be segmented, store nothing")
    pacs.add_argument("--dicom-sr", action="store_true", help="also store a measurement report (TID 1500) per image")
    pacs.add_argument("--user", default=None, help="HTTP basic user (or env TEETHSEG_PACS_USER); the password "
                                                   "comes from env TEETHSEG_PACS_PASSWORD")
    pacs.add_argument("--token", default=None, help="bearer token (better: env TEETHSEG_PACS_TOKEN)")
    _add_model_arguments(pacs)

    _add_serve(commands)  # serve: the web page and REST API (teethseg.serve)

    data = commands.add_parser("data", help="inspect datasets")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="DATA_COMMAND")
    check = data_commands.add_parser("check", help="report layout, counts, sizes, mask values and problems")
    check.add_argument("data", help="dataset folder")
    convert = data_commands.add_parser("convert", help="convert a dataset to label-map masks, COCO or YOLOv8-seg")
    convert.add_argument("src", help="dataset folder (any supported layout)")
    convert.add_argument("dst", help="new output folder (must not exist or be empty)")
    convert.add_argument("--to", required=True, choices=["masks", "coco", "yolo"], help="output layout")
    return parser


def _list(value: str | None) -> tuple[str, ...] | None:
    """A comma-separated option as a tuple of its items (None when not given)."""
    return None if value is None else tuple(item.strip() for item in value.split(",") if item.strip())


def _add_model_arguments(command: argparse.ArgumentParser) -> None:
    """The options that choose the networks and how they run, the same for predict and evaluate."""
    command.add_argument("--model", default=None, help="model file (default: the bundled model)")
    command.add_argument("--numbering", default=None, action="append", metavar="MODEL",
                         help="numbering model file that names the teeth of --model's mask; given "
                              "again, the models (seeds of one recipe) are averaged (default: the "
                              "bundled numbering networks; see configs/numbering.yaml)")
    command.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help=DEVICE_HELP)
    command.add_argument("--backend", default="auto", choices=["auto", "openvino", "onnx", "torch"],
                         help="auto on a CPU: the bundled networks' INT8 twins in OpenVINO, else ONNX Runtime when "
                              "the model has an ONNX twin, else PyTorch; onnx: float networks in ONNX Runtime")
    command.add_argument("--mirror", action=argparse.BooleanOptionalAction, default=MIRROR_BY_DEFAULT,
                         help="also segment the mirror image and average (default: on): more accurate; "
                              "--no-mirror halves the network time")


def _add_engine(predict: argparse.ArgumentParser) -> None:
    """Where ``teethseg predict`` runs: this machine's cores, or a Ray cluster (``teethseg.predict.ray_engine``)."""
    predict.add_argument("--engine", default="local", choices=["local", "ray"],
                         help="local: threads on this machine (default); ray: actors on a Ray cluster, each loading "
                              "the model once (pip install 'teethseg[ray]'); the same outputs either way")
    predict.add_argument("--ray-address", default=None, metavar="ADDRESS",
                         help="with --engine ray: auto = the running cluster, local = a new Ray on this machine, "
                              "ray://HOST:PORT = Ray Client (default: $RAY_ADDRESS, else a new local Ray)")
    predict.add_argument("--num-workers", type=int, default=None, metavar="N",
                         help="with --engine ray: actors segmenting at once (default: one per CPU of the cluster)")


def _add_serve(commands: argparse._SubParsersAction) -> None:
    """``teethseg serve``: the web page and REST API (``teethseg.serve``)."""
    serve = commands.add_parser("serve", help="a web page and REST API for segmenting radiographs")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to bind (default: 127.0.0.1, this machine only; any other needs an API key)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve.add_argument("--model", default=None, help="model file (default: the bundled model)")
    serve.add_argument("--numbering", default=None, action="append", metavar="MODEL",
                       help="numbering model file(s), as for predict (default: the bundled numbering networks)")
    serve.add_argument("--workers", type=int, default=None,
                       help="radiographs segmented at once (default: one per CPU core, at most 4)")
    serve.add_argument("--queue", type=int, default=16,
                       help="uploads that may wait for a worker; more get 503 (default: 16)")
    serve.add_argument("--max-upload-mb", type=float, default=50.0, help="largest upload in MB; more get 413 (default: 50)")
    serve.add_argument("--api-key", default=None,
                       help="require this key (header X-API-Key) on every /v1 call (default: $TEETHSEG_API_KEY)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``teethseg`` command; returns the exit code."""
    for stream in (sys.stdout, sys.stderr):  # file names that are not valid UTF-8 print escaped, never crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = _parser().parse_args(argv)
    quiet_decoders()
    try:
        _check_destinations(args)
        code = _run(args)
        sys.stdout.flush()
        return code
    except TeethsegError as error:
        print(f"teethseg: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("teethseg: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Whoever read our output stopped (`teethseg evaluate ... | head`): end quietly, as other
        # command-line tools do, with what is still buffered going nowhere instead of to a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as error:  # a file system refusal not foreseen by a command: still one line
        where = f"{os.fsdecode(error.filename)}: " if error.filename else ""
        print(f"teethseg: error: {where}{error.strerror or error}", file=sys.stderr)
        return 2


def _check_destinations(args: argparse.Namespace) -> None:
    """Refuse an output path under a file before a command starts its work."""
    from teethseg.io.destinations import check_destination

    if args.command in ("train", "evaluate"):
        check_destination(args.out)
    elif args.command == "export":
        if args.onnx is not None:
            check_destination(args.onnx, folder=False)
        if args.out is not None:
            check_destination(args.out)
    elif args.command == "data" and args.data_command == "convert":
        check_destination(args.dst)


def _start_compiling(args: argparse.Namespace) -> None:
    """When predict will run the bundled INT8 twins on this machine's CPU, begin compiling them now,
    beside the imports that follow (``teethseg.inference.early_compile``)."""
    from teethseg.nn.device import cuda_possible

    if args.model or args.numbering or args.engine != "local" or args.backend not in ("auto", "openvino") \
            or args.device == "cuda" or (args.device == "auto" and cuda_possible()):
        return
    from teethseg.inference.early_compile import start_bundled
    from teethseg.predict.listing import sample_paths
    from teethseg.predict.workers import cpu_workers, jobs_guess

    jobs = jobs_guess(args.inputs, len(sample_paths()) if args.sample else 0)
    if jobs:
        start_bundled(args.mirror, cpu_workers(jobs)[1])


def _run(args: argparse.Namespace) -> int:
    """Run the chosen command; its exit code."""
    if args.command == "train":
        from teethseg.training.train import CHECKPOINT_MINUTES, train

        if args.checkpoint_every is not None and args.checkpoint_every < 0:
            raise TeethsegError(None, f"--checkpoint-every must be 0 or more minutes, got {args.checkpoint_every}")
        train(args.data, args.out, args.config, args.resume, args.seed, args.device, args.epochs, init=args.init,
              report=args.report, batch_size=args.batch_size, lr=args.lr,
              checkpoint_minutes=CHECKPOINT_MINUTES if args.checkpoint_every is None else args.checkpoint_every)
        return 0
    if args.command == "predict":
        _start_compiling(args)
        from teethseg.predict.folders import predict_command

        return predict_command(args.inputs, args.out, args.model, args.device, args.sample, args.backend,
                               args.batch_size, args.skip_existing, args.mirror, args.numbering,
                               dicom_seg=args.dicom_seg, dicom_sr=args.dicom_sr, threshold=args.threshold,
                               outputs=_list(args.outputs), quiet=args.quiet, summary=args.summary, engine=args.engine,
                               ray_address=args.ray_address, num_workers=args.num_workers, force=args.force)
    if args.command == "pacs":
        from teethseg.pacs import pacs_command

        return pacs_command(args.url, args.since, args.modality, args.dry_run, args.dicom_sr, args.user, None,
                            args.token, args.model, args.device, args.backend, args.mirror, args.numbering)
    if args.command == "evaluate" and (args.report or args.compare):
        from teethseg.evaluation.commands import report_command

        return report_command(args)
    if args.command == "evaluate":
        from teethseg.evaluation.evaluate import evaluate

        evaluate(args.data, args.model, args.out, args.split, args.device, args.backend, mirror=args.mirror,
                 numbering=args.numbering, naming=args.naming)
        return 0
    if args.command == "export":
        from teethseg.nn.export import export_command

        written = export_command(args.model, args.onnx, args.out)
        print(f"wrote {written[0].parent if args.onnx is None else written[0]}: {', '.join(p.name for p in written)}")
        return 0
    if args.command == "serve":
        from teethseg.serve.app import default_workers
        from teethseg.serve.run import serve_command

        return serve_command(args.host, args.port, args.model, args.numbering, args.workers or default_workers(),
                             args.queue, args.max_upload_mb, args.api_key)
    if args.command == "data" and args.data_command == "check":
        from teethseg.data.check import check_command

        return check_command(args.data)
    if args.command == "data" and args.data_command == "convert":
        from teethseg.data.convert import convert_command

        return convert_command(args.src, args.dst, args.to)
    return 1


if __name__ == "__main__":
    sys.exit(main())
