"""The ``hiworkbook`` command line. It adds no logic: each command calls the package's functions.

Commands::

    hiworkbook demo                     generate the synthetic demo region and report every place
    hiworkbook run workbook.toml        one report per place of your own workbook
    hiworkbook validate workbook.toml   check every file; list every problem; exit 1 if any is fatal
    hiworkbook places workbook.toml     list the places reports can be made for
    hiworkbook init workbook.toml       write a commented workbook template
    hiworkbook generate-demo DIR        write the synthetic demo region's files to DIR

Data problems are reported as one readable list, never as a traceback (exit status 1).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from hiworkbook import __version__

log = logging.getLogger("hiworkbook")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hiworkbook",
        description="Health-inequalities workbook: local data (or a synthetic demo region) to maps "
        "and plain-English place reports with PHE-standard statistics.",
    )
    p.add_argument("--version", action="version", version=f"hiworkbook {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def run_opts(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--out", type=Path, help="run folder (default reports/<config folder>)"
        )
        sp.add_argument(
            "--places", nargs="+", metavar="CODE", help="only these place codes"
        )
        sp.add_argument("--level", help="only places of this level (ltla, icb, ...)")
        sp.add_argument("--period", help="period to report (default: the workbook's)")
        sp.add_argument(
            "-p",
            "--parameter",
            nargs=2,
            action="append",
            default=[],
            metavar=("NAME", "VALUE"),
            help="a notebook parameter, as papermill's -p (VALUE read as JSON when it parses: "
            "-p gap_indicators '[\"mortality_u75\"]')",
        )
        sp.add_argument(
            "--workers",
            type=int,
            default=2,
            help="parallel workers, each with one warm kernel (default 2; 1 = in this process)",
        )
        sp.add_argument(
            "--resume",
            action="store_true",
            help="skip places whose report exists and whose notebook, parameters and inputs "
            "are unchanged (run.json); redo failed and changed ones",
        )
        sp.add_argument(
            "--timeout",
            type=float,
            default=300,
            metavar="SECONDS",
            help="stop a place that runs longer and record it as failed (default 300)",
        )
        sp.add_argument(
            "--fresh-kernels",
            action="store_true",
            help="start a fresh kernel for every place instead of reusing warm ones (slower)",
        )
        sp.add_argument(
            "--executor",
            choices=["local", "dask"],
            default="local",
            help="where places run: local processes, or Dask (needs hiworkbook[dask])",
        )
        sp.add_argument(
            "--scheduler",
            metavar="ADDRESS",
            help="with --executor dask, a running scheduler (tcp://HOST:8786); "
            "default a local cluster of --workers processes",
        )
        sp.add_argument(
            "--keep-notebooks", action="store_true", help="keep executed notebooks too"
        )
        sp.add_argument(
            "--notebook", default="place_profile", help="report notebook (name or path)"
        )
        sp.add_argument("--no-progress", action="store_true", help="no progress bar")

    d = sub.add_parser(
        "demo", help="generate the synthetic demo region and report every place"
    )
    d.add_argument(
        "--data", type=Path, help="where to generate the demo data (default data/demo)"
    )
    d.add_argument("--regenerate", action="store_true", help="regenerate the demo data")
    run_opts(d)
    d.set_defaults(func=_cmd_demo)

    r = sub.add_parser("run", help="one report per place of a workbook")
    r.add_argument("config", type=Path, help="workbook.toml")
    run_opts(r)
    r.set_defaults(func=_cmd_run)

    v = sub.add_parser(
        "validate", help="check every file a workbook names and list every problem"
    )
    v.add_argument("config", type=Path, help="workbook.toml")
    v.set_defaults(func=_cmd_validate)

    pl = sub.add_parser("places", help="list the places a workbook can report")
    pl.add_argument("config", type=Path, help="workbook.toml")
    pl.set_defaults(func=_cmd_places)

    i = sub.add_parser("init", help="write a commented workbook.toml template")
    i.add_argument("path", type=Path, nargs="?", default=Path("workbook.toml"))
    i.set_defaults(func=_cmd_init)

    g = sub.add_parser("generate-demo", help="write the synthetic demo region's files")
    g.add_argument("dir", type=Path, nargs="?", help="folder (default data/demo)")
    g.add_argument(
        "--seed",
        type=int,
        default=None,
        help="random seed (default: the fixed demo seed)",
    )
    g.add_argument("--overwrite", action="store_true")
    g.set_defaults(func=_cmd_generate)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hiworkbook`` command."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s" if args.verbose else "%(message)s",
    )
    for noisy in ("papermill", "traitlets", "asyncio", "fiona", "pyogrio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from hiworkbook.validate import DataError

    try:
        return int(args.func(args) or 0)
    except DataError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


def _run(config: Path | None, args: argparse.Namespace) -> int:
    from hiworkbook.batch import RunInterrupted, run_reports

    if args.scheduler and args.executor != "dask":
        log.error("--scheduler needs --executor dask")
        return 2
    params = {"period": args.period} if args.period else {}
    for name, value in args.parameter:
        try:
            params[name] = json.loads(value)
        except json.JSONDecodeError:
            params[name] = value
    try:
        summary = run_reports(
            config,
            out_dir=args.out,
            places=args.places,
            level=args.level,
            notebook=args.notebook,
            parameters=params,
            workers=args.workers,
            keep_notebooks=args.keep_notebooks,
            progress=not args.no_progress,
            resume=args.resume,
            timeout=args.timeout or None,
            executor=args.executor,
            scheduler=args.scheduler,
            warm=not args.fresh_kernels,
        )
    except RunInterrupted as stop:
        s = stop.summary
        print(
            f"Interrupted: {len(s.done)} report(s) on disk, {len(s.pending)} not made; "
            f"{s.index} lists them; run again with --resume to finish.",
            file=sys.stderr,
        )
        return 130
    ok = len(summary.done)
    log.info(
        "%d of %d reports written in %.1f s%s.",
        ok,
        len(summary.outcomes),
        summary.seconds,
        f" ({len(summary.skipped)} up to date, skipped)" if summary.skipped else "",
    )
    if summary.failed:
        log.error(
            "%d place(s) failed (reasons above and in the index): %s",
            len(summary.failed),
            ", ".join(f.place_code for f in summary.failed),
        )
    log.info("Open %s", summary.index)
    return 1 if summary.failed else 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from hiworkbook import paths
    from hiworkbook.demo import generate_demo

    data = args.data or paths.demo_dir()
    config = generate_demo(data, overwrite=args.regenerate)
    log.info("Synthetic demo region: %s", config)
    if args.out is None:
        args.out = paths.output_dir() / "demo"
    return _run(config, args)


def _cmd_run(args: argparse.Namespace) -> int:
    return _run(args.config, args)


def _cmd_validate(args: argparse.Namespace) -> int:
    from hiworkbook.workspace import Workspace

    ws = Workspace.from_config(args.config, cache=False)
    places = ws.places()
    print(f"{args.config}: no fatal problems.")
    print(
        f"  {len(ws.areas):,} small areas ({ws.area_col}), {len(places)} place{'s' if len(places) != 1 else ''} "
        f"({', '.join(f'{n} {lv}' for lv, n in places['level'].value_counts().sort_index().items())}), "
        f"{len(ws.indicators)} indicator definitions, periods with counts: {', '.join(ws.periods) or 'none'}."
    )
    for w in ws.warnings:
        print(f"  - {w}")
    return 0


def _cmd_places(args: argparse.Namespace) -> int:
    from hiworkbook.workspace import Workspace

    ws = Workspace.from_config(args.config)
    print(ws.places().to_string(index=False))
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from hiworkbook.config import TEMPLATE

    if args.path.exists():
        print(f"{args.path} already exists; not overwritten.", file=sys.stderr)
        return 1
    args.path.parent.mkdir(parents=True, exist_ok=True)
    args.path.write_text(TEMPLATE, encoding="utf-8")
    print(
        f"Wrote {args.path}. Edit the paths, then run: hiworkbook validate {args.path}"
    )
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from hiworkbook import paths
    from hiworkbook.demo import generate_demo

    kwargs = {"overwrite": args.overwrite}
    if args.seed is not None:
        kwargs["seed"] = args.seed
    config = generate_demo(args.dir or paths.demo_dir(), **kwargs)
    print(config)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
