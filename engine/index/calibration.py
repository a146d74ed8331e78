"""Calibration text for quantizing the embedder: English prose that ships with every Python.

Post-training quantization measures the range of each layer's activations on sample inputs. The samples should look
like what Lectern embeds (paragraphs of technical prose of every length up to the model's window) and must be on
every machine without a download, and be the same everywhere, so a conversion is reproducible: the Python language
reference's topic texts in `pydoc_data.topics` (part of the standard library, under the PSF licence) fit that.
"""
from __future__ import annotations

import re

_WORDS_PER_SAMPLE = (30, 60, 120, 180, 240)  # short headings-and-notes chunks up to chunks past the window


def calibration_texts(count: int = 128) -> list[str]:
    """`count` passages of varied length, in a fixed order.

    Returns:
        Plain-text passages; fewer than `count` only if the standard library's topics were stripped.
    """
    from pydoc_data.topics import topics

    paragraphs: list[str] = []
    for name in sorted(topics):
        for block in re.split(r"\n\s*\n", topics[name]):
            text = " ".join(block.split())
            # Prose paragraphs only: code samples and grammar rules teach the quantizer the wrong ranges.
            if len(text) > 120 and text.count(" ") > 15 and not re.search(r"[{}=]{2}|::=|>>>", text):
                paragraphs.append(text)
    words = " ".join(paragraphs).split()
    out, pos = [], 0
    while len(out) < count and pos < len(words):
        n = _WORDS_PER_SAMPLE[len(out) % len(_WORDS_PER_SAMPLE)]
        out.append(" ".join(words[pos:pos + n]))
        pos += n
    return out
