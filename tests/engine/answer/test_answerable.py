"""The trained answerability reader: numpy forward equals torch's, the shipped weights prefer the passage that
answers, and windows are chosen as `ask` needs them."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from engine.answer.answerable import WEIGHTS, AnswerabilityModel, candidate_windows, read_safetensors, window
from engine.paths import packaged_embedder_dir

QUESTION = "In what year did the Huguenot weavers found the linen industry at Lisburn?"
ANSWERS = ("After the revocation of the Edict of Nantes, Huguenot weavers led by Louis Crommelin settled at Lisburn "
           "in 1698, where they founded the Irish linen industry that made the town prosperous.")
SAME_TOPIC = ("Huguenot weavers settled in several towns of Ulster and Dublin. Their churches kept French services "
              "for generations, and many families later married into local Protestant congregations.")
OFF_TOPIC = "A steam engine uses the expansion of steam to push a piston inside a cylinder and turn a flywheel."


@pytest.fixture(scope="module")
def model():
    return AnswerabilityModel.load(packaged_embedder_dir())


def test_shipped_weights_prefer_the_passage_that_answers(model):
    answers, same_topic, off_topic = model.scores(QUESTION, [ANSWERS, SAME_TOPIC, OFF_TOPIC])
    assert answers > 0 > same_topic
    assert answers > off_topic
    assert model.scores(QUESTION, []).shape == (0,)


def test_numpy_forward_matches_torch_with_the_adapters_merged(model):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    base = packaged_embedder_dir()
    encoder = transformers.AutoModel.from_pretrained(str(base)).eval()
    saved = np.load(WEIGHTS)
    with torch.no_grad():
        params = dict(encoder.named_parameters())
        for key in saved.files:
            if key.endswith("|a"):
                name = key[:-2]
                delta = float(saved[f"{name}|scale"]) * (saved[f"{name}|b"].astype(np.float32)
                                                         @ saved[f"{name}|a"].astype(np.float32))
                params[f"{name}.weight"] += torch.from_numpy(delta)
        tok = transformers.AutoTokenizer.from_pretrained(str(base))
        passages = [ANSWERS * 6, SAME_TOPIC, "short"]  # one longer than 256 tokens: truncated the same way
        enc = tok([QUESTION] * 3, passages, truncation="only_second", max_length=256, padding=True,
                  return_tensors="pt")
        hidden = encoder(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).float()
        pooled = torch.cat([hidden[:, 0], (hidden * mask).sum(1) / mask.sum(1)], dim=-1)
        expected = pooled.numpy() @ saved["head|weight"][0] + saved["head|bias"][0]
    np.testing.assert_allclose(model.scores(QUESTION, passages), expected, atol=2e-3)


def test_safetensors_reader_matches_the_library():
    st = pytest.importorskip("safetensors.numpy")
    path = packaged_embedder_dir() / "model.safetensors"
    ours, theirs = read_safetensors(path), st.load_file(str(path))
    assert set(ours) == {k for k, v in theirs.items() if v.dtype == np.float32}
    for k in ("embeddings.word_embeddings.weight", "encoder.layer.5.output.dense.bias"):
        np.testing.assert_array_equal(ours[k], theirs[k])


def test_wrong_weights_file_is_a_clear_error(tmp_path):
    from engine.errors import ModelLoadError

    bad = tmp_path / "answerability.npz"
    bad.write_bytes(b"not a numpy archive")
    with pytest.raises(ModelLoadError, match="answerability model"):
        AnswerabilityModel.load(packaged_embedder_dir(), bad)
    headless = tmp_path / "headless.npz"
    np.savez(headless, other=np.zeros(3))  # a numpy archive, but not these weights
    with pytest.raises(ModelLoadError, match="answerability model"):
        AnswerabilityModel.load(packaged_embedder_dir(), headless)


@dataclass
class Chunk:
    id: int
    text: str
    kind: str = "pdf"


@dataclass
class Unit:
    chunk: Chunk
    start: int
    end: int
    score: float


def test_window_is_centred_on_the_quote_and_stays_inside_the_text():
    text = "".join(f"{i:04d} " for i in range(1000))  # 5,000 characters
    w = window(text, 2500, 2510, size=1000)
    assert len(w) == 1000 and text.index(w) == 2005
    assert window(text, 4990, 5000, size=1000) == text[-1000:]
    assert window(text, 0, 0, size=1000) == text[:1000]  # a whole passage (no quote) is read from its start
    assert window("short", 0, 5) == "short"


def test_candidate_windows_one_per_chunk_prose_only_at_most_five():
    chunks = [Chunk(i, f"passage {i}") for i in range(8)]
    code = Chunk(99, "def f(): pass", kind="code")
    units = [Unit(chunks[0], 0, 5, 1.0), Unit(chunks[0], 6, 9, 0.9), Unit(code, 0, 3, 3.0),
             Unit(chunks[1], 0, 5, 2.0), Unit(chunks[2], 0, 5, 0.5), Unit(chunks[3], 0, 5, 2.5)]
    out = candidate_windows(units, [chunks[4], chunks[5], chunks[6]])
    # citing order's first three (chunk 0 twice, code skipped), the best two by score (code skipped, chunk 3), the
    # two best-ranked passages; chunk 1 is neither
    assert out == ["passage 0", "passage 3", "passage 4", "passage 5"]
    many = [Unit(chunks[i], 0, 5, 1.0) for i in range(3)]
    assert len(candidate_windows(many, chunks[3:])) == 5
    assert candidate_windows([Unit(code, 0, 3, 1.0)], [code]) == []
