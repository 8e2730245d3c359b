"""Throughput and memory of `Scorer.score` versus an XLM-R-base-sized classifier.

Both run on the same deterministic multilingual texts in one process, timed
in interleaved slices so that load from other processes affects both alike.
The scorer masks the texts' brand names as the pipeline masks configured
names (every text names one). The scorer's peak RSS is taken before the
XLM-R-base stand-in (random weights: same compute as the real one, no hub access) is built. Both run at
the same precision: bf16 weights where the CPU has native bf16, else fp32.

    python bench/bench_scoring.py --n 5000 --threads 2 [--precision fp32]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import time

BRANDS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"]
TEMPLATES = {
    "en": ["I love the new {b} app, works great", "{b} support never answered my ticket",
           "The {b} update broke login again", "{b} raised prices, not worth it anymore",
           "Just ordered from {b}, delivery in two days", "Is {b} down for anyone else?"],
    "ko": ["{b} 앱 업데이트 후 계속 멈춰요", "{b} 고객센터 정말 친절하네요", "{b} 가격이 너무 올랐어요",
           "{b} 배송이 일주일째 안 와요", "{b} 신제품 너무 예뻐요"],
    "ja": ["{b}のアプリがまた落ちた", "{b}のサポートの対応が最高でした", "{b}の値上げはひどい",
           "{b}の荷物がまだ届かない", "{b}の新製品が楽しみ"],
    "es": ["Me encanta la nueva app de {b}", "El soporte de {b} no responde", "{b} subió los precios otra vez"],
    "de": ["Die {b} App stürzt ständig ab", "Lieferung von {b} kam pünktlich"],
    "fr": ["Le service client de {b} est nul", "J'adore le nouveau produit {b}"],
}
TAILS = ["", " today", " !!", " #fail", " :)", " honestly", " 😡", " 👍", " again and again", " lol"]


def make_texts(n: int, seed: int = 7) -> list[str]:
    """Deterministic short multilingual mentions."""
    rng = random.Random(seed)
    langs = list(TEMPLATES)
    return [
        rng.choice(TEMPLATES[lang]).format(b=rng.choice(BRANDS)) + rng.choice(TAILS)
        for lang in (rng.choice(langs) for _ in range(n))
    ]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _xlmr_base_backend(tokenizer, bf16: bool = False):
    """XLM-R-base-sized classifier with random weights (same compute as the real one).

    ``bf16``: cast the weights like our encoder does on CPUs with native bf16, so the two
    are compared at the same precision.
    """
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification

    from listening.nlp.scoring import HFClassifierBackend

    torch.manual_seed(0)
    config = XLMRobertaConfig(vocab_size=250002, hidden_size=768, num_hidden_layers=12,
                              num_attention_heads=12, intermediate_size=3072,
                              max_position_embeddings=514, pad_token_id=1, num_labels=3)
    model = XLMRobertaForSequenceClassification(config)
    return HFClassifierBackend(model.to(torch.bfloat16) if bf16 else model, tokenizer, "xlmr-base-random")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=5000, help="texts for the bundled scorer (default 5000)")
    parser.add_argument("--xlmr-n", type=int, default=None, help="texts for XLM-R-base (default: --n)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--chunk", type=int, default=250, help="texts per interleaved timing slice")
    parser.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto",
                        help="auto: bf16 weights where the CPU has native bf16 (default)")
    args = parser.parse_args()
    if args.precision != "auto":
        os.environ["LISTENING_BF16"] = "1" if args.precision == "bf16" else "0"

    import torch

    from listening.nlp.masking import BrandMask
    from listening.nlp.scoring import Scorer

    torch.set_num_threads(args.threads)
    texts = make_texts(args.n)
    xlmr_n = min(args.xlmr_n or args.n, args.n)

    t0 = time.perf_counter()
    scorer = Scorer.load(threads=args.threads, mask=BrandMask(BRANDS))
    load_s = time.perf_counter() - t0
    scorer.score(texts[: args.chunk], batch_size=args.batch_size)
    scorer_rss = _peak_rss_mb()
    bf16 = bool(getattr(scorer.backend.encoder, "bf16", False))
    xlmr = _xlmr_base_backend(scorer.backend.encoder.tokenizer, bf16)
    print(f"precision for both models: {'bf16 weights (CPU has native bf16)' if bf16 else 'fp32'}")
    xlmr.forward(texts[: args.batch_size], args.batch_size)

    # Interleaved slices, so load from other processes hits both models alike.
    spent = {"scorer": 0.0, "xlmr": 0.0}
    for start in range(0, args.n, args.chunk):
        part = texts[start : start + args.chunk]
        t = time.perf_counter()
        scorer.score(part, batch_size=args.batch_size)
        spent["scorer"] += time.perf_counter() - t
        if start < xlmr_n:
            t = time.perf_counter()
            xlmr.forward(texts[start : min(start + args.chunk, xlmr_n)], args.batch_size)
            spent["xlmr"] += time.perf_counter() - t
    rate = args.n / spent["scorer"]
    xlmr_rate = xlmr_n / spent["xlmr"]
    print(f"texts: {args.n} (XLM-R-base: {xlmr_n}), threads: {args.threads}, batch: {args.batch_size}")
    print(f"scorer (e5-small 4-bit dequantized + head + topics): {rate:.1f} texts/s, "
          f"peak RSS {scorer_rss:.0f} MB (load {load_s:.1f} s)")
    print(f"XLM-R-base classifier (random weights):           {xlmr_rate:.1f} texts/s")
    print(f"speed-up: {rate / xlmr_rate:.1f}x; process peak RSS with both loaded {_peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
