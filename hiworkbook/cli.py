"""The ``hiworkbook`` command line. It adds no logic: each command calls the package's functions.

Commands::

    hiworkbook demo                     generate the synthetic demo region and report every place
    hiworkbook run workbook.toml        one report per place of your own workbook
    hiworkbook validate workbook.toml   check every file; list every problem; exit 1 if any is fatal
    hiworkbook places workbook.toml     list the places reports can be made for
    hiworkbook init workbook.toml       write a commented workbook template
    hiworkbook generate-demo DIR        write the synthetic demo region's files to DIR
    hiworkbook teach reset [DIR]        restore a learner's copy of the teaching course
    hiworkbook generate-demo --scale england DIR   a synthetic England (33,755 areas, boundaries)

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
        sp.add_argument(
            "--format",
            default="html",
            help="output formats, comma-separated: html (always) and pdf (an A4 board paper "
            "per report, printed by headless Chromium; see docs/index-and-pdf.md)",
        )

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
    g.add_argument(
        "--scale",
        default="region",
        help="'region' (default: the 600-area demo ICB), 'england' (a synthetic England: "
        "33,755 small areas, 296 LTLAs, 42 ICBs, with boundaries) or a number of LTLAs "
        "(a reduced synthetic England at the same density)",
    )
    g.add_argument(
        "--causes",
        action="store_true",
        help="with --scale england/N: also deaths by broad cause (nearly triples the counts)",
    )
    g.add_argument("--overwrite", action="store_true")
    g.set_defaults(func=_cmd_generate)
    _teach_parser(sub)
    return p


def _teach_parser(sub: argparse._SubParsersAction) -> None:
    t = sub.add_parser(
        "teach",
        help="the teaching course: list it, reset a learner's copy, write the broken workbook",
        description="The teaching course (notebooks/teaching/): seven lessons on the synthetic "
        "demo region with self-checking exercises. `make teach` opens it in JupyterLab.",
    )
    ts = t.add_subparsers(dest="teach_command", required=True, metavar="ACTION")
    r = ts.add_parser(
        "reset",
        help="restore the course notebooks in a learner's folder (nothing else is touched)",
        description="Copy the learner version of every course notebook into DIR, replacing "
        "the learner's copies (kept in DIR/.reset-backup/ unless --no-backup). Other files in "
        "DIR are left alone.",
    )
    r.add_argument(
        "dir",
        type=Path,
        nargs="?",
        help="the learner's folder (default notebooks/local/teaching)",
    )
    r.add_argument(
        "--lesson",
        type=int,
        action="append",
        metavar="N",
        help="only lesson N (repeat for several; default all)",
    )
    r.add_argument(
        "--keep-existing",
        action="store_true",
        help="only copy notebooks that are missing (never overwrite)",
    )
    r.add_argument(
        "--no-backup", action="store_true", help="do not keep the replaced notebooks"
    )
    r.set_defaults(func=_cmd_teach_reset)
    ls = ts.add_parser("list", help="list the lessons with their objectives")
    ls.set_defaults(func=_cmd_teach_list)
    b = ts.add_parser(
        "broken", help="write lesson 7's broken workbook (problems planted on purpose)"
    )
    b.add_argument(
        "dir",
        type=Path,
        nargs="?",
        help="folder (default notebooks/local/teaching/broken_workbook)",
    )
    b.set_defaults(func=_cmd_teach_broken)


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

    formats = [f.strip().lower() for f in str(args.format).split(",") if f.strip()]
    unknown = sorted(set(formats) - {"html", "pdf"})
    if unknown:
        print(
            f"--format: unknown {', '.join(unknown)} (use html, pdf).", file=sys.stderr
        )
        return 2
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
            formats=formats,
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
    from hiworkbook import paths
    from hiworkbook.coverage import data_gaps

    gaps = data_gaps(ws)
    if gaps:
        print("What the reports will lack (optional files not given):")
        for g in gaps:
            print(f"  - {g}")
    p = ws.config.disclosure
    print(f"Disclosure control: {p.policy} ({p.describe()})")
    print(
        f"Validated workspaces are cached in {paths.cache_dir()} (HIWORKBOOK_CACHE moves it)."
    )
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
    scale = str(args.scale).strip().lower()
    if scale == "region":
        config = generate_demo(args.dir or paths.demo_dir(), **kwargs)
    else:
        from hiworkbook.demo.england import ENGLAND_LTLAS, generate_england_demo

        if scale == "england":
            n_ltla = ENGLAND_LTLAS
        elif scale.isdigit() and 2 <= int(scale) <= ENGLAND_LTLAS:
            n_ltla = int(scale)
        else:
            print(
                f"--scale must be 'region', 'england' or a number of LTLAs from 2 to "
                f"{ENGLAND_LTLAS}, not {args.scale!r}.",
                file=sys.stderr,
            )
            return 2
        if args.dir is None:
            print("Give the folder to write synthetic England into.", file=sys.stderr)
            return 2
        config = generate_england_demo(
            args.dir, n_ltla=n_ltla, causes=args.causes, **kwargs
        )
    print(config)
    return 0


def _cmd_teach_reset(args: argparse.Namespace) -> int:
    from hiworkbook.teaching import learner_dir, reset

    try:
        written = reset(
            args.dir,
            lessons=args.lesson,
            keep_existing=args.keep_existing,
            backup=not args.no_backup,
        )
    except (FileNotFoundError, ValueError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    dest = args.dir or learner_dir()
    print(
        f"Restored {len(written)} notebook{'s' if len(written) != 1 else ''} in {dest}."
    )
    for w in written:
        print(f"  {w.name}")
    return 0


def _cmd_teach_list(args: argparse.Namespace) -> int:
    from hiworkbook.teaching import COURSE

    for lesson in COURSE:
        print(f"{lesson.filename}  ({lesson.minutes} min)  {lesson.title}")
        for o in lesson.objectives:
            print(f"    - {o}")
    return 0


def _cmd_teach_broken(args: argparse.Namespace) -> int:
    from hiworkbook.teaching import broken_workbook

    try:
        toml = broken_workbook(args.dir)
    except FileExistsError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"Wrote a broken workbook (synthetic) to {toml.parent}.")
    print(f"List its problems with: hiworkbook validate {toml}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
